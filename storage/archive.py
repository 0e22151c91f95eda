"""The evidence archive: the original bytes of what foiwatch fetched, to prove what a page said.

A page is archived when it gave a response a new version, an attachment when it was downloaded
for such a version; a fetch identical to the stored version is not archived again. The bytes are
kept exactly as received (after HTTP transfer decoding), as blobs named by their SHA-256 under
``<data-dir>/archive/sha256/ab/cd/<hex>``: one blob serves every copy with the same bytes, and each
is written to a temporary file in its folder and renamed into place, so a blob is never half
written. The database keeps one ``ArchivedCopy`` row per archived fetch: address, fetch time
(UTC), HTTP status and headers, linked to its version or attachment.

Retention (``archive.retention_days`` in settings.yaml, 0 to keep everything) removes rows older
than it; ``prune_archive`` then removes the blobs no row names any more.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from storage.clock import utcnow
from storage.db import Database, affected_rows
from storage.models import ArchivedCopy, ResponseVersion

ARCHIVE_FOLDER = "archive"
_BLOBS = "sha256"
_PARTIAL = ".partial"
_HEX = re.compile(r"^[0-9a-f]{64}$")
# A blob nobody names is left alone this long: a crawl writes a blob just before it commits the
# row naming it, and must not find it pruned in between.
BLOB_GRACE = timedelta(hours=1)


class ArchiveError(Exception):
    """A copy that could not be archived or read back; ``str()`` says why, in words."""


@dataclass(frozen=True)
class FetchedCopy:
    """One HTTP response as received: what the archive keeps of a fetch.

    ``headers`` are (name, value) pairs in the order the server sent them; ``sha256`` is computed
    once here, since one fetch (a data file of many responses) may be archived many times.
    """

    url: str
    status: int
    headers: tuple[tuple[str, str], ...]
    body: bytes
    fetched_at: datetime
    protocol: str | None = None
    sha256: str = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "sha256", hashlib.sha256(self.body).hexdigest())

    @property
    def content_type(self) -> str | None:
        """The Content-Type header as sent, or None."""
        return header(self.headers, "Content-Type")


def header(headers: Sequence[Sequence[str]], name: str) -> str | None:
    """The first value of header ``name`` (any case) in (name, value) pairs, or None."""
    wanted = name.lower()
    return next((str(value) for key, value in headers if str(key).lower() == wanted), None)


@dataclass(frozen=True)
class OpenedCopy:
    """An archived copy with its bytes, read back and checked against its SHA-256."""

    id: int
    url: str
    fetched_at: datetime
    status: int
    protocol: str | None
    headers: list[tuple[str, str]]
    content_type: str | None
    size: int
    sha256: str
    version_id: int | None
    attachment_id: int | None
    body: bytes


@dataclass(frozen=True)
class PruneReport:
    """What ``prune_archive`` removed."""

    copies: int
    blobs: int
    bytes: int


def archive_root(data_dir: Path) -> Path:
    """The archive's folder in a data folder."""
    return Path(data_dir) / ARCHIVE_FOLDER


def blob_path(data_dir: Path, digest: str) -> Path:
    """Where the blob of SHA-256 ``digest`` (64 lower-case hex digits) lives."""
    if not _HEX.match(digest):
        raise ArchiveError(f"not a SHA-256 digest: {digest!r}")
    return archive_root(data_dir) / _BLOBS / digest[:2] / digest[2:4] / digest


def write_blob(data_dir: Path, body: bytes, digest: str | None = None) -> Path:
    """Store ``body`` under its SHA-256, once; its path.

    Written to a temporary file beside it, flushed to disk and renamed into place: a crash or a
    full disk leaves at most a ``.partial`` file (removed by ``prune_archive``), never a damaged
    blob. A blob already there is only touched, which keeps it from being pruned while the copy
    naming it is being recorded. Raises ``OSError`` when the folder cannot be written.
    """
    digest = digest or hashlib.sha256(body).hexdigest()
    path = blob_path(data_dir, digest)
    with contextlib.suppress(FileNotFoundError):
        if path.stat().st_size == len(body):
            os.utime(path)
            return path
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, partial = tempfile.mkstemp(dir=path.parent, prefix=f".{digest[:16]}-", suffix=_PARTIAL)
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(body)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(partial, 0o444)  # evidence: never edited in place
        os.replace(partial, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(partial)
        raise
    _sync_folder(path.parent)
    return path


def _sync_folder(folder: Path) -> None:
    """Make a rename in ``folder`` survive a power cut (where the platform allows it)."""
    with contextlib.suppress(OSError):
        handle = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(handle)
        finally:
            os.close(handle)


def read_blob(data_dir: Path, digest: str) -> bytes:
    """The bytes of blob ``digest``, checked; raises ``ArchiveError`` if missing or damaged."""
    path = blob_path(data_dir, digest)
    try:
        body = path.read_bytes()
    except FileNotFoundError as exc:
        raise ArchiveError(f"the archived bytes {digest} are missing from {path.parent}") from exc
    except OSError as exc:
        raise ArchiveError(f"the archived bytes {digest} cannot be read: {exc.strerror or exc}") from exc
    if hashlib.sha256(body).hexdigest() != digest:
        raise ArchiveError(f"the archived bytes at {path} are damaged: their SHA-256 is not {digest}")
    return body


def archive_copy(
    session: Session,
    data_dir: Path,
    copy: FetchedCopy,
    source_id: str,
    version_id: int,
    attachment_id: int | None = None,
    max_bytes: int | None = None,
    flush: bool = True,
) -> ArchivedCopy:
    """Keep ``copy`` as the evidence of a version (or of one of its attachments).

    The blob is written before the row is added, so a row always names bytes that exist. Raises
    ``ArchiveError`` for a copy over ``max_bytes`` (the crawl's download limit) and ``OSError``
    when the archive folder cannot be written; nothing is recorded then. With ``flush`` off the
    row is only added to the session (and has no id until the caller flushes).
    """
    if max_bytes is not None and len(copy.body) > max_bytes:
        raise ArchiveError(
            f"not archived: {len(copy.body):,} bytes is over the {max_bytes:,}-byte download limit"
        )
    write_blob(data_dir, copy.body, copy.sha256)
    row = ArchivedCopy(
        sha256=copy.sha256,
        url=copy.url,
        fetched_at=copy.fetched_at,
        status=copy.status,
        protocol=copy.protocol,
        headers=[[name, value] for name, value in copy.headers],
        content_type=(copy.content_type or "")[:200] or None,
        size=len(copy.body),
        source_id=source_id,
        version_id=version_id,
        attachment_id=attachment_id,
    )
    session.add(row)
    if flush:
        session.flush()
    return row


def list_copies(
    session: Session, response_id: int | None = None, since: datetime | None = None
) -> list[ArchivedCopy]:
    """Archived copies in the order they were fetched, of one response or of all."""
    query = select(ArchivedCopy).order_by(ArchivedCopy.fetched_at, ArchivedCopy.id)
    if response_id is not None:
        query = query.join(ResponseVersion, ResponseVersion.id == ArchivedCopy.version_id).where(
            ResponseVersion.response_id == response_id
        )
    if since is not None:
        query = query.where(ArchivedCopy.fetched_at >= since)
    return list(session.scalars(query))


def copies_for_response(session: Session, response_id: int) -> dict[int, list[ArchivedCopy]]:
    """A response's archived copies by version id, oldest version first; in each, the page
    (``attachment_id`` None) before its attachments."""
    grouped: dict[int, list[ArchivedCopy]] = {}
    rows = sorted(
        list_copies(session, response_id),
        key=lambda c: (c.version_id or 0, c.attachment_id is not None, c.attachment_id or 0, c.id),
    )
    for row in rows:
        grouped.setdefault(row.version_id or 0, []).append(row)
    return grouped


def open_copy(session: Session, data_dir: Path, copy_id: int) -> OpenedCopy | None:
    """Archived copy ``copy_id`` with its bytes, or None when there is no such copy.

    Raises ``ArchiveError`` when the row exists but its bytes are missing or damaged.
    """
    row = session.get(ArchivedCopy, copy_id)
    if row is None:
        return None
    return OpenedCopy(
        id=row.id,
        url=row.url,
        fetched_at=row.fetched_at,
        status=row.status,
        protocol=row.protocol,
        headers=[(str(name), str(value)) for name, value in row.headers],
        content_type=row.content_type,
        size=row.size,
        sha256=row.sha256,
        version_id=row.version_id,
        attachment_id=row.attachment_id,
        body=read_blob(data_dir, row.sha256),
    )


def expire_copies(session: Session, retention_days: int, now: datetime | None = None) -> int:
    """Delete the rows of copies fetched more than ``retention_days`` ago (0: keep all); how many."""
    if retention_days <= 0:
        return 0
    cutoff = (now or utcnow()) - timedelta(days=retention_days)
    return affected_rows(session.execute(delete(ArchivedCopy).where(ArchivedCopy.fetched_at < cutoff)))


def _files(data_dir: Path) -> Iterator[Path]:
    root = archive_root(data_dir) / _BLOBS
    if root.is_dir():
        yield from (path for path in root.glob("??/??/*") if path.is_file())


def remove_unreferenced_blobs(
    session: Session, data_dir: Path, grace: timedelta = BLOB_GRACE
) -> tuple[int, int]:
    """Delete blobs no copy names, and partial files left by interrupted writes, untouched for
    ``grace`` (by the files' own clock); (files removed, bytes freed)."""
    named = set(session.scalars(select(ArchivedCopy.sha256).distinct()))
    settled = (utcnow() - grace).timestamp()
    removed = freed = 0
    for path in _files(data_dir):
        if path.name in named and not path.name.endswith(_PARTIAL):
            continue
        with contextlib.suppress(FileNotFoundError):
            stat = path.stat()
            if stat.st_mtime > settled:
                continue
            path.unlink()
            removed, freed = removed + 1, freed + stat.st_size
    return removed, freed


def prune_archive(
    database: Database,
    data_dir: Path,
    retention_days: int,
    now: datetime | None = None,
    grace: timedelta = BLOB_GRACE,
) -> PruneReport:
    """Apply retention: forget copies fetched before ``now`` less ``retention_days``, then remove
    the blobs no copy names any more.

    Two transactions: the rows' deletion is committed before any blob goes, so a failure between
    the two leaves unnamed blobs (removed next time), never a row naming a missing blob.
    """
    with database.session() as session:
        copies = expire_copies(session, retention_days, now)
    with database.session() as session:
        blobs, freed = remove_unreferenced_blobs(session, data_dir, grace)
    return PruneReport(copies=copies, blobs=blobs, bytes=freed)
