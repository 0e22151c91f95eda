"""The do-nothing reference: a Scrapy spider that fetches given addresses and does nothing with them.

Run as ``python -m tests.benchfarm.reference`` with a JSON job on stdin: ``base_url``, ``paths`` and
``settings`` (foiwatch's own Scrapy settings, less its pipelines, middlewares, extensions (Scrapy's
own are back, AutoThrottle among them) and HTTP cache, so concurrency, delays, throttling, robots.txt
and user agent are the same).
"""

from __future__ import annotations

import json
import sys
from collections.abc import AsyncIterator
from typing import Any

import scrapy
from scrapy.crawler import CrawlerProcess
from scrapy.http import Response


class DoNothingSpider(scrapy.Spider):
    name = "do-nothing"

    def __init__(self, urls: list[str], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.urls = urls

    async def start(self) -> AsyncIterator[scrapy.Request]:
        for url in self.urls:
            yield scrapy.Request(url, callback=self.parse, dont_filter=True)

    def parse(self, response: Response, **kwargs: Any) -> None:
        return None


def reference_settings(foiwatch_settings: dict[str, Any]) -> dict[str, Any]:
    """foiwatch's Scrapy settings with everything of foiwatch's own taken out."""
    dropped = {
        "ITEM_PIPELINES",
        "SPIDER_MIDDLEWARES",
        "DOWNLOADER_MIDDLEWARES",
        "EXTENSIONS",
        "EXTENSIONS_BASE",
        "SPIDER_MODULES",
        "HTTPCACHE_POLICY",
        "HTTPCACHE_STORAGE",
        "HTTPCACHE_DIR",
    }
    settings = {
        k: v for k, v in foiwatch_settings.items() if k not in dropped and not k.startswith("FOIWATCH_")
    }
    settings["HTTPCACHE_ENABLED"] = False
    settings["LOG_LEVEL"] = "WARNING"
    return settings


def main() -> None:
    job = json.load(sys.stdin)
    process = CrawlerProcess(job["settings"])
    process.crawl(DoNothingSpider, urls=[job["base_url"] + path for path in job["paths"]])
    process.start()


if __name__ == "__main__":
    main()
