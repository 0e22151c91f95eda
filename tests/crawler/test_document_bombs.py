"""Decompression bombs and pathological documents: refused or cut short, with the reason, in bounded memory.

Each bomb is built here in tmp_path (none is committed) and read in a child interpreter
(``read_in_child``) that reports its peak resident memory: a bomb that escaped its bounds would
take gigabytes (1 to 4 GB before these bounds existed), so the peak is asserted. Nothing here
depends on how long anything takes; deadlines are tested with a deadline of zero.
"""

from __future__ import annotations

import io
import json
import re
import struct
import subprocess
import sys
import zipfile
import zlib
from pathlib import Path
from typing import Any

import pytest
from docx import Document

from crawler.attachments import extract_text
from crawler.platforms.data_file import DataFileError, DataFileOptions, read_table
from tests.conftest import REPO
from tests.crawler.test_data_file import XLSX_COLUMNS, workbook

PEAK_MB = 400
MB = 1_000_000
LETTER_XML = b"<w:p><w:r><w:t>The council holds no CCTV footage. </w:t></w:r></w:p>"


def read_in_child(tmp_path: Path, body: bytes, how: str, options: str = "") -> dict[str, Any]:
    """What ``extract_text`` (how: the file's URL) or ``read_table`` (how: 'table') made of the body,
    with ``peak_mb``, the child process's peak resident memory."""
    path = tmp_path / "bomb"
    path.write_bytes(body)
    command = [sys.executable, "-m", "tests.crawler.read_in_child", str(path), how]
    done = subprocess.run(command + ([options] if options else []), cwd=REPO, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]
    return dict(json.loads(done.stdout))


# -- building bombs -------------------------------------------------------------------------------
def with_members(archive: bytes, members: dict[str, bytes]) -> bytes:
    """The ZIP with these members replaced or added, all deflated."""
    source, out = zipfile.ZipFile(io.BytesIO(archive)), io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for name in source.namelist():
            if name not in members:
                target.writestr(name, source.read(name))
        for name, data in members.items():
            target.writestr(name, data)
    return out.getvalue()


def docx(paragraphs: list[str]) -> bytes:
    document = Document()
    for paragraph in paragraphs:
        document.add_paragraph(paragraph)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def docx_with_body(xml: bytes) -> bytes:
    """A DOCX whose document body starts with the given XML."""
    blank = docx([])
    head, _, tail = zipfile.ZipFile(io.BytesIO(blank)).read("word/document.xml").partition(b"<w:body>")
    return with_members(blank, {"word/document.xml": head + b"<w:body>" + xml + tail})


def raw_deflate(chunk: bytes, times: int) -> bytes:
    """Raw deflate data of ``chunk`` repeated ``times``, made without compressing it ``times`` over:
    a block flushed in full refers to nothing before it, so copies of it make a valid stream."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    block = compressor.compress(chunk) + compressor.flush(zlib.Z_FULL_FLUSH)
    return block * times + compressor.flush()


def understating(archive: bytes, name: str, raw: bytes, declared: int) -> bytes:
    """The ZIP with member ``name`` holding deflated ``raw`` data but declaring ``declared`` bytes."""
    source, out = zipfile.ZipFile(io.BytesIO(archive)), io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            if info.filename == name:  # stored as it is, then relabelled as deflated below
                target.writestr(name, raw, compress_type=zipfile.ZIP_STORED)
            else:
                target.writestr(info.filename, source.read(info.filename))
    body = bytearray(out.getvalue())
    (central,) = struct.unpack_from("<I", body, len(body) - 6)  # from the end-of-directory record
    while body[central + 46 : central + 46 + len(name)] != name.encode():
        central += 46 + sum(struct.unpack_from("<3H", body, central + 28))  # name, extra, comment
    (local,) = struct.unpack_from("<I", body, central + 42)
    for header, method_at, size_at in ((central, 10, 24), (local, 8, 22)):
        struct.pack_into("<H", body, header + method_at, zipfile.ZIP_DEFLATED)
        struct.pack_into("<I", body, header + size_at, declared)
    return bytes(body)


def pdf(streams: list[bytes]) -> bytes:
    """A PDF of one page per content stream (FlateDecode data), in Helvetica."""
    kids = b" ".join(b"%d 0 R" % (4 + 2 * page) for page in range(len(streams)))
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [%s] /Count %d >>" % (kids, len(streams)),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    for page, stream in enumerate(streams):
        objects.append(
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 3 0 R >> >>"
            b" /Contents %d 0 R >>" % (5 + 2 * page)
        )
        stream_object = b"<< /Length %d /Filter /FlateDecode >>\nstream\n%s\nendstream"
        objects.append(stream_object % (len(stream), stream))
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n%s\nendobj\n" % (number, body))
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    out.write(b"".join(b"%010d 00000 n \n" % offset for offset in offsets))
    out.write(b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref))
    return out.getvalue()


def text_page(text: str) -> bytes:
    return zlib.compress(b"BT /F1 12 Tf 72 720 Td (%s) Tj ET" % text.encode())


def deflated_zeros(megabytes: int) -> bytes:
    compressor, zeros = zlib.compressobj(9), bytes(MB)
    return b"".join(compressor.compress(zeros) for _ in range(megabytes)) + compressor.flush()


SHARED_STRINGS = b"application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"
SST = b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">%s</sst>'


def workbook_with(rows: bytes = b"", shared_strings: bytes = b"", dimension: str = "") -> bytes:
    """The test workbook (log in sheet 2: header on line 3, data on lines 4-6) with XML rows added
    to the log, a shared-strings table of ``shared_strings`` entries, and its dimension replaced."""
    book = workbook()
    parts = zipfile.ZipFile(io.BytesIO(book))
    sheet = parts.read("xl/worksheets/sheet2.xml").replace(b"</sheetData>", rows + b"</sheetData>")
    if dimension:
        sheet = re.sub(rb'<dimension ref="[^"]*"/>', b'<dimension ref="%s"/>' % dimension.encode(), sheet)
    members = {"xl/worksheets/sheet2.xml": sheet}
    if shared_strings:
        override = b'<Override PartName="/xl/sharedStrings.xml" ContentType="%s"/>' % SHARED_STRINGS
        types = parts.read("[Content_Types].xml").replace(b"</Types>", override + b"</Types>")
        members.update({"[Content_Types].xml": types, "xl/sharedStrings.xml": SST % shared_strings})
    return with_members(book, members)


XLSX_OPTIONS = DataFileOptions.model_validate({"columns": XLSX_COLUMNS}).model_dump_json()
CSV_HEADER = b"Reference,Title,Request,Response,Outcome\n"
CSV_OPTIONS = json.dumps(
    {"columns": {"reference": "Reference", "title": "Title", "request": "Request", "response": "Response"}}
)


def test_an_archive_whose_directory_points_past_its_end_is_unreadable() -> None:
    archive = bytearray(docx(["x"]))
    (central,) = struct.unpack_from("<I", archive, len(archive) - 6)
    struct.pack_into("<I", archive, central + 42, len(archive) + 1_000)  # the first member's data
    text, error = extract_text(bytes(archive), "https://x.uk/letter.docx")
    assert text is None and error is not None
    assert error.startswith("unreadable docx: BadZipFile: no local header for ")
    with pytest.raises(DataFileError, match="not a readable XLSX workbook .BadZipFile: no local header"):
        read_table(bytes(archive), DataFileOptions.model_validate_json(XLSX_OPTIONS))


# -- DOCX -----------------------------------------------------------------------------------------
def test_a_docx_expanding_to_150_mb_is_refused_unread(tmp_path: Path) -> None:
    bomb = docx_with_body(LETTER_XML * (150 * MB // len(LETTER_XML)))
    assert len(bomb) < 600_000
    read = read_in_child(tmp_path, bomb, "https://x.uk/letter.docx")
    assert (read["text"], read["error"]) == (None, "refused: DOCX expands to 150.8 MB, over the 30 MB limit")
    assert read["peak_mb"] < PEAK_MB


def test_a_docx_whose_header_understates_its_size_is_refused(tmp_path: Path) -> None:
    # zipfile would cut the member to the declared 100 KB, but only after inflating all of it.
    gigabyte = raw_deflate(b"<w:p><w:r><w:t>CCTV</w:t></w:r></w:p>" * 25_000, 1_000)
    bomb = understating(docx(["x"]), "word/document.xml", gigabyte, declared=100_000)
    read = read_in_child(tmp_path, bomb, "https://x.uk/letter.docx")
    assert (read["text"], read["error"]) == (
        None,
        "refused: word/document.xml in the DOCX expands beyond the 100,000 bytes its header declares",
    )
    assert read["peak_mb"] < PEAK_MB


def test_a_docx_of_filler_under_the_size_limit_is_refused(tmp_path: Path) -> None:
    read = read_in_child(tmp_path, docx_with_body(b"<w:p/>" * (20 * MB // 6)), "https://x.uk/letter.docx")
    assert read["text"] is None
    assert re.fullmatch(
        r"refused: word/document.xml in the DOCX is compressed [\d,]+ to 1, over the 100 to 1 limit",
        read["error"],
    )
    assert read["peak_mb"] < PEAK_MB


def test_a_docx_past_its_deadline_keeps_the_paragraphs_read() -> None:
    letter = docx(["Request ID: REQ06487", "We hold 27 cameras.", "Section 31 applies."])
    assert extract_text(letter, "https://x.uk/letter.docx", time_limit=0) == (
        "Request ID: REQ06487",
        "stopped after 0 s: text of the first paragraph kept",
    )


# -- PDF ------------------------------------------------------------------------------------------
def test_a_pdf_page_that_is_a_zlib_bomb_keeps_the_pages_before_it(tmp_path: Path) -> None:
    bomb = pdf([text_page("Page one: no CCTV footage is held."), deflated_zeros(200)])
    read = read_in_child(tmp_path, bomb, "https://x.uk/letter.pdf")
    assert read["text"] == "Page one: no CCTV footage is held."
    assert re.fullmatch(
        r"stopped at page 2 of 2, over a size limit \(Limit reached while decompressing.*\); "
        r"text of the first page kept",
        read["error"],
    )
    assert read["peak_mb"] < PEAK_MB


def test_pdf_pages_expanding_past_the_limit_together_stop_the_reading(tmp_path: Path) -> None:
    # Each page is under the limit for one stream, but pypdf keeps every page it has decoded.
    bomb = pdf([text_page("Page one")] + [deflated_zeros(9)] * 60)
    read = read_in_child(tmp_path, bomb, "https://x.uk/letter.pdf")
    assert (read["text"], read["error"]) == (
        "Page one",
        "stopped at page 7 of 61: the pages' content expands beyond 50 MB; text of the first 6 pages kept",
    )
    assert read["peak_mb"] < PEAK_MB


def test_a_pdf_past_its_deadline_keeps_the_pages_read() -> None:
    letter = pdf([text_page(f"Page {n}") for n in ("one", "two", "three")])
    assert extract_text(letter, "https://x.uk/letter.pdf") == ("Page one\nPage two\nPage three", None)
    assert extract_text(letter, "https://x.uk/letter.pdf", time_limit=0) == (
        "Page one",
        "stopped after 0 s: text of the first page of 3 kept",
    )


# -- XLSX and CSV ---------------------------------------------------------------------------------
def test_an_xlsx_of_millions_of_blank_rows_is_read_up_to_the_cap(tmp_path: Path) -> None:
    blank = b"".join(b'<row r="%d"/>' % line for line in range(7, 2_000_007))
    bomb = workbook_with(rows=blank, dimension="A1:XFD2000006")  # and as wide as Excel goes
    read = read_in_child(tmp_path, bomb, "table", XLSX_OPTIONS)
    # The three rows above the blank ones; 70,000 = max_rows (20,000) + the blank-row allowance.
    assert (read["rows"], read["truncation"]) == (
        3,
        "stopped at line 70,004 after 70,000 rows, 69,997 of them blank",
    )
    assert read["peak_mb"] < PEAK_MB


@pytest.mark.parametrize(
    ("bomb", "error"),
    [
        (
            {"shared_strings": b"<si><t>CCTV camera</t></si>" * (150 * MB // 27)},
            r"refused: XLSX expands to 150(\.\d)? MB, over the 100 MB limit",
        ),
        (
            {"rows": b'<row r="7">' + b"<c/>" * (60 * MB // 4) + b"</row>"},
            r"refused: xl/worksheets/sheet2.xml in the XLSX is compressed [\d,]+ to 1, "
            r"over the 100 to 1 limit",
        ),
    ],
    ids=["shared-strings", "one-row-of-filler"],
)
def test_an_xlsx_bomb_is_refused_unopened(tmp_path: Path, bomb: dict[str, Any], error: str) -> None:
    read = read_in_child(tmp_path, workbook_with(**bomb), "table", XLSX_OPTIONS)
    assert re.fullmatch(error, read["error"]), read
    assert read["peak_mb"] < PEAK_MB


def test_a_csv_of_millions_of_blank_lines_is_read_up_to_the_cap(tmp_path: Path) -> None:
    rows = b"1,CCTV,How many cameras?,We hold 27 cameras.,Released\n" * 3
    read = read_in_child(tmp_path, CSV_HEADER + rows + b"\n" * 2_000_000, "table", CSV_OPTIONS)
    assert (read["rows"], read["truncation"]) == (
        3,
        "stopped at line 70,002 after 70,000 rows, 69,997 of them blank",
    )
    assert read["peak_mb"] < PEAK_MB


def test_a_csv_cell_with_no_closing_quote_is_refused(tmp_path: Path) -> None:
    body = CSV_HEADER + b'1,CCTV,How many?,"We hold ' + b"27 cameras. " * 1_000_000
    read = read_in_child(tmp_path, body, "table", CSV_OPTIONS)
    assert read["error"] == "unreadable CSV: a cell longer than 2,000,000 characters (a quote left open?)"
    assert read["peak_mb"] < PEAK_MB
