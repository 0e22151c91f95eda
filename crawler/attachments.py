"""Text from attached response letters (PDF, DOCX, plain text), bounded in size and pages.

Many councils publish only a letter (Coventry's are PDFs), so the classifier must read it. Limits
keep a hostile or huge file from stalling a crawl: the download is capped by Scrapy
(``download_maxsize``), extraction reads at most ``MAX_PAGES`` pages and keeps ``MAX_CHARS``.
"""

from __future__ import annotations

import io
import logging
import re
import zipfile

from docx import Document
from pypdf import PdfReader
from pypdf.errors import PdfReadError

log = logging.getLogger(__name__)

MAX_ATTACHMENT_BYTES = 15_000_000
MAX_PAGES = 60
MAX_CHARS = 200_000
EXTRACTABLE = (".pdf", ".docx", ".txt", ".csv")


def _tidy(text: str) -> str:
    lines = [re.sub(r"[ \t\xa0]+", " ", line).strip() for line in text.splitlines()]
    joined = "\n".join(line for line in lines if line)
    return joined[:MAX_CHARS]


def pdf_text(body: bytes) -> str:
    reader = PdfReader(io.BytesIO(body))
    if reader.is_encrypted:
        reader.decrypt("")
    return _tidy("\n".join((page.extract_text() or "") for page in reader.pages[:MAX_PAGES]))


def docx_text(body: bytes) -> str:
    document = Document(io.BytesIO(body))
    parts = [paragraph.text for paragraph in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            parts.append(" | ".join(cell.text for cell in row.cells))
    return _tidy("\n".join(parts))


def _kind(url: str, content_type: str, body: bytes) -> str | None:
    path = url.lower().split("?")[0]
    if body.startswith(b"%PDF") or "pdf" in content_type or path.endswith(".pdf"):
        return "pdf"
    if "wordprocessingml" in content_type or path.endswith(".docx"):
        return "docx"
    if content_type.startswith("text/") or path.endswith((".txt", ".csv")):
        return "text"
    return None


def extract_text(body: bytes, url: str, content_type: str = "") -> tuple[str | None, str | None]:
    """(text, error): text is None when the file could not be read, error says why."""
    kind = _kind(url, content_type, body)
    try:
        if kind == "pdf":
            return pdf_text(body), None
        if kind == "docx":
            return docx_text(body), None
        if kind == "text":
            return _tidy(body.decode("utf-8", errors="replace")), None
    except (PdfReadError, zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        return None, f"unreadable {kind}: {type(exc).__name__}: {exc}"[:300]
    except Exception as exc:  # a malformed file must not stop the crawl
        log.warning("unexpected error reading %s: %s", url, exc)
        return None, f"unreadable {kind}: {type(exc).__name__}"
    return None, f"not a readable document type ({content_type or 'unknown'})"
