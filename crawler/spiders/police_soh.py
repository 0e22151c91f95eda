"""Police forces on the "Single Online Home" site shell (met.police.uk, cleveland.police.uk, ...)."""

from __future__ import annotations

from scrapy.http import Response

from crawler.pagetext import decode_html
from crawler.platforms.page import ParsedPage, parse_detail
from crawler.platforms.police_soh import is_response_link
from crawler.spiders.base import ListDetailSpider


class PoliceSohSpider(ListDetailSpider):
    """``scrapy crawl police_soh -a source=<id>`` (or ``-a url=... -a authority=...``)."""

    name = "police_soh"
    platform = "police_soh"

    def is_response_link(self, url: str) -> bool:
        return is_response_link(url, self.start_url)

    def read_page(self, response: Response) -> ParsedPage:
        # Read by bytes: a page whose charset is declared wrongly must still give readable text.
        return parse_detail(decode_html(response.body, getattr(response, "encoding", None)), response.url)
