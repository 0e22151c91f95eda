"""The evidence archive as a WARC 1.1 file (one gzip member per record), written with warcio.

A ``warcinfo`` record, then one ``response`` record per archived fetch: the original status line
and headers, the exact bytes, ``WARC-Target-URI``, ``WARC-Date`` the fetch time and
``WARC-Payload-Digest`` the bytes' SHA-256. Webrecorder's ReplayWeb.page, pywb and the Internet
Archive's tools open it.

The bytes are kept as Scrapy handed them over, transfer and content encodings undone, so the
headers that described the encoded form (``Content-Encoding``, ``Transfer-Encoding``,
``Content-Length``) are renamed ``X-Archive-Orig-*``, as web archives do, and a true
``Content-Length`` is given: a replay tool would otherwise try to decode the bytes again.
"""

from __future__ import annotations

import base64
import hashlib
import io
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http import HTTPStatus
from pathlib import Path
from typing import BinaryIO

from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from crawler import __version__
from storage.archive import ArchiveError, list_copies, read_blob
from storage.db import Database
from storage.models import ArchivedCopy

WARC_1_1 = "https://iipc.github.io/warc-specifications/specifications/warc-format/warc-1.1/"
_ENCODING_HEADERS = ("content-encoding", "transfer-encoding", "content-length")


@dataclass
class ExportReport:
    """What an export wrote: response records, and the copies whose bytes could not be read."""

    path: Path | None = None
    records: int = 0
    missing: list[str] = field(default_factory=list)


def warc_date(moment: datetime) -> str:
    """A WARC 1.1 date: UTC, to the microsecond."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def labelled_digest(raw: bytes) -> str:
    """``sha256:<base32>``, the form WARC tools write and check."""
    return "sha256:" + base64.b32encode(raw).decode("ascii")


def replayable_headers(headers: Sequence[Sequence[str]], size: int) -> list[tuple[str, str]]:
    """The stored headers fit for the decoded bytes: encoding headers kept as ``X-Archive-Orig-*``."""
    kept = [
        (f"X-Archive-Orig-{name}", value) if name.lower() in _ENCODING_HEADERS else (name, value)
        for name, value in ((str(n), str(v)) for n, v in headers)
    ]
    return [*kept, ("Content-Length", str(size))]


def _status_line(copy: ArchivedCopy) -> tuple[str, str]:
    """(protocol, status line): HTTP/2 and unknown protocols are written as HTTP/1.1, which replay
    tools read; the status code is the one received."""
    try:
        reason = HTTPStatus(copy.status).phrase
    except ValueError:
        reason = "Unknown"
    protocol = copy.protocol if (copy.protocol or "").startswith("HTTP/1.") else "HTTP/1.1"
    return str(protocol), f"{copy.status} {reason}"


def _response_record(writer: WARCWriter, copy: ArchivedCopy, body: bytes) -> object:
    protocol, status_line = _status_line(copy)
    http_headers = StatusAndHeaders(
        status_line, replayable_headers(copy.headers, len(body)), protocol=protocol
    )
    block = hashlib.sha256(http_headers.to_ascii_bytes() + body).digest()
    return writer.create_warc_record(
        copy.url,
        "response",
        payload=io.BytesIO(body),
        length=len(body),
        http_headers=http_headers,
        warc_headers_dict={
            "WARC-Date": warc_date(copy.fetched_at),
            "WARC-Payload-Digest": labelled_digest(bytes.fromhex(copy.sha256)),
            "WARC-Block-Digest": labelled_digest(block),
        },
    )


def write_warc(
    database: Database, data_dir: Path, output: BinaryIO, since: datetime | None = None, filename: str = ""
) -> ExportReport:
    """Write every copy fetched at or after ``since`` (all when None) to ``output``, oldest first.

    Copies of one fetch (a data file behind many responses) are written once. A copy whose bytes
    are missing or damaged is left out and named in the report, never written wrong.
    """
    writer = WARCWriter(output, gzip=True, warc_version="1.1")
    info = {
        "software": f"foiwatch/{__version__}",
        "format": "WARC File Format 1.1",
        "conformsTo": WARC_1_1,
        "description": "foiwatch evidence archive: FOI disclosure log pages and attachments as fetched",
    }
    writer.write_record(writer.create_warcinfo_record(filename, info))
    report = ExportReport()
    written: set[tuple[str, str, datetime]] = set()
    with database.session() as session:
        copies = list_copies(session, since=since)
    for copy in copies:
        fetch = (copy.sha256, copy.url, copy.fetched_at)
        if fetch in written:
            continue
        try:
            body = read_blob(data_dir, copy.sha256)
        except ArchiveError as exc:
            report.missing.append(f"copy {copy.id} ({copy.url}): {exc}")
            continue
        writer.write_record(_response_record(writer, copy, body))
        written.add(fetch)
        report.records += 1
    return report


def export_warc_file(
    database: Database, data_dir: Path, path: Path, since: datetime | None = None
) -> ExportReport:
    """``write_warc`` to the file ``path``, which appears only once complete."""
    partial = path.with_name(f"{path.name}.partial")
    try:
        with partial.open("wb") as output:
            report = write_warc(database, data_dir, output, since, path.name)
        os.replace(partial, path)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    report.path = path
    return report
