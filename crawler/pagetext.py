"""Page clean-up: find the main content, drop site chrome, keep readable lines.

Markup differs from site to site and changes without notice, so chrome is recognised by what it
is (navigation, forms, cookie and beta banners) and by its well-known sentences, never by one template.
"""

from __future__ import annotations

import codecs
import contextlib
import re
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass

from bs4 import BeautifulSoup, Tag
from lxml import etree

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


# -- the tree ------------------------------------------------------------------------------------
HtmlElement = etree._Element  # an element of a page's tree (lxml's own, as ``parse_page`` builds it)

# Pages are parsed by lxml (libxml2's HTML parser, which recovers from bad markup as browsers do) into
# its own tree: about 25 times faster to build than BeautifulSoup's tree over the same parser, which
# the listing readers still use (``parse_soup``). Text is read as BeautifulSoup reads it, so both
# trees give the same lines: strings in script, style, template and ruby annotations are not text,
# comments are not text, and a string of ASCII whitespace only counts as one newline or one space.
_NO_TEXT = frozenset({"script", "style", "template", "rt", "rp"})
_AS_WRITTEN = frozenset({"pre", "textarea"})
_ASCII_SPACES = " \n\t\x0c\r"
_CELLS = frozenset({"td", "th"})
_BLOCK_SET = frozenset(_BLOCKS)


def parse_page(html: str | bytes) -> HtmlElement:
    """A page as lxml's tree, its root the ``html`` element (an empty one for an empty page).

    Bytes are decoded by ``decode_html``; pass text where the response's charset is known.

    libxml2 stops building its tree 256 levels deep, silently: a page of unclosed ``<font>`` tags lost
    the rest of its text. Such a page is parsed again with the limit raised to 2,048 levels, and past
    that with its inline formatting tags (which hold no lines of their own) taken out.
    """
    text = decode_html(html) if isinstance(html, bytes) else html
    root = _parse(text, huge=False)
    if _reaches(root, _DEPTH):
        root = _parse(text, huge=True)
        if _reaches(root, _HUGE_DEPTH):
            root = _parse(_INLINE_TAG.sub("", text), huge=True)
    return root


_DEPTH, _HUGE_DEPTH = 256, 2048
_INLINE_TAG = re.compile(r"</?(?:font|b|i|u|s|em|strong|small|big|span|sup|sub|mark)\b[^>]*>", re.I)


def _parse(text: str, huge: bool) -> HtmlElement:
    # etree's own parser, not lxml.html's: the same libxml2 parse, without a call into Python to
    # choose a class for every element the readers touch (parse_detail 3.06 -> 2.96 ms a page).
    parser = etree.HTMLParser(recover=True, huge_tree=huge)
    parser.feed(text)
    root = parser.close()
    return root if isinstance(root, etree._Element) and isinstance(root.tag, str) else etree.Element("html")


def _reaches(root: HtmlElement, depth: int) -> bool:
    """Whether the tree has an element ``depth`` levels down (the root is level 1)."""
    return bool(root.xpath("boolean(/" + "/".join(["*"] * depth) + ")"))


def parse_soup(html: str | bytes) -> BeautifulSoup:
    """A page as BeautifulSoup's tree over the same parser, for readers written against it."""
    return BeautifulSoup(html, "lxml")


def _pieces(element: HtmlElement, markers: bool) -> Iterator[str]:
    """The strings under ``element`` in document order, as BeautifulSoup's ``get_text`` yields them.

    With ``markers``, a line break goes before and after each block and in place of ``<br>``, and a
    space before and after each table cell (the element itself gets none): ``text_lines``'s layout.
    """
    hidden = 0  # how many script/style/template/ruby-text elements enclose the current node
    kept = 0  # how many pre/textarea elements do
    stack: list[tuple[HtmlElement, bool]] = [(element, False)]
    while stack:
        node, closing = stack.pop()
        tag = node.tag if isinstance(node.tag, str) else None
        own = node is element
        if closing:
            if tag is not None:
                hidden -= tag in _NO_TEXT
                kept -= tag in _AS_WRITTEN
                if markers and not own:
                    if tag in _BLOCK_SET and tag != "br":
                        yield "\n"
                    elif tag in _CELLS:
                        yield " "
            if not own and node.tail and not hidden:
                yield _collapsed(node.tail, kept)
            continue
        if tag is not None and markers and not own:
            if tag == "br":
                yield "\n"
            if tag in _BLOCK_SET and tag != "br":
                yield "\n"
            elif tag in _CELLS:
                yield " "
        stack.append((node, True))
        if tag is None:
            continue  # a comment: its text is not the page's, its tail is
        hidden += tag in _NO_TEXT
        kept += tag in _AS_WRITTEN
        if node.text and not hidden:
            yield _collapsed(node.text, kept)
        stack.extend((child, False) for child in reversed(node))


def _collapsed(text: str, kept: int) -> str:
    """A string of ASCII whitespace only as BeautifulSoup stores it: one newline if it has one, else
    one space (in pre and textarea, as written)."""
    if kept or text.strip(_ASCII_SPACES):
        return text
    return "\n" if "\n" in text else " "


def get_text(element: HtmlElement, separator: str = "", strip: bool = False) -> str:
    """BeautifulSoup's ``get_text`` of an lxml element: its strings joined by ``separator``, each
    stripped (and empty ones left out) with ``strip``."""
    if not strip:
        return separator.join(_pieces(element, markers=False))
    # Stripped, a string of whitespace is left out however it was stored: lxml's own walk is exact
    # wherever no script, style, template or ruby text hides strings.
    hides = next(element.iter(*_NO_TEXT), None) is not None
    pieces = _pieces(element, markers=False) if hides else element.itertext()
    return separator.join(piece for piece in (p.strip() for p in pieces) if piece)


def descendants(element: HtmlElement, *tags: str) -> list[HtmlElement]:
    """Elements below ``element`` (not itself) in document order, of ``tags`` if any are given."""
    return [node for node in element.iterdescendants(*tags) if isinstance(node.tag, str)]


def first(element: HtmlElement, *tags: str) -> HtmlElement | None:
    """The first element below ``element`` of one of ``tags``."""
    return next((node for node in element.iterdescendants(*tags) if isinstance(node.tag, str)), None)


def previous_tag(element: HtmlElement) -> HtmlElement | None:
    """The element before ``element`` among its siblings (comments skipped)."""
    node = element.getprevious()
    while node is not None and not isinstance(node.tag, str):
        node = node.getprevious()
    return node


def next_tags(element: HtmlElement) -> list[HtmlElement]:
    """The elements after ``element`` among its siblings."""
    return [node for node in element.itersiblings() if isinstance(node.tag, str)]


def is_attached(element: HtmlElement, root: HtmlElement) -> bool:
    """Whether ``element`` is still in ``root``'s tree (not dropped with an ancestor)."""
    node: HtmlElement | None = element
    while node is not None:
        if node is root:
            return True
        node = node.getparent()
    return False


def drop(element: HtmlElement) -> None:
    """Remove ``element`` and what it holds; the text after it stays (lxml.html's ``drop_tree``)."""
    parent = element.getparent()
    if parent is None:
        return
    if element.tail:
        previous = element.getprevious()
        if previous is None:
            parent.text = (parent.text or "") + element.tail
        else:
            previous.tail = (previous.tail or "") + element.tail
    parent.remove(element)


def attribute_words(element: HtmlElement, name: str) -> list[str]:
    """An attribute's values as BeautifulSoup lists them: ``class`` split at whitespace."""
    value = element.get(name)
    if value is None:
        return []
    return value.split() if name == "class" else [value]


def _text_length(tag: HtmlElement) -> int:
    return len(get_text(tag, " ", strip=True))


def _links(tag: HtmlElement) -> list[HtmlElement]:
    return [a for a in descendants(tag, "a") if a.get("href") is not None]


def _text_lengths(root: HtmlElement) -> dict[HtmlElement, int] | None:
    """``_text_length`` of every element of ``root``'s tree at once, bottom up (None where strings
    are hidden in script, style, template or ruby text: those are measured one by one).

    Valid for an element as long as nothing below it is dropped: the clean-up loops visit elements
    in page order and drop only what they visit, so an element visited later still has all of its
    descendants (one dropped before it is its ancestor, and then it is skipped)."""
    if next(root.iter(*_NO_TEXT), None) is not None:
        return None
    order = [node for node in root.iter() if isinstance(node.tag, str)]
    chars: dict[HtmlElement, int] = {}
    counts: dict[HtmlElement, int] = {}
    for node in reversed(order):
        text = (node.text or "").strip()
        total, count = len(text), 1 if text else 0
        for child in node:
            if isinstance(child.tag, str):
                total, count = total + chars[child], count + counts[child]
            tail = (child.tail or "").strip()
            total, count = total + len(tail), count + (1 if tail else 0)
        chars[node], counts[node] = total, count
    return {node: chars[node] + counts[node] - 1 if counts[node] else 0 for node in order}


def _measure(lengths: dict[HtmlElement, int] | None) -> Callable[[HtmlElement], int]:
    if lengths is None:
        return _text_length
    return lambda tag: lengths[tag] if tag in lengths else _text_length(tag)


def is_link_block(tag: HtmlElement, measure: Callable[[HtmlElement], int] = _text_length) -> bool:
    """Navigation by its shape: three or more links making up most of the text, or a card that is
    one link wrapping a heading. Lists of documents are the response's attachments, never furniture.
    """
    links = _links(tag)
    if not links or any(_DOCUMENT_LINK.search(a.get("href", "")) for a in links):
        return False
    introduced = previous_tag(tag)
    if introduced is not None and get_text(introduced, " ", strip=True).endswith(":"):
        return False  # "The information is published here:" and its links are the answer
    total = measure(tag)
    linked = sum(measure(a) for a in links)
    if len(links) >= 3 and total and linked >= 0.8 * total:
        return True
    return any(first(a, *_HEADINGS) is not None for a in links) and linked >= 0.8 * total


def is_call_to_action(tag: HtmlElement, measure: Callable[[HtmlElement], int] = _text_length) -> bool:
    """A short block with a heading (or a button) inviting the reader to do something: "Want to make
    a request? ... We'll email you", "Making an FOI request / Everything you need to know ..."."""
    total = measure(tag)
    if not total or total > CALL_TO_ACTION_CHARS:
        return False
    headed = first(tag, *_HEADINGS) is not None or tag.tag in _HEADINGS
    acts = first(tag, "a", "button") is not None or tag.tag == "a"
    return headed and acts and bool(_INVITATION.search(get_text(tag, " ", strip=True)))


def _drop_related_sections(root: HtmlElement) -> None:
    """A "Related links" heading and what follows it up to the next heading of the same rank."""
    for heading in descendants(root, *_HEADINGS):
        if not is_attached(heading, root) or not _RELATED_HEADING.match(get_text(heading, " ", strip=True)):
            continue
        rank = _HEADINGS.index(str(heading.tag)) + 1
        for sibling in next_tags(heading):
            if sibling.tag in _HEADINGS and _HEADINGS.index(str(sibling.tag)) + 1 <= rank:
                break
            drop(sibling)
        parent = heading.getparent()
        drop(heading)
        if parent is not None and parent is not root and not get_text(parent, strip=True):
            drop(parent)


def _drop_furniture(root: HtmlElement) -> None:
    """Blocks that are the site's, not the response's: link lists, cards, calls to action, related."""
    _drop_related_sections(root)
    measure = _measure(_text_lengths(root))
    total = measure(root)
    for tag in descendants(root, *_FURNITURE_BLOCKS, "a"):
        if not is_attached(tag, root) or measure(tag) > total / 2:
            continue
        if (tag.tag != "a" and is_link_block(tag, measure)) or is_call_to_action(tag, measure):
            drop(tag)


def _drop_chrome(root: HtmlElement) -> None:
    for tag in descendants(root, *_DROP_TAGS):
        if is_attached(tag, root):
            drop(tag)
    _drop_furniture(root)
    # A wrapper whose class merely mentions "sidebar" must not take the content with it.
    measure = _measure(_text_lengths(root))
    total = measure(root)
    for tag in descendants(root):
        if not is_attached(tag, root) or tag.tag in ("main", "body", "html", "article"):
            continue
        if measure(tag) > total / 2:
            continue
        marker = " ".join(value for name in ("class", "id", "role") for value in attribute_words(tag, name))
        if tag.get("role") in ("navigation", "banner", "contentinfo", "search", "complementary") or (
            marker.strip() and _CHROME_ATTR.search(marker)
        ):
            drop(tag)


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


def page_lines(content: HtmlElement) -> list[str]:
    """The readable lines of a response page's content, without the furniture that closes it."""
    return drop_trailing_furniture(text_lines(content))


def _drop_before_title(root: HtmlElement) -> None:
    """Without a main landmark the page's own content starts at its title (``h1``): what comes
    before it (logo, site links, breadcrumbs, banners) is the site's header."""
    node = first(root, "h1")
    while node is not None and node is not root:
        parent = node.getparent()
        if parent is None:
            break
        parent.text = None
        for before in list(node.itersiblings(preceding=True)):
            parent.remove(before)  # with its tail: everything before ``node`` goes
        node = parent


_MAIN_ID = re.compile(r"^(main-?content|content|main)$", re.I)


def main_content(root: HtmlElement) -> HtmlElement:
    """The element holding the page's own content: ``<main>``, ``role=main``, an article, else body."""
    for wanted in _MAIN_CONTENT:
        found = first_in(root, wanted)
        if found is not None:
            return found
    return root


_MAIN_CONTENT: tuple[Callable[[HtmlElement], bool], ...] = (
    lambda e: e.tag == "main",
    lambda e: e.get("role") == "main",
    lambda e: bool(_MAIN_ID.search(e.get("id") or "")),
    lambda e: e.tag == "article",
    lambda e: e.tag == "body",
)


def first_in(root: HtmlElement, wanted: Callable[[HtmlElement], bool]) -> HtmlElement | None:
    """The first element of ``root``'s tree, ``root`` included, that is ``wanted``."""
    return next((node for node in root.iter() if isinstance(node.tag, str) and wanted(node)), None)


def soup_main_content(soup: BeautifulSoup) -> Tag:
    """``main_content`` of BeautifulSoup's tree (the listing readers')."""
    for finder in (
        lambda: soup.find("main"),
        lambda: soup.find(role="main"),
        lambda: soup.find(id=_MAIN_ID),
        lambda: soup.find("article"),
        lambda: soup.body,
    ):
        found = finder()
        if isinstance(found, Tag):
            return found
    return soup


def text_lines(element: HtmlElement) -> list[str]:
    """Readable lines of an element: block elements break lines, whitespace collapsed, chrome dropped."""
    lines = []
    for raw in "".join(_pieces(element, markers=True)).splitlines():
        line = re.sub(r"\s+", " ", raw.replace("\xa0", " ")).strip()
        if line and not any(p.search(line) for p in _CHROME_LINES):
            lines.append(line)
    return lines


def clean_content(root: HtmlElement) -> HtmlElement:
    """Main content with chrome removed (mutates the tree: parse a fresh one per use)."""
    content = main_content(root)
    if content is root or content is first_in(root, lambda e: e.tag == "body"):
        _drop_before_title(content)
    _drop_chrome(content)
    return content


def strip_chrome_lines(text: str) -> str:
    """Chrome sentences removed from text that was extracted elsewhere (e.g. a seed's page text)."""
    kept = [line for line in text.splitlines() if not any(p.search(line.strip()) for p in _CHROME_LINES)]
    return "\n".join(kept)


# UTF-32's marks first: little-endian UTF-32's begins with little-endian UTF-16's.
_BYTE_ORDER_MARKS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?([\w.:-]+)""", re.I)


def decode_html(body: bytes, declared: str | None = None) -> str:
    """A page's text whatever its charset claims.

    A byte-order mark decides first (UTF-16 and UTF-32 pages carry one); then valid UTF-8 is UTF-8
    (sites that say ``iso-8859-1`` in a meta tag often send UTF-8); otherwise the declared or meta
    charset if it decodes; otherwise windows-1252, what old council CMSs write.
    """
    for mark, codec in _BYTE_ORDER_MARKS:
        if body.startswith(mark):
            with contextlib.suppress(UnicodeDecodeError):
                return body.decode(codec)
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
