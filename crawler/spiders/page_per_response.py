"""Sites with an index and one page per response under question and answer headings (ONS, TfL, TNA)."""

from __future__ import annotations

import re

from scrapy.http import Response

from crawler.platforms.listing import canonical_url
from crawler.platforms.page import ParsedPage
from crawler.platforms.page_per_response import PagePerResponseOptions, read_page
from crawler.spiders.base import ListDetailSpider
from crawler.spiders.html_log import response_html


class PagePerResponseSpider(ListDetailSpider):
    """``scrapy crawl page_per_response -a source=<id>``: index pages, then one page per response."""

    name = "page_per_response"
    platform = "page_per_response"

    @property
    def page_options(self) -> PagePerResponseOptions:
        assert isinstance(self.options, PagePerResponseOptions)
        return self.options

    def is_response_link(self, url: str) -> bool:
        return bool(re.search(self.page_options.link_pattern, url)) and canonical_url(url) != canonical_url(
            self.start_url
        )

    def read_page(self, response: Response) -> ParsedPage:
        options = self.page_options
        return read_page(
            response_html(response), response.url, options.question_headings, options.answer_headings
        )
