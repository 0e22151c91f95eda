"""CSV and XLSX disclosure logs: one file, one response per row."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterator
from typing import Any, cast

import scrapy
from scrapy.exceptions import CloseSpider
from scrapy.http import Response

from crawler.items import ResponseItem
from crawler.normalise import normalise_reference
from crawler.platforms.data_file import DataFileError, DataFileOptions, RowResponse, read_row, read_table
from crawler.spiders.common import FoiSpider

log = logging.getLogger(__name__)


class DataFileSpider(FoiSpider):
    """``scrapy crawl data_file -a source=<id>``: the whole log is one download."""

    name = "data_file"
    platform = "data_file"

    @property
    def file_options(self) -> DataFileOptions:
        return cast(DataFileOptions, self.options)

    async def start(self) -> AsyncIterator[Any]:
        yield scrapy.Request(
            self.start_url,
            callback=self.parse_file,
            errback=self.listing_failed,
            cb_kwargs={"known": self.known_urls()},
        )

    def parse_file(self, response: Response, known: set[str]) -> Iterator[Any]:
        self.count("listing_pages")
        try:
            table = read_table(response.body, self.file_options)
        except DataFileError as exc:
            # The whole log is unreadable: fail the run with the reason, not "nothing listed".
            raise CloseSpider(f"{response.url} is not a readable disclosure log: {exc}") from exc
        if table.truncated:
            self.crawler.stats.set_value("foiwatch/page_limit_reached", 1)
            log.warning("%s: %s read in part: %s", self.source_id, response.url, table.truncation)
        self.count("listed", len(table.rows))
        first_row_of: dict[str, int] = {}
        for row in table.rows:
            # Rows keyed by reference share the file's address, so the configured URL keys them,
            # not wherever the download was redirected to today.
            parsed = read_row(row, table, self.file_options, self.start_url)
            if not parsed.problems:
                first = first_row_of.setdefault(_key(parsed), row.number)
                if first != row.number:
                    parsed.problems.append(f"the same reference or link as row {first}")
            if parsed.problems:
                self.invalid(f"{self.start_url} row {row.number}", "; ".join(parsed.problems))
                continue
            if parsed.url in known:
                self.count("skipped_known")
                continue
            yield from self.complete(self._item(parsed))

    def _item(self, parsed: RowResponse) -> ResponseItem:
        return ResponseItem(
            source_id=self.source_id,
            authority=parsed.authority or self.authority,
            url=parsed.url,
            title=parsed.title,
            reference=parsed.reference,
            published=parsed.published,
            date_source="page",
            request=parsed.request,
            response=parsed.response,
            outcome=parsed.outcome,
            exemptions=parsed.exemptions,
            attachments=[{"url": url, "name": name} for url, name in parsed.attachments],
            # rows share the file's address: the reference (or the row's link) is the identity
            own_page=False,
        )


def _key(parsed: RowResponse) -> str:
    """What the store keys a response by: its reference, else its address."""
    return normalise_reference(parsed.reference) if parsed.reference else parsed.url
