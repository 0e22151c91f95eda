"""Police forces on the "Single Online Home" site shell: where a force's log is, and which links are
responses or the year and month pages between the log and its responses.

Each force files its log under its own path (``/foi-ai/<force>/disclosure-2025/october/...``,
``/foi-ai/<force>/disclosure-log/2025/august/...``, Welsh ``/cy-GB/foi-ai/heddlu-dyfed-powys/
datgeliadau-2025/medi/...``), so a source may start at the force's FOI landing page and the log is
found by its link's words and address. Response pages themselves are read by ``page``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import unquote, urljoin, urlsplit

from bs4 import BeautifulSoup, Tag

from crawler.normalise import PATH_MONTHS
from crawler.platforms.listing import canonical_url, is_attachment

# "/cy-GB/foi-ai/heddlu-dyfed-powys/": the shell serves Welsh pages under a language folder.
_SOH_ROOT = re.compile(r"^((?:/[a-z]{2}(?:-[a-z]{2})?)?/foi-ai/)([^/]+/)?", re.I)
_LANGUAGE = re.compile(r"^/(cy|cy-gb)/", re.I)

# Words of a link to the log, English then Welsh (seen on the forces' and their commissioners' sites:
# "Log Datgeliadau", "Ceisiadau ac Ymatebion blaenorol", "datgeliadau i geisiadau rhyddid gwybodaeth").
LOG_LINK_WORDS = (
    "disclosure log",
    "disclosures log",
    "published disclosures",
    "previous foi requests",
    "previous freedom of information requests",
    "foi disclosures",
    "freedom of information disclosures",
    "published items",
    "disclosures",
    "log datgelu",
    "log datgeliadau",
    "ceisiadau rhyddid gwybodaeth blaenorol",
    "ceisiadau ac ymatebion",
    "eitemau sydd wedi'u cyhoeddi",
    "datgeliadau",
)
_WELSH_WORDS = {w for w in LOG_LINK_WORDS if re.search(r"datgel|ceisiadau|eitemau", w)}
# The shell's search of published items mixes every kind of publication: a force's own log wins.
_SEARCH_WORDS = {"published items", "eitemau sydd wedi'u cyhoeddi"}
# Pages one step nearer the log when the landing page does not link to it ("Accessing information").
_HUB_WORDS = re.compile(
    r"\b(?:accessing information|access to information|freedom of information|foi and access"
    r"|cyrchu gwybodaeth|mynediad at wybodaeth|rhyddid gwybodaeth)\b",
    re.I,
)
# "Make a freedom of information request" leads to a form, not nearer the log.
_FORM_WORDS = re.compile(r"\b(?:make|submit|request form|gwneud|cyflwyno)\b", re.I)
_LOG_PATH = re.compile(
    r"/(?:[\w-]*disclosure[\w-]*|[\w-]*datgeliad[\w-]*|previous-foi-requests|published-items"
    r"|eitemau-cyhoeddedig|foi-requests|d)/",
    re.I,
)
_LOG_WORDS = {"foi", "disclosure", "disclosures", "log", "datgeliadau", "datgelu", "d"}
_LAST_YEAR = 2100


def soh_prefix(start_url: str) -> str:
    """'/foi-ai/<force>/' (after any language folder) for an address on the shell, else its folder."""
    path = urlsplit(start_url).path
    match = _SOH_ROOT.match(path)
    if match and (match.group(2) or "").lower() in ("", "af/"):
        # The shared "accessing information" pages link to every force's own pages.
        return match.group(1).lower()
    if match:
        return match.group(0).lower()
    return path.rsplit("/", 1)[0].lower() + "/"


def _segments(url: str) -> list[str]:
    return [unquote(s).lower() for s in urlsplit(url).path.split("/") if s]


def _year_of(segment: str) -> int | None:
    """The year of a year folder: '2025', 'disclosure-2025', 'foi-disclosure-2021-22', 'datgeliadau-2025'."""
    tokens = re.split(r"[-_.]+", segment)
    years = [int(t) for t in tokens if re.fullmatch(r"(?:19|20)\d\d", t) and int(t) < _LAST_YEAR]
    rest = [t for t in tokens if not re.fullmatch(r"\d{2}|\d{4}", t)]
    return years[0] if len(years) == 1 and all(t in _LOG_WORDS for t in rest) else None


def _month_of(segment: str) -> int | None:
    """The month of a month folder: 'october', 'medi', 'january-2025', 'november-2023', '09---september'."""
    tokens = re.split(r"[-_.]+", segment)
    if len(tokens) > 1 and re.fullmatch(r"\d{1,2}", tokens[0]):
        tokens = tokens[1:]  # Gwent numbers its months: /disclosure2/2022/09---september/
    if tokens[0] in PATH_MONTHS and all(re.fullmatch(r"\d{4}", t) for t in tokens[1:]):
        return PATH_MONTHS[tokens[0]]
    return None


@dataclass(frozen=True)
class Period:
    """The year (and month, 0 for a whole year) an index page of the log covers."""

    year: int
    month: int


def index_period(url: str) -> Period | None:
    """The period of a year or month index page of a log, or None for any other page.

    ``.../disclosure-2025/`` is 2025; ``.../disclosure-2025/october/``, ``.../2025/august/`` and
    ``.../foi-disclosure-2025/january-2025/`` are months; ``.../d/july-2022/`` is July 2022. A response
    filed under a month (``.../october/foi-82525/``) is not an index.
    """
    segments = _segments(url)
    if not segments:
        return None
    last = segments[-1]
    year = _year_of(last)
    if year:
        return Period(year, 0)
    month = _month_of(last)
    if month is None or len(segments) < 2:
        return None
    in_name = re.search(r"(?:19|20)\d\d", last)
    parent_year = _year_of(segments[-2])
    if in_name:
        return Period(int(in_name.group(0)), month)
    return Period(parent_year, month) if parent_year else None


# A force's own FOI site, off the shell (foi.west-midlands.police.uk), files each response at one
# address named by its title and reference: "/officer-bme-3005_16/", "/operation-snap-392a-20/".
_OWN_SITE_RESPONSE = re.compile(
    r"^/[\w-]{0,150}?(?:\d{2,7}[a-z]?[-_]\d{2}|foi[-_]?\d{3,}[\w-]{0,150})/?$", re.I
)
# A start page linking this many such addresses is the log itself, not a landing page.
OWN_SITE_MIN_RESPONSES = 3


def on_shell(url: str) -> bool:
    """Whether an address is on the Single Online Home shell (under /foi-ai/)."""
    return bool(_SOH_ROOT.match(urlsplit(url).path))


def is_own_site_response(url: str) -> bool:
    """An address of one response on a force's own FOI site, by its reference-ending name."""
    parts = urlsplit(url)
    return not parts.query and not is_attachment(url) and bool(_OWN_SITE_RESPONSE.match(parts.path))


def _same_site(url: str, start_url: str) -> bool:
    return urlsplit(url).netloc.lower() == urlsplit(start_url).netloc.lower()


def is_response_link(url: str, start_url: str) -> bool:
    """A link that may lead to a response page of the same force's log, or to a year or month
    index page between the log and its responses."""
    parts, start = urlsplit(url), urlsplit(start_url)
    path = parts.path.lower()
    if not _same_site(url, start_url) or parts.query or is_attachment(url):
        return False
    if not on_shell(start_url) and is_own_site_response(url):
        return True
    if not path.startswith(soh_prefix(start_url)):
        return False
    listing = start.path.lower().rstrip("/")
    trimmed = path.rstrip("/")
    if trimmed == listing or listing.startswith(trimmed + "/"):
        return False
    return index_period(url) is not None or len([part for part in trimmed.split("/") if part]) >= 4


def lists_own_site_responses(soup: BeautifulSoup, page_url: str) -> bool:
    """A page off the shell that links several responses by their reference-ending names: a force's
    own FOI site whose front page is its log."""
    if on_shell(page_url):
        return False
    found = {
        canonical_url(urljoin(page_url, str(a["href"])))
        for a in soup.find_all("a", href=True)
        if isinstance(a, Tag)
    }
    same = [url for url in found if _same_site(url, page_url) and is_own_site_response(url)]
    return len(same) >= OWN_SITE_MIN_RESPONSES


def looks_like_log(url: str) -> bool:
    """Whether an address is a log (or one of its year or month pages) rather than a landing page."""
    path = urlsplit(url).path
    return bool(_LOG_PATH.search(path if path.endswith("/") else path + "/")) or index_period(url) is not None


@dataclass(frozen=True)
class LogLink:
    """A link on a landing page that may lead to the log, and how sure we are of it."""

    url: str
    text: str
    score: int
    period: Period | None


def _link_score(text: str, url: str, start_url: str) -> int:
    words = re.sub(r"\s+", " ", text.replace("’", "'")).strip().casefold()
    score = 0
    matched = next((w for w in LOG_LINK_WORDS if w in words), None)
    if matched:
        # English first: a bilingual page's English link wins over its Welsh twin.
        score += (4 if matched in _WELSH_WORDS else 6) - (1 if matched in _SEARCH_WORDS else 0)
    if looks_like_log(url):
        score += 3
    start_welsh = bool(_LANGUAGE.match(urlsplit(start_url).path))
    if bool(_LANGUAGE.match(urlsplit(url).path)) != start_welsh:
        score -= 3  # the other language's copy of the same log
    return score


def find_log_links(soup: BeautifulSoup, page_url: str, start_url: str) -> list[LogLink]:
    """Links that may lead to the log, best first: by their words and the shape of their address."""
    found: dict[str, LogLink] = {}
    for anchor in soup.find_all("a", href=True):
        url = canonical_url(urljoin(page_url, str(anchor["href"]).strip()))
        if not _followable(url, page_url) or is_attachment(url):
            continue
        text = anchor.get_text(" ", strip=True) or str(anchor.get("title") or "")
        score = _link_score(text, url, start_url)
        if score >= 3 and (url not in found or found[url].score < score):
            found[url] = LogLink(url, text, score, index_period(url))
    return sorted(found.values(), key=lambda link: -link.score)


def find_hub_links(soup: BeautifulSoup, page_url: str) -> list[str]:
    """Links one step nearer the log ("Accessing information", "Rhyddid gwybodaeth"), in page order."""
    hubs: list[str] = []
    for anchor in soup.find_all("a", href=True):
        url = canonical_url(urljoin(page_url, str(anchor["href"]).strip()))
        text = anchor.get_text(" ", strip=True)
        hub = _HUB_WORDS.search(text) and not _FORM_WORDS.search(text)
        if hub and _followable(url, page_url) and url not in hubs:
            hubs.append(url)
    return hubs


def _followable(url: str, page_url: str) -> bool:
    return url.startswith(("http://", "https://")) and url != canonical_url(page_url)


def newest_first(urls: list[str]) -> list[str]:
    """Index pages newest period first, other addresses after them in their own order."""
    dated = [(index_period(u), i, u) for i, u in enumerate(urls)]

    def key(entry: tuple[Period | None, int, str]) -> tuple[int, int, int]:
        period, position, _ = entry
        return (0, -period.year * 13 - period.month, position) if period else (1, 0, position)

    return [u for _, _, u in sorted(dated, key=key)]
