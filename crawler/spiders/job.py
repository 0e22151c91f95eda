"""The one spider a Scrapyd node is asked to run: ``scrapy crawl foiwatch -a job=<JSON>``.

The job names the source, the crawler settings, the run and the mode; the spider applies
``crawler.run.build_settings`` to them, so a crawl on a node behaves as one beside the service
(robots.txt, throttling, revalidation, run recording, the archive), then hands over to the source's
platform spider. The database URL never travels with the job: Scrapyd shows spider arguments in
``listjobs.json`` and on its crawl processes' command lines, so the node reads the URL from its own
``FOIWATCH_DATABASE_URL``. The job names the database with its password hidden, and a node set up
for another database refuses the job rather than record into a run that is not this one.
"""

from __future__ import annotations

import json
import os
from typing import Any

import scrapy
from scrapy.crawler import Crawler
from scrapy.utils.misc import load_object

from crawler.config import PLATFORMS, CrawlerSettings, SourceConfig
from crawler.extensions import CLOSE_RUN_SETTING
from crawler.run import build_settings, code_fingerprint, spider_arguments
from storage.db import default_data_dir, without_password

DATABASE_ENV = "FOIWATCH_DATABASE_URL"


def node_database_url(expected: str) -> str:
    """This node's database URL, once it is the one the job was made for (``expected``, no password)."""
    url = os.environ.get(DATABASE_ENV)
    if not url:
        raise ValueError(f"{DATABASE_ENV} is not set on this node: set it where Scrapyd starts")
    if without_password(url) != expected:
        raise ValueError(
            f"this node's {DATABASE_ENV} names {without_password(url)}, the job {expected}: "
            "point the node at the service's database"
        )
    return url


def check_code(expected: str) -> None:
    """Refuse a job from a service running other crawl code than this node (``code_fingerprint``)."""
    if code_fingerprint() != expected:
        raise ValueError(
            f"this node's foiwatch code ({code_fingerprint()}) is not the service's ({expected}): "
            "install the service's foiwatch version on the node and run `foiwatch scrapyd deploy`"
        )


class JobSpider(scrapy.Spider):
    """Becomes the platform spider of the job's source, with foiwatch's settings for that crawl."""

    name = "foiwatch"

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> Any:
        job = json.loads(kwargs.pop("job"))
        check_code(job["code"])
        source = SourceConfig.model_validate(job["source"])
        settings = build_settings(
            CrawlerSettings.model_validate(job["crawler"]),
            default_data_dir(),
            node_database_url(job["database"]),
            int(job["run_id"]),
            bool(job["archive"]),
        )
        # Nobody on this machine waits for the crawl to end: it closes its run itself, and stops
        # if the service closed it first (``crawler.extensions.ClosedRunWatch``).
        settings[CLOSE_RUN_SETTING] = True
        settings["FOIWATCH_RUN_CHECK_SECONDS"] = float(job.get("check_seconds", 5.0))
        # Over the project's settings; Scrapyd's own (LOG_FILE, given on the command line) stay.
        crawler.settings.setdict(settings, priority="spider")
        platform_spider = load_object(PLATFORMS[source.platform].spider)
        return platform_spider.from_crawler(crawler, **spider_arguments(source, job["mode"]))
