"""The shipped source list loads, validates and covers what the product promises."""

from __future__ import annotations

import re
from collections import Counter

from crawler.config import PLATFORMS, load_sources, options_model
from tests.conftest import REPO

_ENTRY = re.compile(r"^\s*- id:\s*(\S+)")


def test_shipped_sources_load_and_cover_the_uk() -> None:
    sources = load_sources(REPO / "config")
    assert len(sources) >= 60
    platforms = Counter(s.platform for s in sources)
    assert platforms["police_soh"] >= 40
    councils = [s for s in sources if "council" in s.authority.lower()]
    assert len(councils) >= 20
    feeds = {feed for s in sources if s.platform == "alaveteli" for feed in s.options["feeds"]}
    for query in ("cctv", "surveillance camera", "hikvision", "body worn", "anpr", "facial recognition"):
        assert f"/feed/search/{query}" in feeds
    assert {"ons", "govuk-cctv"} <= {s.id for s in sources}
    assert all(s.url.startswith("https://") or s.url.startswith("http://") for s in sources)


def test_seven_or_more_platforms_are_shipped() -> None:
    platforms = {s.platform for s in load_sources(REPO / "config")}
    assert len(platforms) >= 7
    assert {"feed", "icasework"} <= platforms


def test_every_non_police_source_says_where_its_address_was_seen() -> None:
    """Each source other than a police force sits under a comment about it or its group of the same
    platform: walking up from its entry, a comment comes before any entry of another platform."""
    platform = {s.id: s.platform for s in load_sources(REPO / "config")}
    lines = (REPO / "config" / "sources.yaml").read_text(encoding="utf-8").splitlines()
    unexplained = []
    for index, line in enumerate(lines):
        entry = _ENTRY.match(line)
        if not entry or platform[entry.group(1)] == "police_soh":
            continue
        for above in reversed(lines[:index]):
            other = _ENTRY.match(above)
            if above.strip().startswith("#"):
                break
            if other and platform[other.group(1)] != platform[entry.group(1)]:
                unexplained.append(entry.group(1))
                break
        else:
            unexplained.append(entry.group(1))
    assert unexplained == []


def test_every_platform_has_a_loadable_options_model() -> None:
    for platform in PLATFORMS:
        assert options_model(platform).model_json_schema()["type"] == "object"


def test_every_police_address_says_what_it_rests_on() -> None:
    from crawler.platforms.police_soh import looks_like_log

    police = [s for s in load_sources(REPO / "config") if s.platform == "police_soh"]
    unexplained = [s.id for s in police if not (s.basis or "").startswith(("stored cop", "no stored copy"))]
    assert not unexplained, f"police sources without a basis: {unexplained}"
    # Where no copy of the log was seen, the source starts at a landing page and the crawl finds the log:
    # an unseen log address must never be shipped as if it were known.
    guessed = [s.id for s in police if (s.basis or "").startswith("no stored copy") and looks_like_log(s.url)]
    assert not guessed, f"log addresses shipped without a stored copy: {guessed}"
