"""CSV and XLSX logs read field by field, from saved files and workbooks built here with openpyxl."""

from __future__ import annotations

import io
import re
import zipfile
from datetime import date, datetime
from typing import Any

import pytest
import yaml
from openpyxl import Workbook
from pydantic import ValidationError

from crawler.platforms.data_file import (
    DataFileError,
    DataFileOptions,
    RowResponse,
    cell_date,
    cell_text,
    column_key,
    decode,
    map_outcome,
    read_row,
    read_table,
)
from tests.conftest import FIXTURES

SITE = FIXTURES / "data_file" / "site"
EXPECTED = yaml.safe_load((FIXTURES / "data_file" / "expected.yaml").read_text(encoding="utf-8"))
FILES = {
    "camden": "/camden/foi-requests.csv",
    "leicestershire": "/leicestershire/foi-disclosure-log-2024-25.csv",
}
BASE = "https://opendata.example.gov.uk"
XLSX_COLUMNS = {
    "reference": "Ref",
    "title": "Subject",
    "published": "Date responded",
    "request": "Request",
    "response": "Response",
    "url": "Link",
}


def _options(log: str, **extra: Any) -> DataFileOptions:
    return DataFileOptions.model_validate({**EXPECTED[log]["options"], **extra})


def _read(log: str, body: bytes | None = None, **extra: Any) -> list[RowResponse]:
    options = _options(log, **extra)
    table = read_table(body if body is not None else (SITE / FILES[log].lstrip("/")).read_bytes(), options)
    return [read_row(row, table, options, BASE + FILES[log]) for row in table.rows]


def workbook(rows: list[list[Any]] | None = None) -> bytes:
    """A Leicestershire-style download: a notes sheet first, a title line above the header."""
    book = Workbook()
    notes = book.active
    notes.title = "Notes"
    notes.append(["This workbook lists responses to FOI requests. Personal data has been removed."])
    log = book.create_sheet("Disclosure log")
    log.append(["Hamblewick County Council: FOI disclosure log 2025"])
    log.append([])
    log.append(["Ref", "Date responded", "Subject", "Request", "Response", "Link"])
    for row in rows if rows is not None else XLSX_ROWS:
        log.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


XLSX_ROWS = [
    [2291, datetime(2025, 4, 2), "Hikvision cameras in council buildings",
     "How many cameras made by Hikvision are installed in council buildings?",
     "The information you requested is below. 27 Hikvision CCTV cameras are installed in 6 buildings.",
     None],
    [2288, datetime(2025, 3, 28), "Library book fines",
     "How much did the council collect in library fines in 2024?",
     "The information you requested is as follows. The council collected £8,912 in library fines.",
     "https://www.hamblewick.gov.uk/foi/2288.pdf"],
    [2285, datetime(2025, 3, 20), None, "What is the budget for grass cutting?",
     "The budget for 2025 is £412,000.", None],
]  # fmt: skip


# -- rows read field by field -----------------------------------------------------------------------
CASES = [(log, i) for log in ("camden", "leicestershire") for i in range(len(EXPECTED[log]["rows"]))]


@pytest.fixture(scope="module", params=CASES, ids=lambda case: f"{case[0]}-{case[1]}")
def row(request: pytest.FixtureRequest) -> tuple[dict[str, Any], RowResponse]:
    log, index = request.param
    valid = [parsed for parsed in _read(log) if not parsed.problems]
    expected = dict(EXPECTED[log]["rows"][index])
    if expected["url"].startswith("#"):
        expected["url"] = BASE + FILES[log] + expected["url"]
    return expected, valid[index]


def test_title_and_reference(row: tuple[dict[str, Any], RowResponse]) -> None:
    expected, parsed = row
    assert (parsed.title, parsed.reference) == (expected["title"], expected["reference"])


def test_published(row: tuple[dict[str, Any], RowResponse]) -> None:
    expected, parsed = row
    assert parsed.published == date.fromisoformat(expected["published"])


def test_outcome_and_exemptions(row: tuple[dict[str, Any], RowResponse]) -> None:
    expected, parsed = row
    assert (parsed.outcome, parsed.exemptions) == (expected["outcome"], expected["exemptions"])


def test_url_is_the_link_or_the_file_and_reference(row: tuple[dict[str, Any], RowResponse]) -> None:
    expected, parsed = row
    assert parsed.url == expected["url"]
    assert parsed.attachments == ([(parsed.url, parsed.title)] if parsed.url.endswith(".pdf") else [])


def test_request_and_response_text(row: tuple[dict[str, Any], RowResponse]) -> None:
    expected, parsed = row
    assert expected["request"] in parsed.request
    assert expected["response"] in parsed.response


def test_rows_lacking_required_fields_say_why() -> None:
    invalid = [(p.number, "; ".join(p.problems)) for p in _read("camden") if p.problems]
    assert invalid == [(entry["row"], entry["reason"]) for entry in EXPECTED["camden"]["invalid"]]


@pytest.mark.parametrize(
    ("name", "key"),
    [("Date Closed", "date_closed"), ("date_closed", "date_closed"), (" DATE  CLOSED ", "date_closed"),
     ("\ufeffReference", "reference"), ("Ref. No.", "ref_no")],
)  # fmt: skip
def test_column_names_match_loosely(name: str, key: str) -> None:
    assert column_key(name) == key


@pytest.mark.parametrize(
    ("value", "fmt", "expected"),
    [
        (datetime(2025, 4, 2, 15, 30), None, date(2025, 4, 2)),
        (date(2025, 4, 2), None, date(2025, 4, 2)),
        ("02/04/2025", None, date(2025, 4, 2)),  # UK order by default
        ("2 April 2025", None, date(2025, 4, 2)),
        ("2025-04-02T00:00:00.000", None, date(2025, 4, 2)),  # Socrata's API
        ("02/04/2025 12:00:00 AM", "%m/%d/%Y %I:%M:%S %p", date(2025, 2, 4)),  # Socrata's export
        ("not a date", "%m/%d/%Y", None),
        ("", None, None),
        (None, None, None),
    ],
)
def test_dates(value: object, fmt: str | None, expected: date | None) -> None:
    assert cell_date(value, fmt) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Part disclosure - exemptions applied", "partially_released"),  # the source's own map
        ("PART DISCLOSURE – exemptions applied", "partially_released"),
        ("Granted in full", "released"),
        ("Information not held", "not_held"),
        ("Refused", "refused"),
        ("Withdrawn", "withdrawn"),
        ("Closed - clarification not received", None),
        ("", None),
    ],
)
def test_outcomes(raw: str, expected: str | None) -> None:
    assert map_outcome(raw, _options("camden").mapped_outcomes()) == expected


def test_cells_as_text() -> None:
    assert cell_text(2291.0) == "2291"
    assert cell_text("  line one \r\n line two  ") == "line one\nline two"
    assert cell_text(datetime(2025, 4, 2)) == "2025-04-02"


def test_encodings() -> None:
    assert decode("£5".encode("utf-8-sig"), "auto") == "£5"
    assert decode("£5 – fee".encode("cp1252"), "auto") == "£5 – fee"
    assert decode("£5".encode("utf-16"), "auto") == "£5"
    with pytest.raises(DataFileError, match="not valid utf-8"):
        decode("£5".encode("cp1252"), "utf-8")


def test_windows_1252_csv_keeps_its_pound_signs_and_finds_the_header_below_a_title() -> None:
    rows = _read("leicestershire")
    assert rows[0].number == 4
    assert "£184,250" in rows[0].response and "‘personal information’" in rows[3].response


def test_semicolons_and_other_delimiters_are_found() -> None:
    body = "Reference;Subject;Request Details;Response Summary;Outcome;Date Response Sent;FOI Reference\n"
    body += "x;Parking, permits;How many?;The information you requested is below: 8,214 permits.;;;FOI 1\n"
    (parsed,) = _read("leicestershire", body.encode())
    assert (parsed.title, parsed.reference) == ("Parking, permits", "FOI 1")


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ((SITE / "garbage/foi-requests.csv").read_bytes(), "an HTML or XML page, not CSV"),
        (b"Ref,Subject,Request\n1,a,b\n", "no header row with the title column 'Title'.*'Ref', 'Subject'"),
        (
            b"Reference,Title,Request,Response,Date Closed,Exemptions,Link\n",
            r"column 'Outcome' \(outcome\) not in",
        ),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1rest", "legacy Excel"),
    ],
)
def test_unreadable_files_say_why(body: bytes, message: str) -> None:
    with pytest.raises(DataFileError, match=message):
        read_table(body, _options("camden"))


def test_a_workbook_where_csv_was_promised_says_so() -> None:
    with pytest.raises(DataFileError, match="ZIP archive"):
        read_table(workbook(), _options("camden", format="csv"))


def test_empty_files_have_no_rows() -> None:
    assert read_table(b"", _options("camden")).rows == []
    assert read_table((SITE / "empty/foi-requests.csv").read_bytes(), _options("camden")).rows == []


def test_a_long_letter_in_one_cell_is_read() -> None:
    letter = "The information you requested is below. " + "Camera 1 is on the High Street. " * 8000
    header = "Reference,Title,Request,Response,Date Closed,Outcome,Exemptions,Link"
    body = f'{header}\n1,CCTV,Where?,"{letter}",,,,\n'
    (parsed,) = _read("camden", body.encode())
    assert len(parsed.response) > 250_000


def test_rows_are_bounded() -> None:
    table = read_table((SITE / FILES["camden"].lstrip("/")).read_bytes(), _options("camden", max_rows=3))
    assert len(table.rows) == 3 and table.truncated


def test_reading_stops_at_the_deadline_keeping_the_rows_read() -> None:
    body = (SITE / FILES["camden"].lstrip("/")).read_bytes()
    table = read_table(body, _options("camden"), time_limit=0)
    assert [row.number for row in table.rows] == [2]
    assert table.truncation == "stopped after 0 s at line 3"
    assert read_table(body, _options("camden")).truncation == ""


def test_rows_beyond_a_sheets_declared_dimension_are_read() -> None:
    """A workbook claiming to span A1:A1 (as some exporters write) is read to its last row."""
    book = zipfile.ZipFile(io.BytesIO(workbook()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for name in book.namelist():
            data = book.read(name)
            if name == "xl/worksheets/sheet2.xml":
                data = re.sub(rb'<dimension ref="[^"]*"/>', b'<dimension ref="A1:A1"/>', data)
            target.writestr(name, data)
    options = DataFileOptions.model_validate({"columns": XLSX_COLUMNS})
    assert [row.number for row in read_table(out.getvalue(), options).rows] == [4, 5, 6]


def test_xlsx_is_read_from_the_sheet_with_the_header() -> None:
    options = DataFileOptions.model_validate({"columns": XLSX_COLUMNS})
    table = read_table(workbook(), options)
    parsed = [read_row(row, table, options, BASE + "/log.xlsx") for row in table.rows]
    assert [(p.reference, p.published, p.problems) for p in parsed] == [
        ("2291", date(2025, 4, 2), []),
        ("2288", date(2025, 3, 28), []),
        ("2285", date(2025, 3, 20), ["no title (column 'Subject' is empty)"]),
    ]
    assert parsed[1].url == "https://www.hamblewick.gov.uk/foi/2288.pdf"
    assert read_table(workbook(), options.model_copy(update={"sheet": 2})).rows == table.rows
    assert read_table(workbook(), options.model_copy(update={"sheet": "disclosure LOG"})).rows == table.rows
    with pytest.raises(DataFileError, match=r"no sheet 'Log' in the workbook; its sheets are \['Notes'"):
        read_table(workbook(), options.model_copy(update={"sheet": "Log"}))
    with pytest.raises(DataFileError, match="not a readable XLSX workbook"):
        read_table(b"PK\x03\x04 truncated", options)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"columns": {"title": "Title"}}, "at least one of 'request' and 'response'"),
        (
            {"columns": {"title": "T", "request": "R"}, "outcome_map": {"Done": "granted"}},
            "unknown outcome granted",
        ),
        ({"columns": {"title": "T", "request": "R"}, "encoding": "klingon"}, "unknown encoding"),
        ({"columns": {"title": "T", "request": "R"}, "delimiter": ";;"}, "delimiter"),
        ({"columns": {"title": "T", "request": "R", "colour": "C"}}, "colour"),
    ],
)
def test_option_mistakes_are_reported(options: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        DataFileOptions.model_validate(options)
