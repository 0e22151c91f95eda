"""Which listing page an incremental crawl reads next, when a pager links many at once."""

from __future__ import annotations

import pytest

from crawler.platforms.listing import next_in_turn, page_position

LOG = "https://www.example.gov.uk/foi/disclosure-log"


@pytest.mark.parametrize(
    ("url", "position"),
    [
        (f"{LOG}?page=3", 3),
        (f"{LOG}?category=cctv&page=12", 12),
        (f"{LOG}/page/4/", 4),
        (f"{LOG}?start=40", 40),
        (LOG, None),
        (f"{LOG}?cursor=abc", None),
    ],
)
def test_page_positions_are_read_from_the_address(url: str, position: int | None) -> None:
    assert page_position(url) == position


@pytest.mark.parametrize(
    ("pages", "here", "queued", "expected"),
    [
        # 1-based pager seen from the first page (which has no number): page 1's link comes first
        ([f"{LOG}?page=1", f"{LOG}?page=2", f"{LOG}?page=3", f"{LOG}?page=40"], LOG, {LOG}, f"{LOG}?page=1"),
        # seen from page 2: the lowest page after it, not page 1 or the last page
        (
            [f"{LOG}?page=1", f"{LOG}?page=3", f"{LOG}?page=4", f"{LOG}?page=40"],
            f"{LOG}?page=2",
            set(),
            f"{LOG}?page=3",
        ),
        # 0-based (Drupal): the first page has no number, ?page=1 is the second
        ([f"{LOG}?page=1", f"{LOG}?page=2"], LOG, {LOG}, f"{LOG}?page=1"),
        # the last page: only earlier ones are linked
        ([f"{LOG}?page=1", f"{LOG}?page=2"], f"{LOG}?page=3", set(), None),
        # offsets
        (
            [f"{LOG}?start=0", f"{LOG}?start=40", f"{LOG}?start=20"],
            f"{LOG}?start=0",
            set(),
            f"{LOG}?start=20",
        ),
        # no numbers (cursor links): the first not yet read
        ([f"{LOG}?cursor=a", f"{LOG}?cursor=b"], LOG, {LOG, f"{LOG}?cursor=a"}, f"{LOG}?cursor=b"),
        ([], LOG, {LOG}, None),
    ],
)
def test_one_page_at_a_time(pages: list[str], here: str, queued: set[str], expected: str | None) -> None:
    assert next_in_turn(pages, here, queued) == expected
