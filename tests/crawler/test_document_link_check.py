"""``may_link_documents`` (a quick lxml look) must never say "no" where ``document_links`` (the full
BeautifulSoup reading) finds a document link: checked over every saved HTML page in the fixtures."""

from __future__ import annotations

from pathlib import Path

from scrapy.http import HtmlResponse

from crawler.pagetext import decode_html, parse_page
from crawler.platforms.listing import document_links, may_link_documents

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"

TRICKY = """<html><body><main><h1>FOI 123</h1>
<a href="/files/123"><span>Download</span><span>PDF</span></a>
<a href="/files/124"><!-- x -->&nbsp;pdf version</a>
<a href="/about">About us</a></main></body></html>"""


def _pages() -> list[Path]:
    """Every saved page that is HTML by its content (many are saved under extension-less names)."""
    files = sorted(
        p for p in FIXTURES.rglob("*") if p.is_file() and p.suffix not in (".pdf", ".json", ".yaml")
    )
    return [p for p in files if b"<html" in p.read_bytes()[:5000].lower()]


def test_the_quick_look_is_never_wrong_about_a_page_with_document_links() -> None:
    pages = _pages()
    assert len(pages) > 100
    found = 0
    for page in pages:
        body = page.read_bytes()
        if b"<a" not in body.lower():
            continue
        url = "https://www.example.gov.uk/foi/" + page.parent.name + "/"
        response = HtmlResponse(url, body=body, encoding="utf-8")
        links = document_links(parse_page(decode_html(body)), url)
        found += bool(links)
        assert may_link_documents(response) or not links, (page, links)
    assert found >= 1  # the check above has been exercised on pages that do link documents


def test_link_text_split_by_tags_comments_and_entities_is_still_seen() -> None:
    url = "https://www.example.gov.uk/foi/123/"
    response = HtmlResponse(url, body=TRICKY.encode(), encoding="utf-8")
    assert len(document_links(parse_page(TRICKY), url)) == 2
    assert may_link_documents(response)
    plain = TRICKY.replace("Download", "Read").replace("pdf version", "more")
    assert not may_link_documents(HtmlResponse(url, body=plain.encode(), encoding="utf-8"))
