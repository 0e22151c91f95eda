"""Page clean-up with BeautifulSoup: find the main content, drop site chrome, keep readable lines.

Markup differs from site to site and changes without notice, so chrome is recognised by what it
is (navigation, forms, cookie and beta banners) and by its well-known sentences, never by one template.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bs4 import BeautifulSoup, Tag

_BLOCKS = {
    "p",
    "div",
    "section",
    "article",
    "li",
    "tr",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "br",
    "dt",
    "dd",
    "table",
    "ul",
    "ol",
    "blockquote",
    "pre",
    "header",
    "footer",
    "main",
}
_DROP_TAGS = (
    "script",
    "style",
    "noscript",
    "template",
    "svg",
    "form",
    "nav",
    "header",
    "footer",
    "aside",
    "iframe",
)
_CHROME_ATTR = re.compile(
    r"cookie|consent|banner|breadcrumb|skip-?link|quick-?exit|leave-?this|share|social|feedback|beta"
    r"|site-?header|site-?footer|navigation|menu|search-?form|sidebar|related",
    re.I,
)
_CHROME_LINES = [
    re.compile(p, re.I)
    for p in (
        r"^quickly exit this site",
        r"^leave this site$",
        r"^we use (some )?(essential )?cookies",
        r"^you can manage your preferences and cookie settings",
        r"^your cookie preferences have been saved",
        r"^sorry, there was a technical problem",
        r"^this site is a beta",
        r"^we.re aware of an issue affecting",
        r"^(accept|reject) (all |additional |analytics )?cookies$",
        r"^customise cookies$",
        r"^skip to (main )?content$",
        r"^back to top$",
        r"^share this page",
        r"^(was this page|is this page) (helpful|useful)",
        r"^print this page$",
    )
]


@dataclass(frozen=True)
class PageLink:
    url: str
    text: str
    context: str


def _drop_chrome(root: Tag) -> None:
    for tag in root.find_all(_DROP_TAGS):
        tag.decompose()
    # A wrapper whose class merely mentions "sidebar" must not take the content with it.
    total = len(root.get_text(" ", strip=True))
    for tag in root.find_all(True):
        if tag.decomposed or tag.name in ("main", "body", "html", "article"):
            continue
        if len(tag.get_text(" ", strip=True)) > total / 2:
            continue
        marker = " ".join(value for name in ("class", "id", "role") for value in tag.get_attribute_list(name))
        if tag.get("role") in ("navigation", "banner", "contentinfo", "search") or (
            marker.strip() and _CHROME_ATTR.search(marker)
        ):
            tag.decompose()


def main_content(soup: BeautifulSoup) -> Tag:
    """The element holding the page's own content: ``<main>``, ``role=main``, an article, else body."""
    for finder in (
        lambda: soup.find("main"),
        lambda: soup.find(role="main"),
        lambda: soup.find(id=re.compile(r"^(main-?content|content|main)$", re.I)),
        lambda: soup.find("article"),
        lambda: soup.body,
    ):
        found = finder()
        if isinstance(found, Tag):
            return found
    return soup


def text_lines(element: Tag) -> list[str]:
    """Readable lines of an element: block elements break lines, whitespace collapsed, chrome dropped."""
    for br in element.find_all("br"):
        br.replace_with("\n")
    for cell in element.find_all(("td", "th")):
        cell.insert_before(" ")
        cell.insert_after(" ")
    for block in element.find_all(_BLOCKS):
        block.insert_before("\n")
        block.insert_after("\n")
    lines = []
    for raw in element.get_text("").splitlines():
        line = re.sub(r"\s+", " ", raw.replace("\xa0", " ")).strip()
        if line and not any(p.search(line) for p in _CHROME_LINES):
            lines.append(line)
    return lines


def parse_page(html: str | bytes) -> BeautifulSoup:
    return BeautifulSoup(html, "html.parser")


def clean_content(soup: BeautifulSoup) -> Tag:
    """Main content with chrome removed (mutates the soup: parse a fresh one per use)."""
    content = main_content(soup)
    _drop_chrome(content)
    return content


def strip_chrome_lines(text: str) -> str:
    """Chrome sentences removed from text that was extracted elsewhere (e.g. a seed's page text)."""
    kept = [line for line in text.splitlines() if not any(p.search(line.strip()) for p in _CHROME_LINES)]
    return "\n".join(kept)


_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?([\w.:-]+)""", re.I)


def decode_html(body: bytes, declared: str | None = None) -> str:
    """A page's text whatever its charset claims.

    Valid UTF-8 is UTF-8 (sites that say ``iso-8859-1`` in a meta tag often send UTF-8); otherwise the
    declared or meta charset if it decodes; otherwise windows-1252, what old council CMSs write.
    """
    try:
        return body.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    meta = _META_CHARSET.search(body[:4096])
    candidates = [declared, meta.group(1).decode("ascii", "replace") if meta else None]
    for encoding in candidates:
        name = (encoding or "").lower().replace("_", "-")
        if not name or name in ("utf-8", "utf8") or name in _SINGLE_BYTE:
            continue
        try:
            return body.decode(name)
        except (UnicodeDecodeError, LookupError):
            continue
    return body.decode("cp1252", errors="replace")


# Browsers read these as windows-1252 (WHATWG), so a "latin-1" page's curly quotes survive.
_SINGLE_BYTE = {"iso-8859-1", "iso8859-1", "latin-1", "latin1", "ascii", "us-ascii", "cp1252", "windows-1252"}
