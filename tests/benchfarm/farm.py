"""Generated disclosure logs for the benchmark farm: N police logs x M responses, seeded.

Every page is a real saved page with its content swapped: listings from the Met's saved disclosure
log (20 responses a page, ``?page=N`` links, newest first), responses from its saved overtime
response (the reference, "I note you seek access...", "Decision" and the attachment link kept in
their places), texts from ``eval/cctv.jsonl``, letters from the saved PDFs. So the product's
parsers read the farm as they read the real site; ``tests/test_benchfarm.py`` checks that they do.

Only texts on which the shipped classifier agrees with the label are used, so "new CCTV responses"
is a number the benchmark can hold the notifications to.
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
_LETTERS = sorted((FIXTURES / "police_soh/site/SysSiteAssets/foi-media/metropolitan-police").rglob("*.pdf"))
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

    @property
    def slug(self) -> str:
        words = re.sub(r"[^a-z0-9]+", "-", self.text.title.lower()).strip("-")[:40].strip("-")
        return f"{words or 'response'}-{self.number}"

    @property
    def title(self) -> str:
        return f"{self.text.title} ({self.number})"

    @property
    def reference(self) -> str:
        return f"01.FOI.{self.year % 100}.{self.number:06d}"

    @property
    def published(self) -> str:
        return f"{self.day} {_MONTHS[self.month - 1].capitalize()} {self.year}"

    def path(self) -> str:
        return (
            f"/foi-ai/{self.source}/disclosure-{self.year}/{_MONTHS[self.month - 1]}-{self.year}/{self.slug}/"
        )

    def letter_path(self) -> str | None:
        if self.letter is None:
            return None
        folder = f"disclosure_{self.year}/{_MONTHS[self.month - 1]}_{self.year}"
        return f"/SysSiteAssets/foi-media/{self.source}/{folder}/{self.slug}.pdf"


def agreed_texts() -> list[Text]:
    """The evaluation texts whose label the shipped CCTV classifier agrees with, in file order."""
    classifier = build_classifiers(load_config(REPO / "config").topics)["cctv"]
    texts = []
    for line in (REPO / "eval/cctv.jsonl").read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        text = Text(row["title"], row["request"], row["response"], bool(row["label"]))
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
    logs: dict[str, list[Entry]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.random = random.Random(self.seed)
        self.texts = agreed_texts()
        self._next = 1
        for index in range(self.sources):
            source = f"farm-police-{index + 1:03d}"
            # oldest first as numbered, listed newest first
            self.add_log(source, self.responses)

    def add_log(self, source: str, responses: int) -> None:
        """One more log, of ``responses`` responses (before ``write``)."""
        self.logs[source] = [self._entry(source, 2025, n, responses) for n in range(responses)][::-1]

    @property
    def site(self) -> Path:
        return self.root / "site"

    @property
    def config(self) -> Path:
        return self.root / "config"

    def _entry(self, source: str, year: int, position: int, count: int) -> Entry:
        number, self._next = self._next, self._next + 1
        month = 1 + position * 12 // max(count, 1)
        letter = self.random.choice(_LETTERS) if self.random.random() < ATTACHMENT_SHARE else None
        day = 1 + position % 28
        return Entry(source, number, self.random.choice(self.texts), year, month, day, letter)

    def log_path(self, source: str) -> str:
        return f"/foi-ai/{source}/disclosure-log/"

    def listing_paths(self, source: str) -> list[str]:
        pages = max(1, -(-len(self.logs[source]) // PAGE_SIZE))
        return [self.log_path(source)] + [f"{self.log_path(source)}?page={p}" for p in range(2, pages + 1)]

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
                "platform": "police_soh",
                "authority": f"Farm Police {index + 1}",
                "url": base_url + self.log_path(source),
                "max_pages": 100_000,
                "options": {"fetch_attachments": True},
            }
            for index, source in enumerate(self.logs)
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
        entries = self.logs[source]
        paths = self.listing_paths(source)
        template = _LISTING.read_text(encoding="utf-8").replace("metropolitan-police", source)
        for page in range(1, len(paths) + 1):
            chunk = entries[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
            items = "".join(_listing_item(e) for e in chunk)
            listing = re.sub(
                r'<ol class="c-search-results".*?</ol>',
                lambda _m, items=items, page=page: (
                    f'<ol class="c-search-results" start="{(page - 1) * PAGE_SIZE + 1}">{items}</ol>'
                ),
                template,
                flags=re.S,
            )
            nav = _pagination(paths, page)
            listing = re.sub(
                r'<nav class="c-pagination".*?</nav>', lambda _m, nav=nav: nav, listing, flags=re.S
            )
            name = "index.html" if page == 1 else f"index@page={page}.html"
            self._put(self.log_path(source).strip("/") + "/" + name, listing.encode("utf-8"))

    def _write_entry(self, entry: Entry) -> None:
        self._put(entry.path().strip("/") + "/index.html", response_page(entry).encode("utf-8"))
        letter = entry.letter_path()
        if letter and entry.letter:
            self._put(letter.lstrip("/"), entry.letter.read_bytes())

    def _put(self, relative: str, body: bytes) -> None:
        target = self.site / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(body)


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
