"""What the evidence archive keeps of a fetch, taken from Scrapy's response (see ``storage.archive``).

``PageCapture`` gives every item the response it was read from, whatever the platform: a response
page, a letter, a feed, a data file's rows. The store (``crawler.pipelines``) archives it, and the
attachments fetched for the item (``FoiSpider``), only when the item makes a new version.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.http import Response

from crawler.items import ResponseItem
from storage.archive import FetchedCopy
from storage.clock import utcnow

# The Scrapy setting that turns the archive on (``archive.enabled`` in settings.yaml).
ARCHIVE_SETTING = "FOIWATCH_ARCHIVE"
# Key of an item's attachment (a dict) holding its download as received.
ARCHIVED_FETCH = "archived_fetch"


def archiving(crawler: Crawler) -> bool:
    """Whether this crawl keeps archived copies: switched on, with a data folder to keep them in."""
    settings = crawler.settings
    return settings.getbool(ARCHIVE_SETTING) and bool(settings.get("FOIWATCH_DATA_DIR"))


def fetched_copy(response: Response) -> FetchedCopy:
    """The response as received: address, status, headers in order, bytes, and now as fetch time."""
    headers = tuple(
        (name.decode("latin-1"), value.decode("latin-1"))
        for name, values in response.headers.items()
        for value in values
    )
    protocol = getattr(response, "protocol", None)
    return FetchedCopy(
        url=response.url,
        status=response.status,
        headers=headers,
        body=response.body,
        fetched_at=utcnow(),
        protocol=str(protocol) if protocol else None,
    )


def _item_of(output: Any) -> ResponseItem | None:
    """The item in a callback's output: yielded, or carried to the fetch of its attachments
    (``FoiSpider._attachment_request`` puts it in the request's ``cb_kwargs``)."""
    if isinstance(output, ResponseItem):
        return output
    if isinstance(output, Request) and isinstance(output.cb_kwargs.get("item"), ResponseItem):
        return output.cb_kwargs["item"]
    return None


class PageCapture:
    """Spider middleware: an item without a page gets the response its callback read.

    The first callback to hand the item on is the page it was read from: later callbacks (its
    attachments) find the page already set.
    """

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> PageCapture:
        if not archiving(crawler):
            raise NotConfigured("the evidence archive is off")
        return cls()

    async def process_spider_output(
        self, response: Response, result: AsyncIterator[Any]
    ) -> AsyncIterator[Any]:
        copy: FetchedCopy | None = None
        async for output in result:
            item = _item_of(output)
            if item is not None and item.page is None:
                copy = copy or fetched_copy(response)
                item.page = copy
            yield output
