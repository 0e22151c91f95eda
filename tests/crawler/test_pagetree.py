"""The page readers' lxml tree reads text as BeautifulSoup reads it, over every saved page.

Response pages are read from lxml's own tree (``crawler.pagetext``) and listings still from
BeautifulSoup's over the same parser; both must see the same main content, the same links and the
same text, whatever the markup: scripts, comments, entities, whitespace-only strings, bad nesting.
"""

from __future__ import annotations

from pathlib import Path

import lxml.html
import pytest

from crawler.pagetext import (
    _text_lengths,
    clean_content,
    decode_html,
    descendants,
    drop,
    first,
    get_text,
    main_content,
    parse_page,
    parse_soup,
    soup_main_content,
    text_lines,
)
from crawler.platforms.listing import document_links
from crawler.platforms.page import parse_detail

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"

TRICKY = """<html><body><main><h1>FOI 123</h1>
<a href="/files/123"><span>Download</span><span>PDF</span></a>
<a href="/files/124"><!-- x -->&nbsp;pdf version</a>
<a href="/about">About us</a></main></body></html>"""

ODD = """<html><head><title> A  page </title><script>var x = "<p>not text</p>";</script></head>
<body><div id="main-content">Before<!-- a comment -->after<template><p>hidden</p></template>
<ruby>kan<rt>ji</rt></ruby> <pre>  kept
  as written </pre><textarea>  typed  </textarea>
<p>one<br>two <b>bold</b> <i>italic</i></p>\r<span>x</span>\x0c<span>y</span>
<table><tr><td>cell</td><td> </td></tr></table><a href="/letter">Download</a><a>no address</a>
<p>unclosed <div>nested</p> tail</div></div></body></html>"""


def _pages() -> list[Path]:
    """Every saved page that is HTML by its content (many are saved under extension-less names)."""
    files = sorted(p for p in FIXTURES.rglob("*") if p.is_file() and p.suffix not in (".pdf", ".json"))
    return [p for p in files if b"<html" in p.read_bytes()[:5000].lower()]


def _same_reading(html: str) -> None:
    root, soup = parse_page(html), parse_soup(html)
    content, soup_content = main_content(root), soup_main_content(soup)
    # an empty page: BeautifulSoup's document itself, lxml's empty html element
    assert content.tag == (soup_content.name if soup_content is not soup else "html")
    assert get_text(content) == soup_content.get_text()
    assert get_text(content, " ", strip=True) == soup_content.get_text(" ", strip=True)
    anchors = [(a.get("href"), get_text(a, " ", strip=True)) for a in descendants(content, "a")]
    soup_anchors = [(a.get("href"), a.get_text(" ", strip=True)) for a in soup_content.find_all("a")]
    assert anchors == soup_anchors


def test_every_saved_page_reads_the_same_in_both_trees() -> None:
    pages = _pages()
    assert len(pages) > 100
    for page in pages:
        try:
            _same_reading(decode_html(page.read_bytes()))
        except AssertionError as failure:
            raise AssertionError(f"{page.relative_to(FIXTURES)}: {failure}") from failure


# libxml2's own tree stops 256 levels deep (2,048 with its "huge" option), silently.
UNCLOSED = (
    "<html><body><main><h1>Log</h1>" + "<p><font face=Arial>Item %d, CCTV\n" * 400 + "<p>The end</main>"
)
DEEP_FONT = "<main>" + "<font>" * 3000 + "deep text<p>after</p></main>"
DEEP_DIVS = "<main>" + "<div>" * 300 + "deep" + "</div>" * 300 + "<a href=/letter.pdf>letter</a></main>"


@pytest.mark.parametrize(
    "html",
    [TRICKY, ODD, "", "   ", "plain text", "<p>a</p><p>b</p>", UNCLOSED, DEEP_FONT, DEEP_DIVS],
    ids=["tricky", "odd", "empty", "blank", "plain", "two", "unclosed", "deep-font", "deep-divs"],
)
def test_odd_markup_reads_the_same_in_both_trees(html: str) -> None:
    _same_reading(html)


def test_a_deeply_nested_page_keeps_all_its_lines() -> None:
    lines = text_lines(clean_content(parse_page(UNCLOSED)))
    assert lines[0] == "Log" and lines[-1] == "The end" and len(lines) == 402


def test_link_text_split_by_tags_comments_and_entities_is_still_seen() -> None:
    url = "https://www.example.gov.uk/foi/123/"
    assert [text for _, text in document_links(parse_page(TRICKY), url)] == ["Download PDF", "pdf version"]


def test_text_lengths_measured_at_once_equal_each_measured_alone() -> None:
    """The clean-up measures every element's text bottom up in one pass (``_text_lengths``)."""
    measured = 0
    for page in _pages():
        root = parse_page(decode_html(page.read_bytes()))
        for hidden in list(root.iter("script", "style", "template", "rt", "rp")):
            drop(hidden)
        lengths = _text_lengths(root)
        assert lengths is not None
        for element, length in lengths.items():
            assert length == len(get_text(element, " ", strip=True)), page
            measured += 1
    assert measured > 10_000  # elements of every saved page


def test_hidden_strings_are_measured_one_by_one() -> None:
    assert _text_lengths(parse_page(ODD)) is None


def test_a_dropped_element_leaves_the_text_after_it_where_lxml_html_would() -> None:
    markup = "<div>a<p>drop me</p>b<span>c</span><i>drop</i>d<p>e<b>f</b>g</p></div>"
    ours = parse_page(markup)
    theirs = lxml.html.fromstring(markup)
    for root in (ours, theirs):
        assert get_text(root) == "adrop mebcdropdefg"
    for tag in ("p", "i", "b"):
        drop(first(ours, tag))  # type: ignore[arg-type]
        next(theirs.iter(tag)).drop_tree()
        assert get_text(ours) == get_text(theirs)
    assert get_text(ours) == "abcdeg"


def test_a_readers_document_links_are_those_of_a_tree_of_their_own() -> None:
    """``parse_detail`` reads the document links before it cuts its tree to the content, so the
    spiders need not parse the page a second time for them: the same links, on every saved page."""
    found = 0
    for page in [*_pages(), None]:
        html = decode_html(page.read_bytes()) if page is not None else TRICKY
        url = "https://www.example.gov.uk/foi/2024/response-1"
        kept = parse_detail(html, url).document_links
        assert kept == document_links(parse_page(html), url), page
        found += bool(kept)
    assert found >= 2  # pages with such links were among them
