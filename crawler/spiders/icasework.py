"""Civica iCasework: one getcases request lists the published cases, each with its documents."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterator
from typing import Any

import scrapy
from scrapy.exceptions import CloseSpider
from scrapy.http import Response

from crawler.attachments import EXTRACTABLE
from crawler.items import ResponseItem
from crawler.platforms.icasework import (
    Case,
    IcaseworkFormatError,
    IcaseworkOptions,
    case_exemptions,
    case_outcome,
    case_published,
    case_response_text,
    case_title,
    case_url,
    getcases_url,
    is_extractable,
    parse_case,
    parse_getcases,
)
from crawler.platforms.listing import canonical_url
from crawler.spiders.common import FoiSpider

log = logging.getLogger(__name__)
_ACCEPT = {"xml": "application/xml, text/xml;q=0.9", "json": "application/json"}


class IcaseworkSpider(FoiSpider):
    """``scrapy crawl icasework -a source=<id>``; the source URL is the portal or its getcases address."""

    name = "icasework"
    platform = "icasework"

    @property
    def icasework_options(self) -> IcaseworkOptions:
        assert isinstance(self.options, IcaseworkOptions)
        return self.options

    async def start(self) -> AsyncIterator[Any]:
        options = self.icasework_options
        yield scrapy.Request(
            getcases_url(self.start_url, options),
            callback=self.parse_cases,
            errback=self.listing_failed,
            headers={"Accept": _ACCEPT[options.format]},
            cb_kwargs={"known": self.known_urls()},
        )

    def parse_cases(self, response: Response, known: set[str]) -> Iterator[Any]:
        try:
            records = parse_getcases(response.body)
        except IcaseworkFormatError as exc:
            # Not "no new cases": the feed is broken or hostile, and the run must say so.
            raise CloseSpider(f"iCasework getcases answer unreadable: {exc}") from None
        self.count("listing_pages")
        cases = []
        for record in records:
            try:
                cases.append(parse_case(record))
            except IcaseworkFormatError as exc:
                self.invalid(response.url, str(exc))
        published = [case for case in cases if case.publish]
        for case in cases:
            if not case.publish:
                log.info("%s: case %s is marked not for publication; skipped", self.source_id, case.reference)
        self.count("listed", len(published))
        self.listed([self._url(case) for case in published])
        fresh = [case for case in published if self._url(case) not in known]
        self.count("skipped_known", len(published) - len(fresh))
        for case in fresh:
            yield from self.complete(self._item(case))

    def _url(self, case: Case) -> str:
        return canonical_url(case_url(self.start_url, self.icasework_options, case))

    def _item(self, case: Case) -> ResponseItem:
        return ResponseItem(
            source_id=self.source_id,
            authority=self.authority,
            url=self._url(case),
            title=case_title(case),
            reference=case.reference,
            published=case_published(case),
            date_source="page",
            request=case.request,
            response=case_response_text(case),
            outcome=case_outcome(case),
            exemptions=case_exemptions(case),
            attachments=[
                {"url": d.url, "name": d.name, "content_type": d.mime_type or None} for d in case.documents
            ],
        )

    def complete(self, item: ResponseItem) -> Iterator[Any]:
        """As ``FoiSpider.complete``, choosing documents by the MIME type the feed gives as well:
        iCasework's document URLs (``servlets.getImg?ref=...``) carry no file extension."""
        wanted = [
            i
            for i, a in enumerate(item.attachments)
            if is_extractable(a) or a["url"].lower().split("?")[0].endswith(EXTRACTABLE)
        ]
        if not self.icasework_options.fetch_attachments or not wanted:
            yield item
            return
        yield self._attachment_request(item, wanted)
