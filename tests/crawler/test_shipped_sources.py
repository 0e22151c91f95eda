"""The shipped source list loads, validates and covers what the product promises."""

from __future__ import annotations

from collections import Counter

from crawler.config import PLATFORMS, load_sources, options_model
from tests.conftest import REPO


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


def test_every_platform_has_a_loadable_options_model() -> None:
    for platform in PLATFORMS:
        assert options_model(platform).model_json_schema()["type"] == "object"
