"""Page clean-up with BeautifulSoup: find the main content, drop site chrome, keep readable lines.

Markup differs from site to site and changes without notice, so chrome is recognised by what it
is (navigation, forms, cookie and beta banners) and by its well-known sentences, never by one template.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
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
        r"^this (?:web)?site uses cookies",
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


_DOCUMENT_LINK = re.compile(r"\.(?:pdf|docx?|xlsx?|csv|odt|ods|pptx?|zip|rtf|txt)(?:[?#]|$)", re.I)
_HEADINGS = ("h1", "h2", "h3", "h4", "h5", "h6")
_FURNITURE_BLOCKS = ("div", "section", "aside", "ul", "ol", "p", "dl", "table", "figure")
# An invitation to act: what a call to action asks of the reader, whichever site words it.
_INVITATION = re.compile(
    r"\b(?:want\s+to\s+(?:make|submit|ask|request)|(?:make|making|submit)\s+(?:a|an|your)\s+(?:[\w-]+\s+){0,2}"
    r"request|sign\s+up|subscribe|we.ll\s+(?:e-?mail|send|let)\s+you|e-?mail\s+alerts?|get\s+(?:updates|alerts)"
    r"|everything\s+you\s+need\s+to\s+know|how\s+to\s+(?:make|submit)\s+(?:a|an|your)|start\s+now)\b",
    re.I,
)
_RELATED_HEADING = re.compile(
    r"^(?:related(?:\s+\w+){0,2}|see\s+also|more\s+(?:in|from|on|like)\s+this(?:\s+\w+)?|you\s+(?:may|might)\s+also"
    r"(?:\s+\w+){0,3}|other\s+(?:requests|responses|pages|disclosures)(?:\s+\w+){0,3}|popular\s+(?:pages|requests))$",
    re.I,
)
CALL_TO_ACTION_CHARS = 320


def _text_length(tag: Tag) -> int:
    return len(tag.get_text(" ", strip=True))


def _links(tag: Tag) -> list[Tag]:
    return [a for a in tag.find_all("a", href=True) if isinstance(a, Tag)]


def is_link_block(tag: Tag) -> bool:
    """Navigation by its shape: three or more links making up most of the text, or a card that is
    one link wrapping a heading. Lists of documents are the response's attachments, never furniture.
    """
    links = _links(tag)
    if not links or any(_DOCUMENT_LINK.search(str(a["href"])) for a in links):
        return False
    introduced = tag.find_previous_sibling()
    if introduced is not None and introduced.get_text(" ", strip=True).endswith(":"):
        return False  # "The information is published here:" and its links are the answer
    total = _text_length(tag)
    linked = sum(_text_length(a) for a in links)
    if len(links) >= 3 and total and linked >= 0.8 * total:
        return True
    return any(a.find(_HEADINGS) for a in links) and linked >= 0.8 * total


def is_call_to_action(tag: Tag) -> bool:
    """A short block with a heading (or a button) inviting the reader to do something: "Want to make
    a request? ... We'll email you", "Making an FOI request / Everything you need to know ..."."""
    total = _text_length(tag)
    if not total or total > CALL_TO_ACTION_CHARS:
        return False
    headed = tag.find(_HEADINGS) is not None or tag.name in _HEADINGS
    acts = tag.find(("a", "button")) is not None or tag.name == "a"
    return headed and acts and bool(_INVITATION.search(tag.get_text(" ", strip=True)))


def _drop_related_sections(root: Tag) -> None:
    """A "Related links" heading and what follows it up to the next heading of the same rank."""
    for heading in root.find_all(_HEADINGS):
        if heading.decomposed or not _RELATED_HEADING.match(heading.get_text(" ", strip=True)):
            continue
        rank = int(heading.name[1])
        for sibling in list(heading.find_next_siblings()):
            if sibling.name in _HEADINGS and int(sibling.name[1]) <= rank:
                break
            sibling.decompose()
        parent = heading.parent
        heading.decompose()
        if isinstance(parent, Tag) and parent is not root and not parent.get_text(strip=True):
            parent.decompose()


def _drop_furniture(root: Tag) -> None:
    """Blocks that are the site's, not the response's: link lists, cards, calls to action, related."""
    _drop_related_sections(root)
    total = _text_length(root)
    for tag in root.find_all((*_FURNITURE_BLOCKS, "a")):
        if tag.decomposed or _text_length(tag) > total / 2:
            continue
        if (tag.name != "a" and is_link_block(tag)) or is_call_to_action(tag):
            tag.decompose()


def _drop_chrome(root: Tag) -> None:
    for tag in root.find_all(_DROP_TAGS):
        tag.decompose()
    _drop_furniture(root)
    # A wrapper whose class merely mentions "sidebar" must not take the content with it.
    total = len(root.get_text(" ", strip=True))
    for tag in root.find_all(True):
        if tag.decomposed or tag.name in ("main", "body", "html", "article"):
            continue
        if len(tag.get_text(" ", strip=True)) > total / 2:
            continue
        marker = " ".join(value for name in ("class", "id", "role") for value in tag.get_attribute_list(name))
        if tag.get("role") in ("navigation", "banner", "contentinfo", "search", "complementary") or (
            marker.strip() and _CHROME_ATTR.search(marker)
        ):
            tag.decompose()


def repeated_endings(endings: Iterable[Sequence[str]], min_pages: int = 2) -> set[str]:
    """Lines that end two or more pages of one site: the site's furniture, not any page's answer.

    ``endings`` holds the last few lines of each page seen so far in a crawl (one sequence per page);
    a line counts once per page, so a line repeated within one page is not furniture by that alone.
    """
    pages_with: Counter[str] = Counter()
    for ending in endings:
        pages_with.update(set(ending))
    return {line for line, pages in pages_with.items() if pages >= min_pages}


def drop_repeated_ending(lines: list[str], furniture: set[str]) -> list[str]:
    """A page's lines without the run of furniture lines at its end (the answer itself is kept whole)."""
    end = len(lines)
    while end > 0 and lines[end - 1] in furniture:
        end -= 1
    return lines[:end] if end else lines


# Lines that close a page for the site, not for the response: a contact or invitation box, a note of who
# owns the page, "back to top" (Hastings' "Contact us if you have a question about freedom of
# information", TfL's "Want to make a request? / We'll email you the response ...").
_TRAILING_FURNITURE = [
    re.compile(p, re.I)
    for p in (
        r"^contact us\b.{0,100}$",
        r"^the content (?:on|of) this page is (?:the )?responsibility of\b",
        r"^rate this page$",
        r"^back to top$",
        r"^want to (?:make|submit|ask) (?:a|an|your) (?:[\w-]+ )?(?:request|question)\??$",
        r"^we.ll (?:e-?mail|send) you\b.{0,100}$",
        r"^we.ll publish the response\b.{0,100}$",
    )
]
_BOX_HEADING_CHARS = 40


def drop_trailing_furniture(lines: list[str]) -> list[str]:
    """A page's lines without the site's closing lines. A contact box's short heading goes with it
    ("Freedom of Information" / "Contact us if ..."); an invitation box is its own heading ("Want to
    make a request?"), so the line before it (a letter's sign-off) stays."""
    end = len(lines)
    while end > 1 and any(p.search(lines[end - 1]) for p in _TRAILING_FURNITURE):
        end -= 1
    if end == len(lines):
        return lines
    heading = lines[end - 1]
    boxed = re.match(r"^contact us\b", lines[end], re.I) and len(heading) <= _BOX_HEADING_CHARS
    if boxed and end > 1 and not heading.endswith((".", ":", "?", "!", ")")):
        end -= 1
    return lines[:end]


def page_lines(content: Tag) -> list[str]:
    """The readable lines of a response page's content, without the furniture that closes it."""
    return drop_trailing_furniture(text_lines(content))


def _drop_before_title(root: Tag) -> None:
    """Without a main landmark the page's own content starts at its title (``h1``): what comes
    before it (logo, site links, breadcrumbs, banners) is the site's header."""
    title = root.find("h1")
    node: Tag | None = title if isinstance(title, Tag) else None
    while node is not None and node is not root:
        for before in list(node.previous_siblings):
            before.extract()
        node = node.parent if isinstance(node.parent, Tag) else None


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
    """A page as a tree, built by lxml (libxml2's HTML parser, as browsers recover from bad markup
    and 1.6x faster than Python's ``html.parser`` for the same fields: see ``make eval``)."""
    return BeautifulSoup(html, "lxml")


def clean_content(soup: BeautifulSoup) -> Tag:
    """Main content with chrome removed (mutates the soup: parse a fresh one per use)."""
    content = main_content(soup)
    if content is soup.body or content is soup:
        _drop_before_title(content)
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
