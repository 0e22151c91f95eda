"""Attachment text: PDF and DOCX letters read, bad files reported, and a real crawl that fetches them."""

from __future__ import annotations

import io
from pathlib import Path

from docx import Document
from sqlalchemy import select

from crawler.attachments import MAX_CHARS, extract_text
from monitor.app import open_app
from monitor.demo.localsite import LocalSite
from monitor.service.crawls import crawl_source
from storage.models import Attachment
from tests.conftest import SOH_SITE, write_config

ASSETS = SOH_SITE / "SysSiteAssets/foi-media/metropolitan-police/disclosure_2023/november_2023"


def test_pdf_text() -> None:
    body = (ASSETS / "police-vehicle-fleet-costs-annex-a.pdf").read_bytes()
    assert extract_text(body, "https://x.uk/a.pdf") == (
        "01.FOI.23.032206 Annex A - Fleet size and costs",
        None,
    )


def test_docx_text_includes_tables() -> None:
    document = Document()
    document.add_paragraph("Request ID: REQ06487")
    document.add_paragraph("We can advise that there are three Hikvision cameras.")
    table = document.add_table(rows=1, cols=2)
    table.rows[0].cells[0].text, table.rows[0].cells[1].text = "Site", "Cameras"
    buffer = io.BytesIO()
    document.save(buffer)
    text, error = extract_text(buffer.getvalue(), "https://x.uk/letter.docx")
    assert (
        error is None
        and text
        == "Request ID: REQ06487\nWe can advise that there are three Hikvision cameras.\nSite | Cameras"
    )


def test_unreadable_and_unknown_files_say_why() -> None:
    text, error = extract_text(b"%PDF-1.4 this is not really a pdf", "https://x.uk/broken.pdf")
    assert text is None and error and error.startswith("unreadable pdf")
    text, error = extract_text(b"PK\x03\x04garbage", "https://x.uk/broken.docx")
    assert text is None and error and error.startswith("unreadable docx")
    assert extract_text(b"\x00\x01", "https://x.uk/image.png", "image/png") == (
        None,
        "not a readable document type (image/png)",
    )


def test_text_is_bounded() -> None:
    text, _ = extract_text(("CCTV " * 100_000).encode(), "https://x.uk/big.txt", "text/plain")
    assert text is not None and len(text) == MAX_CHARS


def test_crawl_stores_attachment_text_when_asked(
    tmp_path: Path, database_url: str, soh_site: LocalSite
) -> None:
    config = write_config(
        tmp_path / "config",
        [
            {
                "id": "met",
                "platform": "police_soh",
                "authority": "Metropolitan Police Service",
                "url": soh_site.url("/foi-ai/metropolitan-police/disclosure-log/"),
                "options": {"fetch_attachments": True},
            }
        ],
    )
    app = open_app(config, database_url, tmp_path / "data")
    summary = crawl_source(app.database, app.config, app.config.source("met"), app.data_dir, "full")
    assert summary.status == "succeeded" and summary.items == 12
    with app.database.session() as session:
        texts = {
            a.url.rsplit("/", 1)[-1]: (a.text, a.content_type) for a in session.scalars(select(Attachment))
        }
    assert texts["police-vehicle-fleet-costs-annex-b.pdf"] == (
        "01.FOI.23.032206 Annex B - Vehicles written off",
        "application/pdf",
    )
    assert len(texts) == 4
