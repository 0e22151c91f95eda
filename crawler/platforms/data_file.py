"""CSV and XLSX disclosure logs: options with a per-source column map, and rows read into responses.

Camden publishes its log on Socrata (CSV), Leicestershire as spreadsheet downloads; every publisher
names its columns differently, so each source maps them. Names match loosely ("Date Closed",
"date_closed" and " DATE  CLOSED " are one column) and the header row is found by the title column,
so a title row or a notes block above the table does no harm. A configured column missing from the
header is a loud error: a renamed column must not look like a log with no responses.

Workbooks are read with openpyxl in read-only mode, which parses their XML with defusedxml when it
is installed (it is a dependency). A hostile or broken file is bounded before and while it is read:
a workbook expanding past ``XLSX_MAX_EXPANDED`` is refused unopened (``crawler.archives``); every
row after the header counts, blank ones included, so a sheet of a million empty rows stops after
``max_rows`` plus ``BLANK_ROW_ALLOWANCE``; reading stops after ``READ_SECONDS``; a CSV cell is at
most ``MAX_CELL_CHARS`` long. A log cut short is returned with the rows read and the reason, so the
run is marked incomplete rather than failed; a file refused outright is a ``DataFileError``.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import time
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from itertools import islice
from typing import Annotated, Literal
from urllib.parse import quote, urljoin

from openpyxl import Workbook, load_workbook
from openpyxl.utils.exceptions import InvalidFileException
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from crawler.archives import zip_refusal
from crawler.normalise import OUTCOMES, classify_outcome, clean_reference, parse_exemptions, parse_uk_date
from crawler.platforms.listing import canonical_url, is_attachment

HEADER_SEARCH_ROWS = 20
DELIMITERS = (",", ";", "\t", "|")
MAX_REFERENCE_CHARS = 200
MAX_CELL_CHARS = 2_000_000
# Shared strings are held in memory whole; a 20,000-row log with long responses is well under this.
XLSX_MAX_EXPANDED = 100_000_000
# Blank rows read beyond max_rows before giving up: room for spacer rows, not for a million of them.
BLANK_ROW_ALLOWANCE = 50_000
READ_SECONDS = 60.0

# Outcome wordings common in UK logs, used when the source's outcome_map does not name a value.
_USUAL_WORDING = {
    "released": "released, granted, granted in full, disclosed, released in full, information provided, "
    "full disclosure, information released, answered",
    "partially_released": "partially released, part released, partially granted, part granted, "
    "partial disclosure, partially disclosed, released in part, part disclosed",
    "refused": "refused, withheld, exempt, refused in full, refused - exempt",
    "not_held": "not held, information not held, no information held",
    "neither_confirm_nor_deny": "ncnd, neither confirm nor deny",
    "withdrawn": "withdrawn, request withdrawn, closed - withdrawn",
}


class ColumnMap(BaseModel):
    """Which column holds which field, by its header as printed. Title and a text column are required."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    title: Annotated[str, Field(min_length=1)]
    reference: str | None = None
    published: str | None = None
    request: str | None = None
    response: str | None = None
    outcome: str | None = None
    exemptions: str | None = None
    url: str | None = None
    authority: str | None = None

    @model_validator(mode="after")
    def _has_text(self) -> ColumnMap:
        if not self.request and not self.response:
            raise ValueError("map at least one of 'request' and 'response' to a column")
        return self

    def mapped(self) -> dict[str, str]:
        """Field -> column header, for the fields this source maps."""
        return {name: value for name, value in self.model_dump().items() if value}


class DataFileOptions(BaseModel):
    """``options:`` of a ``data_file`` source."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    columns: ColumnMap
    format: Literal["auto", "csv", "xlsx"] = "auto"
    # XLSX: a sheet's name, or its position counting from 1; unset: the first sheet with the header.
    sheet: str | Annotated[int, Field(gt=0)] | None = None
    # "auto": UTF-8 (with or without BOM), UTF-16 with a BOM, else Windows-1252.
    encoding: str = "auto"
    # CSV: unset, the first of , ; tab | that yields the header.
    delimiter: Annotated[str, Field(min_length=1, max_length=1)] | None = None
    # The log's own outcome wording -> outcome; matched ignoring case and spacing.
    outcome_map: dict[str, str] = {}
    # strptime format of the date column (e.g. Socrata exports: "%m/%d/%Y %I:%M:%S %p"); unset: UK dates.
    date_format: str | None = None
    max_rows: Annotated[int, Field(gt=0)] = 20_000
    fetch_attachments: bool = False

    @field_validator("encoding")
    @classmethod
    def _known_codec(cls, value: str) -> str:
        if value != "auto":
            try:
                codecs.lookup(value)
            except LookupError as exc:
                raise ValueError(f"unknown encoding {value!r}; use 'auto' or e.g. 'utf-8', 'cp1252'") from exc
        return value

    @field_validator("outcome_map")
    @classmethod
    def _known_outcomes(cls, value: dict[str, str]) -> dict[str, str]:
        unknown = sorted({outcome for outcome in value.values() if outcome not in OUTCOMES})
        if unknown:
            raise ValueError(f"unknown outcome {', '.join(unknown)}; outcomes are: {', '.join(OUTCOMES)}")
        return value

    def mapped_outcomes(self) -> dict[str, str]:
        return {column_key(k): v for k, v in self.outcome_map.items()}


class DataFileError(ValueError):
    """The file is not a readable log with the configured columns; the message says why."""


@dataclass(frozen=True)
class DataRow:
    number: int  # the row's line in the sheet (1 is the first), for messages
    cells: tuple[object, ...]


@dataclass(frozen=True)
class Table:
    header: tuple[str, ...] = ()
    positions: dict[str, int] = field(default_factory=dict)  # field -> column index
    rows: list[DataRow] = field(default_factory=list)
    truncation: str = ""  # why the rest of the file was not read; empty when all of it was

    @property
    def truncated(self) -> bool:
        return bool(self.truncation)

    def cell(self, row: DataRow, name: str) -> object:
        index = self.positions.get(name)
        return row.cells[index] if index is not None and index < len(row.cells) else None


@dataclass
class RowResponse:
    """One row read as a response; ``problems`` says why it is not one."""

    number: int
    url: str = ""
    title: str = ""
    authority: str | None = None
    reference: str | None = None
    published: date | None = None
    request: str = ""
    response: str = ""
    outcome: str | None = None
    exemptions: list[str] = field(default_factory=list)
    attachments: list[tuple[str, str]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def column_key(name: str) -> str:
    """'Date Closed', 'date_closed' and ' DATE  CLOSED ' -> 'date_closed'."""
    return re.sub(r"[^0-9a-z]+", "_", name.casefold()).strip("_")


_USUAL_OUTCOMES = {
    column_key(wording): outcome
    for outcome, wordings in _USUAL_WORDING.items()
    for wording in wordings.split(", ")
}


# -- files into tables -----------------------------------------------------------------------------
def read_table(body: bytes, options: DataFileOptions, time_limit: float = READ_SECONDS) -> Table:
    """The log's header and data rows, cut short at ``max_rows`` or ``time_limit`` seconds (the
    table says why); raises ``DataFileError``."""
    if not body.strip():
        return Table()
    kind = options.format
    if kind == "auto":
        kind = "xlsx" if body.startswith(b"PK\x03\x04") else "csv"
    if body.startswith(b"\xd0\xcf\x11\xe0"):
        raise DataFileError("a legacy Excel (.xls) workbook; only XLSX and CSV are read")
    if kind == "xlsx":
        return read_xlsx(body, options, time_limit)
    if body.startswith(b"PK\x03\x04"):
        raise DataFileError("expected CSV but the file is a ZIP archive (an XLSX workbook? set format: xlsx)")
    return read_csv(decode(body, options.encoding), options, time_limit)


def decode(body: bytes, encoding: str) -> str:
    if encoding != "auto":
        try:
            return body.decode(encoding)
        except UnicodeDecodeError as exc:
            raise DataFileError(
                f"the file is not valid {encoding} (byte {exc.start}); set the right encoding, or 'auto'"
            ) from exc
    if body.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return body.decode("utf-16")
    try:
        return body.decode("utf-8-sig")
    except UnicodeDecodeError:
        # Excel's "CSV" on Windows; the five bytes cp1252 leaves undefined are replaced, not fatal.
        return body.decode("cp1252", errors="replace")


def read_csv(text: str, options: DataFileOptions, time_limit: float = READ_SECONDS) -> Table:
    head = text.lstrip()[:200].lower()
    if head.startswith(("<!doctype html", "<html", "<?xml", "<head", "<body")):
        raise DataFileError("the file is an HTML or XML page, not CSV (a moved link or an error page?)")
    # A full response letter in one cell can pass csv's default 128 KB field limit.
    previous_limit = csv.field_size_limit(MAX_CELL_CHARS)
    try:
        for delimiter in [options.delimiter] if options.delimiter else DELIMITERS:
            rows = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
            table = _table(rows, options, time_limit)
            if table is not None:
                return table
        first_row = next(csv.reader(io.StringIO(text, newline="")), [])
    except csv.Error as exc:
        if "field limit" in str(exc):
            raise DataFileError(
                f"unreadable CSV: a cell longer than {MAX_CELL_CHARS:,} characters (a quote left open?)"
            ) from exc
        raise DataFileError(f"unreadable CSV ({exc})") from exc
    finally:
        csv.field_size_limit(previous_limit)
    raise _no_header(first_row, options)


def _open_workbook(body: bytes) -> Workbook:
    """The workbook, read-only, once its archive is known to be safe to unpack."""
    try:
        refusal = zip_refusal(body, "XLSX", XLSX_MAX_EXPANDED)
        if not refusal:
            return load_workbook(io.BytesIO(body), read_only=True, data_only=True)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError, ValueError) as exc:
        raise DataFileError(f"not a readable XLSX workbook ({type(exc).__name__}: {exc})") from exc
    raise DataFileError(refusal)


def read_xlsx(body: bytes, options: DataFileOptions, time_limit: float = READ_SECONDS) -> Table:
    workbook = _open_workbook(body)
    try:
        sheets = workbook.worksheets
        names = [sheet.title for sheet in sheets]
        if isinstance(options.sheet, str):
            sheets = [s for s in sheets if s.title.casefold() == options.sheet.casefold()]
        elif isinstance(options.sheet, int):
            sheets = sheets[options.sheet - 1 : options.sheet]
        if not sheets:
            raise DataFileError(f"no sheet {options.sheet!r} in the workbook; its sheets are {names}")
        for sheet in sheets:
            # The declared dimension is not trusted: "A1:XFD1048576" would pad every row to 16,384
            # cells, and one too small would hide the rows beyond it.
            sheet.reset_dimensions()
            table = _table(sheet.iter_rows(values_only=True), options, time_limit)
            if table is not None:
                return table
        raise _no_header(next(sheets[0].iter_rows(values_only=True), ()), options)
    finally:
        workbook.close()


def _find_header(rows: Iterator[Sequence[object]], title: str) -> tuple[int, tuple[str, ...]] | None:
    """The first row naming the title column, and its line; the iterator is left just after it."""
    for number, row in enumerate(islice(rows, HEADER_SEARCH_ROWS), start=1):
        header = tuple(cell_text(cell) for cell in row)
        if column_key(title) in [column_key(name) for name in header]:
            return number, header
    return None


def _table(rows: Iterable[Sequence[object]], options: DataFileOptions, time_limit: float) -> Table | None:
    """The table whose header holds the title column, or None if none of the first rows does."""
    remaining = iter(rows)
    found = _find_header(remaining, options.columns.title)
    if found is None:
        return None
    number, header = found
    keys = [column_key(name) for name in header]
    positions: dict[str, int] = {}
    missing: list[str] = []
    for name, column in options.columns.mapped().items():
        if column_key(column) in keys:
            positions[name] = keys.index(column_key(column))
        else:
            missing.append(f"{column!r} ({name})")
    if missing:
        raise DataFileError(f"column {', '.join(missing)} not in the header, which has: {_listing(header)}")
    data, truncation = _data_rows(remaining, number + 1, options, time_limit)
    return Table(header, positions, data, truncation)


def _data_rows(
    rows: Iterator[Sequence[object]], first_line: int, options: DataFileOptions, time_limit: float
) -> tuple[list[DataRow], str]:
    """The non-blank rows below the header, and why reading stopped early ('' if it did not).

    Every row counts against the cap, blank ones too: a sheet padded with a million empty rows
    costs as much to read as a full one, and whether data follows them cannot be known cheaply.
    """
    deadline = time.monotonic() + time_limit
    most_rows = options.max_rows + BLANK_ROW_ALLOWANCE
    data: list[DataRow] = []
    for read, (line, cells) in enumerate(enumerate(rows, start=first_line), start=1):
        if read > most_rows:
            blank = most_rows - len(data)
            return data, f"stopped at line {line:,} after {most_rows:,} rows, {blank:,} of them blank"
        if read > 1 and time.monotonic() >= deadline:
            return data, f"stopped after {time_limit:g} s at line {line:,}"
        if any(cell_text(cell) != "" for cell in cells):
            if len(data) >= options.max_rows:
                return data, f"more than {options.max_rows:,} rows (max_rows); the rest not read"
            data.append(DataRow(line, tuple(cells)))
    return data, ""


def _no_header(first_row: Sequence[object], options: DataFileOptions) -> DataFileError:
    return DataFileError(
        f"no header row with the title column {options.columns.title!r} in the first "
        f"{HEADER_SEARCH_ROWS} rows; the first row reads: {_listing([cell_text(c) for c in first_row])}"
    )


def _listing(names: Sequence[str]) -> str:
    shown = ", ".join(repr(name) for name in names[:15] if name)
    return (shown or "(nothing)")[:300]


# -- rows into responses ---------------------------------------------------------------------------
def cell_text(value: object) -> str:
    """A cell as text: trimmed lines, spreadsheet numbers without a spurious '.0'."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else value.isoformat(" ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    lines = [line.strip() for line in str(value).replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    return "\n".join(lines).strip()


def cell_date(value: object, date_format: str | None = None) -> date | None:
    """A date cell: a spreadsheet date, text in ``date_format``, or a UK-style date."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = cell_text(value)
    if not text:
        return None
    if date_format:
        try:
            return datetime.strptime(text, date_format).date()
        except ValueError:
            return None
    return parse_uk_date(text)


def map_outcome(raw: str, outcome_map: dict[str, str]) -> str | None:
    """The log's outcome wording as an outcome: the source's map, the usual wordings, then the text."""
    key = column_key(raw)
    if not key:
        return None
    mapped = outcome_map.get(key) or _USUAL_OUTCOMES.get(key)
    return mapped or classify_outcome(raw)


def read_row(row: DataRow, table: Table, options: DataFileOptions, file_url: str) -> RowResponse:
    """One data row as a response; rows lacking a title or any text come back with ``problems``."""
    text = {name: cell_text(table.cell(row, name)) for name in table.positions}
    parsed = RowResponse(number=row.number, title=" ".join(text.get("title", "").split()))
    parsed.reference = clean_reference(text["reference"]) if text.get("reference") else None
    parsed.authority = text.get("authority") or None
    parsed.published = cell_date(table.cell(row, "published"), options.date_format)
    parsed.request = text.get("request", "")
    parsed.response = text.get("response", "") or _other_cells(row, table)
    parsed.outcome = map_outcome(text.get("outcome", ""), options.mapped_outcomes()) or classify_outcome(
        text.get("response", "")
    )
    parsed.exemptions = parse_exemptions(text.get("exemptions") or parsed.response)
    _locate(parsed, text.get("url", ""), file_url)
    _check(parsed, text, options.columns)
    return parsed


def _other_cells(row: DataRow, table: Table) -> str:
    """A row without response text: its other columns (outcome, dates, exemptions) as labelled lines."""
    labelled = ("title", "reference", "request", "url", "authority")
    used = {table.positions[name] for name in labelled if name in table.positions}
    lines = []
    for index, name in enumerate(table.header):
        value = cell_text(row.cells[index]) if index < len(row.cells) else ""
        if index not in used and name and value:
            lines.append(f"{name}: {value}")
    return "\n".join(lines)


def _locate(parsed: RowResponse, link: str, file_url: str) -> None:
    absolute = urljoin(file_url, link) if link else ""
    if re.match(r"^https?://[^/\s]+", absolute):
        parsed.url = canonical_url(absolute)
        if is_attachment(parsed.url):
            parsed.attachments.append((parsed.url, parsed.title))
    elif parsed.reference:
        parsed.url = f"{canonical_url(file_url)}#{quote(parsed.reference, safe='/')}"


def _check(parsed: RowResponse, text: dict[str, str], columns: ColumnMap) -> None:
    if not parsed.title:
        parsed.problems.append(f"no title (column {columns.title!r} is empty)")
    if not text.get("request") and not text.get("response"):
        named = " or ".join(repr(c) for c in (columns.request, columns.response) if c)
        parsed.problems.append(f"no request or response text (column {named} is empty)")
    if not parsed.url:
        parsed.problems.append("neither a link nor a reference to tell it apart from other rows")
    if parsed.reference and len(parsed.reference) > MAX_REFERENCE_CHARS:
        parsed.problems.append(f"reference longer than {MAX_REFERENCE_CHARS} characters")
