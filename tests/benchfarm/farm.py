"""Generated disclosure logs for the benchmark farm: N police logs x M responses, seeded.

Every page is a real saved page with its content swapped: listings from the Met's saved disclosure
log (20 responses a page, ``?page=N`` links, newest first), responses from its saved overtime
response (the reference, "I note you seek access...", "Decision" and the attachment link kept in
their places), texts from ``eval/cctv.jsonl``, letters from the saved PDFs. So the product's
parsers read the farm as they read the real site; ``tests/test_benchfarm.py`` checks that they do.

Only texts with a request and an answer, on which the shipped classifier agrees with the label,
are used, so "new CCTV responses" is a number the benchmark can hold the notifications to.
"""

from __future__ import annotations

import html
import json
import random
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from monitor.classify import build_classifiers
from monitor.config import load_config
from tests.conftest import FIXTURES, REPO

PAGE_SIZE = 20
ATTACHMENT_SHARE = 0.2
_MET = FIXTURES / "police_soh/site/foi-ai/metropolitan-police"
_LISTING = _MET / "disclosure-log/index.html"
_RESPONSE = _MET / "disclosure-2023/november-2023/police-officer-overtime-spend-2022-23/index.html"
_BARNET = FIXTURES / "html_log/barnet"
# letters about neither cameras nor speed cameras, so a letter never changes a response's topic
_LETTERS = sorted(
    p
    for p in (FIXTURES / "police_soh/site/SysSiteAssets/foi-media/metropolitan-police").rglob("*.pdf")
    if "camera" not in p.name
)
_MONTHS = [
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
]


@dataclass(frozen=True)
class Text:
    title: str
    request: str
    response: str
    cctv: bool


@dataclass(frozen=True)
class Entry:
    """One response page of a generated log (and its letter, if it has one)."""

    source: str
    number: int
    text: Text
    year: int
    month: int
    day: int
    letter: Path | None
    council: bool = False

    @property
    def slug(self) -> str:
        words = re.sub(r"[^a-z0-9]+", "-", self.text.title.lower()).strip("-")[:40].strip("-")
        return f"{words or 'response'}-{self.number}"

    @property
    def title(self) -> str:
        return f"{self.text.title} ({self.number})"

    @property
    def reference(self) -> str:
        return str(self.number) if self.council else f"01.FOI.{self.year % 100}.{self.number:06d}"

    @property
    def published(self) -> str:
        return f"{self.day} {_MONTHS[self.month - 1].capitalize()} {self.year}"

    def path(self) -> str:
        if self.council:
            return f"/{self.source}/foi-requests/{self.number}"
        return (
            f"/foi-ai/{self.source}/disclosure-{self.year}/{_MONTHS[self.month - 1]}-{self.year}/{self.slug}/"
        )

    def letter_path(self) -> str | None:
        if self.letter is None:
            return None
        if self.council:
            folder = f"{self.year}-{self.month:02d}"
            return f"/{self.source}/sites/default/files/{folder}/foi-{self.number}-{self.slug}.pdf"
        folder = f"disclosure_{self.year}/{_MONTHS[self.month - 1]}_{self.year}"
        return f"/SysSiteAssets/foi-media/{self.source}/{folder}/{self.slug}.pdf"


def agreed_texts() -> list[Text]:
    """The evaluation texts with a request and an answer whose label the shipped CCTV classifier
    agrees with, in file order."""
    classifier = build_classifiers(load_config(REPO / "config").topics)["cctv"]
    texts = []
    for line in (REPO / "eval/cctv.jsonl").read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        text = Text(row["title"], row["request"], row["response"], bool(row["label"]))
        if not (text.request.strip() and text.response.strip()):
            continue  # a page with no answer is not read as a response, by design
        if classifier.classify(text.title, text.request, text.response).matched == text.cctv:
            texts.append(text)
    return texts


@dataclass
class Farm:
    """``Farm(root, sources, responses).write()`` makes the sites under ``root/site`` and a
    foiwatch configuration under ``root/config``; ``publish_new`` adds responses later."""

    root: Path
    sources: int
    responses: int
    seed: int = 2026
    council_logs: int = 0
    logs: dict[str, list[Entry]] = field(default_factory=dict)
    councils: set[str] = field(default_factory=set)

    def __post_init__(self) -> None:
        self.random = random.Random(self.seed)
        self.texts = agreed_texts()
        self._next = 1
        for index in range(self.sources):
            source = f"farm-police-{index + 1:03d}"
            # oldest first as numbered, listed newest first
            self.add_log(source, self.responses)
        for index in range(self.council_logs):
            self.add_log(f"farm-council-{index + 1:03d}", self.responses, council=True)

    def add_log(self, source: str, responses: int, council: bool = False) -> None:
        """One more log, of ``responses`` responses (before ``write``): a police log, or with
        ``council`` a Barnet-style council log read by the ``html_log`` platform."""
        if council:
            self.councils.add(source)
        self.logs[source] = [self._entry(source, 2025, n, responses) for n in range(responses)][::-1]

    @property
    def site(self) -> Path:
        return self.root / "site"

    @property
    def config(self) -> Path:
        return self.root / "config"

    def _entry(self, source: str, year: int, position: int, count: int) -> Entry:
        council = source in self.councils
        number, self._next = self._next, self._next + 1
        month = 1 + position * 12 // max(count, 1)
        letter = self.random.choice(_LETTERS) if self.random.random() < ATTACHMENT_SHARE else None
        day = 1 + position % 28
        return Entry(source, number, self.random.choice(self.texts), year, month, day, letter, council)

    def log_path(self, source: str) -> str:
        return (
            f"/{source}/foi-disclosure-log"
            if source in self.councils
            else f"/foi-ai/{source}/disclosure-log/"
        )

    def listing_paths(self, source: str) -> list[str]:
        pages = max(1, -(-len(self.logs[source]) // PAGE_SIZE))
        first = 1 if source in self.councils else 2  # Barnet counts its pages from 0
        return [self.log_path(source)] + [
            f"{self.log_path(source)}?page={p}" for p in range(first, first + pages - 1)
        ]

    def paths(self, sources: list[str] | None = None) -> list[str]:
        """Every address a full crawl of the farm (or of ``sources``) reads: listings, responses, letters."""
        found = []
        for source in sources or list(self.logs):
            entries = self.logs[source]
            found += self.listing_paths(source)
            for entry in entries:
                found.append(entry.path())
                letter = entry.letter_path()
                if letter:
                    found.append(letter)
        return found

    def cctv_count(self, entries: list[Entry]) -> int:
        return sum(e.text.cctv for e in entries)

    def write(self, base_url: str, subscriber_url: str) -> None:
        """Write every page, robots.txt and the configuration naming ``base_url``."""
        if self.site.exists():
            shutil.rmtree(self.site)
        self.site.mkdir(parents=True)
        (self.site / "robots.txt").write_text("User-agent: *\nDisallow: /search/\n", encoding="utf-8")
        for source, entries in self.logs.items():
            for entry in entries:
                self._write_entry(entry)
            self.write_listing(source)
        self.write_config(base_url, subscriber_url)

    def publish_new(self, count: int, sources: list[str] | None = None) -> list[Entry]:
        """``count`` new responses on random sources (of ``sources``, all by default), listed first."""
        added = []
        for _ in range(count):
            source = self.random.choice(sources or list(self.logs))
            entry = self._entry(source, 2026, self.random.randrange(12), 12)
            self.logs[source].insert(0, entry)
            self._write_entry(entry)
            added.append(entry)
        for source in {e.source for e in added}:
            self.write_listing(source)
        return added

    def write_config(self, base_url: str, subscriber_url: str) -> None:
        sources = [
            {
                "id": source,
                "platform": "html_log" if source in self.councils else "police_soh",
                "authority": source.replace("-", " ").title(),
                "url": base_url + self.log_path(source),
                "max_pages": 100_000,
                "options": _council_options(source)
                if source in self.councils
                else {"fetch_attachments": True},
            }
            for source in self.logs
        ]
        subscribers = [{"name": "bench", "urls": [subscriber_url], "topics": ["cctv"]}]
        settings: dict[str, Any] = {
            # AutoThrottle is always on in foiwatch (no setting): its start delay is then 0.1 s.
            "crawler": {"contact": "bench@foiwatch.invalid", "download_delay": 0, "retry_times": 1},
            "service": {"port": 0},
        }
        self.config.mkdir(parents=True, exist_ok=True)
        shutil.copy(REPO / "config/topics.yaml", self.config / "topics.yaml")
        for name, data in (
            ("sources.yaml", {"sources": sources}),
            ("subscribers.yaml", {"subscribers": subscribers}),
            ("settings.yaml", settings),
        ):
            (self.config / name).write_text(yaml.safe_dump(data), encoding="utf-8")

    def write_listing(self, source: str) -> None:
        if source in self.councils:
            self._write_council_listing(source)
            return
        entries = self.logs[source]
        paths = self.listing_paths(source)
        template = _LISTING.read_text(encoding="utf-8").replace("metropolitan-police", source)
        for page in range(1, len(paths) + 1):
            chunk = entries[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
            items = "".join(_listing_item(e) for e in chunk)
            start = (page - 1) * PAGE_SIZE + 1
            listed = f'<ol class="c-search-results" start="{start}">{items}</ol>'
            listing = _swap(r'<ol class="c-search-results".*?</ol>', template, listed)
            listing = _swap(r'<nav class="c-pagination".*?</nav>', listing, _pagination(paths, page))
            self._put(paths[page - 1], listing.encode("utf-8"))

    def _write_council_listing(self, source: str) -> None:
        entries = self.logs[source]
        paths = self.listing_paths(source)
        template = (_BARNET / "foi-disclosure-log").read_text(encoding="utf-8")
        for page in range(1, len(paths) + 1):
            items = "".join(
                f'<li class="foi-result"><h3 class="govuk-heading-s"><a class="govuk-link" href="{e.path()}">'
                f'{html.escape(e.title)}</a></h3><p class="govuk-body-s">Received: {e.published}</p></li>\n'
                for e in entries[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
            )
            nav = ""
            if page < len(paths):
                link = f'<a class="govuk-link" href="{paths[page]}" rel="next">Next</a>'
                nav = f'<nav class="govuk-pagination">{link}</nav>'
            listing = _swap(
                r'<ol class="govuk-list foi-results">.*?</ol>',
                template,
                f'<ol class="govuk-list foi-results">{items}</ol>',
            )
            listing = _swap(r'<nav class="govuk-pagination".*?</nav>', listing, nav)
            self._put(paths[page - 1], listing.encode("utf-8"))

    def _write_entry(self, entry: Entry) -> None:
        page = council_page(entry) if entry.council else response_page(entry)
        self._put(entry.path(), page.encode("utf-8"))
        letter = entry.letter_path()
        if letter and entry.letter:
            self._put(letter, entry.letter.read_bytes())

    def _put(self, address: str, body: bytes) -> None:
        """Write the file the server answers ``address`` with (see ``server.FarmFiles``)."""
        path, _, query = address.partition("?")
        relative = path.strip("/")
        if path.endswith("/"):
            relative += f"/index@{query}.html" if query else "/index.html"
        elif query:
            relative += f"@{query}"
        target = self.site / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(body)


def _swap(pattern: str, page: str, new: str) -> str:
    """``page`` with the first match of ``pattern`` replaced by ``new``, taken as is."""
    found = re.search(pattern, page, flags=re.S)
    assert found is not None, f"the saved page has no {pattern}"
    return page[: found.start()] + new + page[found.end() :]


def _paragraphs(text: str) -> str:
    return "".join(f"<p>{html.escape(line)}</p>" for line in text.splitlines() if line.strip())


def _listing_item(entry: Entry) -> str:
    return (
        '<li class="c-search-results__item"><h2 class="c-search-results__title">'
        f'<a class="c-search-results__link" href="{entry.path()}">{html.escape(entry.title)}</a></h2>'
        f'<p class="c-search-results__meta">Published: <time datetime="{entry.year}-{entry.month:02d}-'
        f'{entry.day:02d}">{entry.published}</time></p></li>\n'
    )


def _pagination(paths: list[str], page: int) -> str:
    if len(paths) == 1:
        return ""
    items = []
    for number, path in enumerate(paths, start=1):
        if number == page:
            items.append(
                f'<li class="c-pagination__item c-pagination__item--current"><span>{number}</span></li>'
            )
        else:
            items.append(f'<li class="c-pagination__item"><a href="{path}">{number}</a></li>')
    if page < len(paths):
        items.append(f'<li class="c-pagination__item--next"><a href="{paths[page]}" rel="next">Next</a></li>')
    return f'<nav class="c-pagination" aria-label="Results pages"><ul>{"".join(items)}</ul></nav>'


_RICH_TEXT = re.compile(r'<div class="c-rich-text">.*?</div>', re.S)


def response_page(entry: Entry) -> str:
    """The saved overtime response with this entry's title, date, reference, texts and letter."""
    letter = entry.letter_path()
    attached = (
        f'<p>The figures are in the <a href="{letter}">attached document (PDF)</a>.</p>' if letter else ""
    )
    body = (
        '<div class="c-rich-text">'
        f"<p>Freedom of information request reference no: {entry.reference}</p>"
        "<p>I note you seek access to the following information:</p>"
        f"{_paragraphs(entry.text.request)}<h2>Decision</h2>{_paragraphs(entry.text.response)}{attached}</div>"
    )
    page = _RESPONSE.read_text(encoding="utf-8")
    page = _RICH_TEXT.sub(lambda _m: body, page, count=1)
    page = page.replace("Police officer overtime spend 2022/23", html.escape(entry.title))
    return page.replace("7 November 2023", entry.published)


def _council_options(source: str) -> dict[str, Any]:
    return {
        "link_pattern": f"/{source}/foi-requests/\\d+$",
        "fields": {"reference": r"/foi-requests/(\d+)$"},
        "fetch_attachments": True,
    }


def council_page(entry: Entry) -> str:
    """The saved Barnet request page with this entry's title, date, texts and letter."""
    page = (_BARNET / "foi-requests/6312721").read_text(encoding="utf-8")
    letter = entry.letter_path()
    attachments = (
        f'<h2 class="govuk-heading-m">Attachments</h2><ul class="govuk-list"><li><a class="govuk-link" '
        f'href="{letter}">FOI {entry.number} (PDF, 2 KB)</a></li></ul>'
        if letter
        else ""
    )
    page = re.sub(
        r'<div class="foi-request govuk-body">.*?</ul>\n',
        lambda _m: (
            f'<div class="foi-request govuk-body">{_paragraphs(entry.text.request)}</div>'
            f'<h2 class="govuk-heading-m">Response</h2>'
            f'<div class="foi-response govuk-body">{_paragraphs(entry.text.response)}</div>{attachments}\n'
        ),
        page,
        count=1,
        flags=re.S,
    )
    page = page.replace("Council's CCTV system", html.escape(entry.title))
    return page.replace("21 May 2020", entry.published)
