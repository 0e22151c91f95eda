"""Disclosure logs built for fault and crash tests: many sources on the police "Single Online Home"
shell, each a listing page and response pages made from two saved real Met pages (a CCTV response and
an overtime response), so the spiders read them exactly as they read the real ones.

``publish`` adds a response to a source's log; faults are then laid on with ``LocalSite.faults``
or by rewriting a page (wrong charset, malformed markup, a layout change).
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from pathlib import Path

from tests.conftest import FIXTURES

_MET = FIXTURES / "police_soh/site/foi-ai/metropolitan-police"
CCTV_PAGE = _MET / "disclosure-2024/december-2024/cctv-on-the-police-estate/index.html"
OTHER_PAGE = _MET / "disclosure-2023/november-2023/police-officer-overtime-spend-2022-23/index.html"
LISTING_PAGE = _MET / "disclosure-log/index.html"
_TEMPLATES = {
    True: ("CCTV on the police estate", "01.FOI.24.041290", "9 December 2024"),
    False: ("Police officer overtime spend 2022/23", "01.FOI.23.031877", "7 November 2023"),
}


@dataclass
class Published:
    source: str
    slug: str
    title: str
    reference: str
    cctv: bool

    def path(self) -> str:
        return f"/foi-ai/{self.source}/disclosure/2026/{self.slug}/"


@dataclass
class FarmSite:
    """A folder served by ``LocalSite``: ``log_path(source)`` is each source's listing."""

    root: Path
    published: dict[str, list[Published]] = field(default_factory=dict)

    def log_path(self, source: str) -> str:
        return f"/foi-ai/{source}/disclosure-log/"

    def publish(self, source: str, number: int, cctv: bool, reference: str | None = None) -> Published:
        """A new response page, listed first on its source's log."""
        kind = "CCTV camera locations" if cctv else "Overtime payments"
        entry = Published(
            source,
            f"foi-{number:04d}-{'cctv' if cctv else 'overtime'}",
            f"{kind} {source} {number}",
            reference or f"01.FOI.26.{number:06d}",
            cctv,
        )
        self._write(entry.path(), self.response_html(entry))
        self.published.setdefault(source, []).insert(0, entry)
        self.write_listing(source)
        return entry

    def response_html(self, entry: Published) -> str:
        template = (CCTV_PAGE if entry.cctv else OTHER_PAGE).read_text(encoding="utf-8")
        title, reference, date = _TEMPLATES[entry.cctv]
        page = template.replace(title, html.escape(entry.title)).replace(reference, entry.reference)
        return page.replace(date, "12 January 2026")

    def write_listing(self, source: str, entries: list[Published] | None = None) -> None:
        items = "".join(
            f'<li class="c-search-results__item"><h2 class="c-search-results__title">'
            f'<a class="c-search-results__link" href="{e.path()}">{html.escape(e.title)}</a></h2>'
            f'<p class="c-search-results__meta">Published: <time datetime="2026-01-12">12 January 2026'
            f"</time></p></li>"
            for e in (self.published.get(source, []) if entries is None else entries)
        )
        template = LISTING_PAGE.read_text(encoding="utf-8").replace("metropolitan-police", source)
        listing = re.sub(
            r'<ol class="c-search-results".*?</ol>',
            lambda _m: f'<ol class="c-search-results" start="1">{items}</ol>',
            template,
            flags=re.S,
        )
        listing = re.sub(r'<nav class="c-pagination".*?</nav>', "", listing, flags=re.S)
        self._write(self.log_path(source), listing)

    def rewrite(self, path: str, text: str, encoding: str = "utf-8") -> None:
        self._write(path, text, encoding)

    def _write(self, path: str, text: str, encoding: str = "utf-8") -> None:
        target = self.root / path.strip("/") / "index.html"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(text.encode(encoding, errors="replace"))
