"""The evidence archive on a real database and a real folder: blobs, copies, reading back, retention."""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from storage.archive import (
    ArchiveError,
    FetchedCopy,
    archive_copy,
    blob_path,
    copies_for_response,
    list_copies,
    open_copy,
    prune_archive,
    read_blob,
    write_blob,
)
from storage.db import Database
from storage.models import ArchivedCopy, ResponseVersion
from storage.records import AttachmentRecord, ResponseRecord
from storage.responses import store_version
from storage.runs import SourceRow, sync_sources

MET = SourceRow("met", "police_soh", "Metropolitan Police Service", "https://www.met.police.uk/foi-ai/x/")
PAGE_URL = "https://www.met.police.uk/foi-ai/x/cctv-on-the-estate/"
LETTER_URL = "https://www.met.police.uk/SysSiteAssets/letter.pdf"
T0 = datetime(2026, 3, 2, 9, 0, 0, 123456, tzinfo=UTC)
PAGE = b"<html><body><main><h1>CCTV on the estate</h1><p>Approximately 4000 cameras.</p></main></body></html>"
LETTER = b"%PDF-1.4\n% the letter\n" + bytes(range(256))
HEADERS = (
    ("Content-Type", "text/html; charset=utf-8"),
    ("ETag", '"abc"'),
    ("Set-Cookie", "a=1"),
    ("Set-Cookie", "b=2"),
)


def _record(response: str, attachments: tuple[AttachmentRecord, ...] = ()) -> ResponseRecord:
    return ResponseRecord(
        source_id=MET.id,
        key="01.FOI.24.1",
        authority=MET.authority,
        title="CCTV on the estate",
        url=PAGE_URL,
        reference="01.FOI.24.1",
        published=date(2024, 12, 2),
        request="What brand of CCTV cameras are in use?",
        response=response,
        outcome="released",
        attachments=attachments,
    )


def _fetched(body: bytes, url: str = PAGE_URL, at: datetime = T0, headers: tuple = HEADERS) -> FetchedCopy:
    return FetchedCopy(url=url, status=200, headers=headers, body=body, fetched_at=at, protocol="HTTP/1.1")


@pytest.fixture
def db(database: Database) -> Database:
    with database.session() as session:
        sync_sources(session, [MET])
    return database


def _store(database: Database, response: str, with_letter: bool = False) -> tuple[int, int, int | None]:
    """A stored version of the response: (response id, version id, its attachment's id)."""
    letters = (AttachmentRecord(url=LETTER_URL, name="letter"),) if with_letter else ()
    with database.session() as session:
        _, version = store_version(session, None, _record(response, letters))
        assert version is not None
        attachment_id = version.attachments[0].id if with_letter else None
        return version.response_id, version.id, attachment_id


def _blobs(data_dir: Path) -> list[Path]:
    return sorted(p for p in (data_dir / "archive").rglob("*") if p.is_file())


def test_a_copy_is_kept_exactly_and_read_back_with_its_fetch(db: Database, tmp_path: Path) -> None:
    response_id, version_id, _ = _store(db, "Approximately 4000 cameras are in use across the estate.")
    with db.session() as session:
        row = archive_copy(session, tmp_path, _fetched(PAGE), MET.id, version_id)
        copy_id = row.id
    digest = hashlib.sha256(PAGE).hexdigest()
    assert _blobs(tmp_path) == [tmp_path / "archive" / "sha256" / digest[:2] / digest[2:4] / digest]
    with db.session() as session:
        opened = open_copy(session, tmp_path, copy_id)
        assert open_copy(session, tmp_path, copy_id + 1000) is None
    assert opened is not None
    assert opened.body == PAGE
    assert opened.sha256 == digest and opened.size == len(PAGE)
    assert opened.url == PAGE_URL and opened.status == 200 and opened.protocol == "HTTP/1.1"
    assert opened.fetched_at == T0  # aware UTC, to the microsecond
    assert opened.headers == list(HEADERS)  # order and repeated headers kept
    assert opened.content_type == "text/html; charset=utf-8"
    assert opened.version_id == version_id and opened.attachment_id is None


def test_the_same_bytes_are_one_blob_however_many_copies_name_them(db: Database, tmp_path: Path) -> None:
    _, first, _ = _store(db, "Approximately 4000 cameras are in use across the estate.")
    _, second, _ = _store(db, "Approximately 4100 cameras are in use across the estate now.")
    with db.session() as session:
        archive_copy(session, tmp_path, _fetched(PAGE), MET.id, first)
        archive_copy(session, tmp_path, _fetched(PAGE, at=T0 + timedelta(days=1)), MET.id, second)
    assert len(_blobs(tmp_path)) == 1
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(ArchivedCopy)) == 2


def test_copies_for_a_response_come_by_version_page_first(db: Database, tmp_path: Path) -> None:
    response_id, first, letter_id = _store(db, "Please see the attached letter about our cameras.", True)
    _, second, _ = _store(db, "Please see the attached letter about our CCTV cameras now.")
    with db.session() as session:
        letter = archive_copy(session, tmp_path, _fetched(LETTER, LETTER_URL), MET.id, first, letter_id)
        page = archive_copy(session, tmp_path, _fetched(PAGE), MET.id, first)
        later = archive_copy(session, tmp_path, _fetched(PAGE + b" ", at=T0 + timedelta(1)), MET.id, second)
        ids = (letter.id, page.id, later.id)
    with db.session() as session:
        grouped = copies_for_response(session, response_id)
        assert {version: [c.id for c in copies] for version, copies in grouped.items()} == {
            first: [ids[1], ids[0]],
            second: [ids[2]],
        }
        assert list(grouped) == [first, second]
        assert [c.id for c in list_copies(session, since=T0 + timedelta(hours=1))] == [ids[2]]
        letter_copy = open_copy(session, tmp_path, ids[0])
    assert letter_copy is not None and letter_copy.body == LETTER and letter_copy.attachment_id == letter_id


def test_a_copy_over_the_download_limit_is_refused_and_nothing_kept(db: Database, tmp_path: Path) -> None:
    _, version_id, _ = _store(db, "Approximately 4000 cameras are in use across the estate.")
    with db.session() as session, pytest.raises(ArchiveError, match="over the 50-byte download limit"):
        archive_copy(session, tmp_path, _fetched(PAGE), MET.id, version_id, max_bytes=50)
    with db.session() as session:
        assert list_copies(session) == []
    assert _blobs(tmp_path) == []


def test_an_unwritable_archive_folder_raises_and_records_nothing(db: Database, tmp_path: Path) -> None:
    _, version_id, _ = _store(db, "Approximately 4000 cameras are in use across the estate.")
    (tmp_path / "archive").write_text("a file where the folder should be", encoding="utf-8")
    with db.session() as session, pytest.raises(OSError):
        archive_copy(session, tmp_path, _fetched(PAGE), MET.id, version_id)
    with db.session() as session:
        assert list_copies(session) == []


def test_damaged_or_missing_bytes_are_never_served_as_evidence(db: Database, tmp_path: Path) -> None:
    _, version_id, _ = _store(db, "Approximately 4000 cameras are in use across the estate.")
    with db.session() as session:
        copy_id = archive_copy(session, tmp_path, _fetched(PAGE), MET.id, version_id).id
    path = blob_path(tmp_path, hashlib.sha256(PAGE).hexdigest())
    os.chmod(path, 0o644)
    path.write_bytes(PAGE.replace(b"4000", b"9000"))
    with db.session() as session, pytest.raises(ArchiveError, match="damaged"):
        open_copy(session, tmp_path, copy_id)
    path.unlink()
    with db.session() as session, pytest.raises(ArchiveError, match="missing"):
        open_copy(session, tmp_path, copy_id)


# A child process writing a 4 MB blob where files may not pass 1 MB. With SIGXFSZ at its default
# the kernel kills it in the middle of the write, as a crash or kill -9 would; with Python's own
# setting (ignored) the write fails with EFBIG, as on a full disk.
_LIMITED_WRITER = """
import resource, signal, sys
from pathlib import Path
from storage.archive import write_blob
if sys.argv[2] == "kill":
    signal.signal(signal.SIGXFSZ, signal.SIG_DFL)
resource.setrlimit(resource.RLIMIT_FSIZE, (1_000_000, 1_000_000))
write_blob(Path(sys.argv[1]), bytes(range(256)) * 16384)
"""
_REPO = Path(__file__).resolve().parents[2]


def _limited_write(data_dir: Path, how: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-c", _LIMITED_WRITER, str(data_dir), how], cwd=_REPO, capture_output=True
    )


def test_a_failed_write_leaves_nothing(tmp_path: Path) -> None:
    child = _limited_write(tmp_path, "fail")
    assert child.returncode == 1 and b"File too large" in child.stderr
    assert _blobs(tmp_path) == []


def test_a_write_killed_half_way_leaves_no_blob_only_a_partial_file_pruned_later(
    db: Database, tmp_path: Path
) -> None:
    body = bytes(range(256)) * 16384
    digest = hashlib.sha256(body).hexdigest()
    assert _limited_write(tmp_path, "kill").returncode == -signal.SIGXFSZ
    left = _blobs(tmp_path)
    assert [p.name.endswith(".partial") for p in left] == [True]
    assert 0 < left[0].stat().st_size < len(body)  # killed mid-write
    assert not blob_path(tmp_path, digest).exists()
    with pytest.raises(ArchiveError, match="missing"):
        read_blob(tmp_path, digest)

    assert write_blob(tmp_path, body) == blob_path(tmp_path, digest)  # the next write completes
    assert read_blob(tmp_path, digest) == body
    # Unnamed files are removed once they are older than the grace period (here: now).
    report = prune_archive(db, tmp_path, 0, grace=timedelta(0))
    assert report.blobs == 2 and not left[0].exists()


def test_retention_forgets_old_copies_and_removes_only_bytes_nobody_names(
    db: Database, tmp_path: Path
) -> None:
    _, first, _ = _store(db, "Approximately 4000 cameras are in use across the estate.")
    _, second, _ = _store(db, "Approximately 4100 cameras are in use across the estate now.")
    now = T0 + timedelta(days=100)
    old_only, shared, recent = b"<html>old page</html>", b"<html>same page</html>", b"<html>new</html>"
    with db.session() as session:
        archive_copy(session, tmp_path, _fetched(old_only, at=T0), MET.id, first)
        archive_copy(session, tmp_path, _fetched(shared, at=T0), MET.id, first)
        archive_copy(session, tmp_path, _fetched(shared, at=now - timedelta(days=1)), MET.id, second)
        archive_copy(session, tmp_path, _fetched(recent, at=now - timedelta(days=2)), MET.id, second)

    kept_forever = prune_archive(db, tmp_path, 0, now=now, grace=timedelta(0))
    assert (kept_forever.copies, kept_forever.blobs) == (0, 0)
    assert len(_blobs(tmp_path)) == 3

    report = prune_archive(db, tmp_path, 30, now=now, grace=timedelta(0))
    assert (report.copies, report.blobs, report.bytes) == (2, 1, len(old_only))
    with db.session() as session:
        assert sorted(c.fetched_at for c in list_copies(session)) == [
            now - timedelta(days=2),
            now - timedelta(days=1),
        ]
        # the version and its response are evidence of their own: retention never touches them
        assert session.get(ResponseVersion, first) is not None
    assert not blob_path(tmp_path, hashlib.sha256(old_only).hexdigest()).exists()
    for body in (shared, recent):
        assert read_blob(tmp_path, hashlib.sha256(body).hexdigest()) == body


def test_a_fresh_unnamed_blob_is_spared_while_its_copy_may_be_on_its_way(
    db: Database, tmp_path: Path
) -> None:
    # A crawl writes the blob, then commits the row naming it: pruning in between must not remove it.
    path = write_blob(tmp_path, PAGE)
    assert prune_archive(db, tmp_path, 30).blobs == 0 and path.exists()
    two_hours_ago = (datetime.now(UTC) - timedelta(hours=2)).timestamp()
    os.utime(path, (two_hours_ago, two_hours_ago))
    assert prune_archive(db, tmp_path, 30).blobs == 1
    assert not path.exists()
