"""Building the record to store from a spider's item: where its date came from."""

from __future__ import annotations

from datetime import date

import pytest

from crawler.items import ResponseItem
from crawler.pipelines import InvalidItem, to_record

RESPONSE = "The MPS holds 4,000 CCTV cameras across its estate; the list is attached."


def _item(published: date | None, date_source: str | None) -> ResponseItem:
    return ResponseItem(
        source_id="met",
        authority="Metropolitan Police Service",
        url="https://www.met.police.uk/foi-ai/metropolitan-police/disclosure-2023/june-2023/cctv/",
        title="CCTV on the police estate",
        published=published,
        date_source=date_source,
        response=RESPONSE,
    )


@pytest.mark.parametrize(
    ("published", "given", "stored"),
    [
        (date(2023, 6, 13), "listing", "listing"),
        (date(2023, 6, 1), "url-month", "url-month"),
        # a date given without its source was read from the publisher
        (date(2023, 6, 13), None, "page"),
        # no date, no source: storage dates it by first sighting
        (None, "page", None),
        (None, None, None),
    ],
)
def test_the_record_keeps_where_its_date_came_from(
    published: date | None, given: str | None, stored: str | None
) -> None:
    record = to_record(_item(published, given))
    assert (record.published, record.date_source) == (published, stored)


def test_an_unknown_date_source_is_refused() -> None:
    with pytest.raises(InvalidItem, match="unknown date source 'rss'"):
        to_record(_item(date(2023, 6, 13), "rss"))
