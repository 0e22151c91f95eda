"""Text from attached response letters (PDF, DOCX, plain text), bounded in size, pages and time.

Many councils publish only a letter (Coventry's are PDFs), so the classifier must read it. Limits
keep a hostile or pathological file from stalling a crawl or exhausting its memory:

- the download is capped by Scrapy (``download_maxsize``: ``MAX_ATTACHMENT_BYTES``);
- a DOCX is refused unread when its archive expands past ``DOCX_MAX_EXPANDED`` (see
  ``crawler.archives``): one of 521 KB expanding to 150 MB once took 2 GB to parse;
- a PDF's streams are decoded up to ``PDF_STREAM_MAX`` each and its pages' content up to
  ``PDF_CONTENT_MAX`` together (pypdf keeps every decoded page), at most ``MAX_PAGES`` pages;
- reading stops after ``EXTRACTION_SECONDS``, checked between pages (PDF) and paragraphs (DOCX);
- at most ``MAX_CHARS`` of text are kept.

A letter cut short keeps the text read so far *and* an error saying so: its first pages carry the
decision and any exemptions, which is what the classifier needs, and the error tells the reader
that the text is partial. A file refused before reading has no text, only the error.
"""

from __future__ import annotations

import io
import logging
import re
import time
import zipfile
from collections.abc import Iterator

from docx import Document
from docx.document import Document as DocxDocument
from pypdf import PdfReader, apply_configuration
from pypdf.errors import LimitReachedError, PyPdfError

from crawler.archives import megabytes, zip_refusal

log = logging.getLogger(__name__)

MAX_ATTACHMENT_BYTES = 15_000_000
MAX_PAGES = 60
MAX_CHARS = 200_000
EXTRACTION_SECONDS = 20.0
# A letter's XML is well under 5 MB; the rest allows for images up to the download cap.
DOCX_MAX_EXPANDED = 30_000_000
# A page of text is tens of KB once decoded; even vector drawings rarely reach a few MB.
PDF_STREAM_MAX = 10_000_000
PDF_CONTENT_MAX = 50_000_000
EXTRACTABLE = (".pdf", ".docx", ".txt", ".csv")


def _tidy(text: str) -> str:
    lines = [re.sub(r"[ \t\xa0]+", " ", line).strip() for line in text.splitlines()]
    joined = "\n".join(line for line in lines if line)
    return joined[:MAX_CHARS]


def _first(count: int, noun: str, total: int | None = None) -> str:
    """'the first page', 'the first 3 pages of 60', 'no page'."""
    if count == 0:
        return f"no {noun}"
    of = f" of {total}" if total is not None else ""
    return f"the first {noun}{of}" if count == 1 else f"the first {count} {noun}s{of}"


def pdf_text(body: bytes, time_limit: float = EXTRACTION_SECONDS) -> tuple[str | None, str | None]:
    """(text, error) of a PDF; text is None only when not one page was read."""
    # pypdf's own limits (75 MB a stream by default) lowered to ours for the decoders a content
    # stream can use; images, which text extraction never decodes, keep pypdf's.
    with apply_configuration(
        zlib_maximum_output_length=PDF_STREAM_MAX,
        lzw_maximum_output_length=PDF_STREAM_MAX,
        run_length_maximum_output_length=PDF_STREAM_MAX,
        array_based_stream_maximum_output_length=PDF_STREAM_MAX,
    ):
        reader = PdfReader(io.BytesIO(body))
        if reader.is_encrypted:
            reader.decrypt("")
        pages, error = _pdf_pages(reader, time.monotonic() + time_limit, time_limit)
    return (_tidy("\n".join(pages)) if pages else None), error


def _pdf_pages(reader: PdfReader, deadline: float, time_limit: float) -> tuple[list[str], str | None]:
    """The pages' texts, up to a limit, and why reading stopped early (None when it did not)."""
    total = len(reader.pages)
    texts: list[str] = []
    expanded = 0
    for number, page in enumerate(reader.pages[:MAX_PAGES], start=1):
        kept = f"text of {_first(number - 1, 'page')} kept"
        try:
            # pypdf keeps every page's decoded content, so the pages are bounded together too.
            contents = page.get_contents()
            expanded += len(contents.get_data()) if contents is not None else 0
            if expanded > PDF_CONTENT_MAX:
                return texts, (
                    f"stopped at page {number} of {total}: the pages' content expands beyond "
                    f"{megabytes(PDF_CONTENT_MAX)}; {kept}"
                )
            texts.append(page.extract_text() or "")
        except LimitReachedError as exc:
            return texts, f"stopped at page {number} of {total}, over a size limit ({exc}); {kept}"
        if number < min(total, MAX_PAGES) and time.monotonic() >= deadline:
            return texts, f"stopped after {time_limit:g} s: text of {_first(number, 'page', total)} kept"
    return texts, None


def docx_text(body: bytes, time_limit: float = EXTRACTION_SECONDS) -> tuple[str | None, str | None]:
    """(text, error) of a DOCX: its paragraphs, then its tables a row a line."""
    refusal = zip_refusal(body, "DOCX", DOCX_MAX_EXPANDED)
    if refusal:
        return None, refusal
    deadline = time.monotonic() + time_limit
    parts: list[str] = []
    for part in _docx_parts(Document(io.BytesIO(body))):
        if parts and time.monotonic() >= deadline:  # checked only while there is more to read
            stopped = f"stopped after {time_limit:g} s: text of {_first(len(parts), 'paragraph')} kept"
            return _tidy("\n".join(parts)), stopped
        parts.append(part)
    return _tidy("\n".join(parts)), None


def _docx_parts(document: DocxDocument) -> Iterator[str]:
    for paragraph in document.paragraphs:
        yield paragraph.text
    for table in document.tables:
        for row in table.rows:
            yield " | ".join(cell.text for cell in row.cells)


def _kind(url: str, content_type: str, body: bytes) -> str | None:
    path = url.lower().split("?")[0]
    if body.startswith(b"%PDF") or "pdf" in content_type or path.endswith(".pdf"):
        return "pdf"
    if "wordprocessingml" in content_type or path.endswith(".docx"):
        return "docx"
    if content_type.startswith("text/") or path.endswith((".txt", ".csv")):
        return "text"
    return None


def extract_text(
    body: bytes, url: str, content_type: str = "", time_limit: float = EXTRACTION_SECONDS
) -> tuple[str | None, str | None]:
    """(text, error): text is None when the file could not be read, error says why; both are set
    when reading stopped at a limit (``time_limit`` seconds, or a size) and the text is the part
    read before it."""
    kind = _kind(url, content_type, body)
    try:
        if kind == "pdf":
            return pdf_text(body, time_limit)
        if kind == "docx":
            return docx_text(body, time_limit)
        if kind == "text":
            return _tidy(body.decode("utf-8", errors="replace")), None
    except (PyPdfError, zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        return None, f"unreadable {kind}: {type(exc).__name__}: {exc}"[:300]
    except Exception as exc:  # a malformed file must not stop the crawl
        log.warning("unexpected error reading %s: %s", url, exc)
        return None, f"unreadable {kind}: {type(exc).__name__}"
    return None, f"not a readable document type ({content_type or 'unknown'})"
