"""Downloader middlewares that keep a crawl honest.

- ``FreshOnlyHttpCacheMiddleware`` with ``FreshOnlyCachePolicy``: the HTTP cache is only ever used
  to revalidate (a 304 means "what you have is current"). Scrapy's RFC 2616 policy would also hand
  back the cached copy when the site answers 5xx or the download fails; for a monitor that is a
  stale page passed off as today's, hiding new responses and the outage itself.
- ``SourceHostsGuard``: only ``http(s)`` URLs on the source's own hosts (plus hosts it lists) are
  ever requested, redirects included; ``file://`` links, other hosts and other ports are refused.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from scrapy import Request, Spider
from scrapy.crawler import Crawler
from scrapy.downloadermiddlewares.httpcache import HttpCacheMiddleware
from scrapy.extensions.httpcache import RFC2616Policy
from scrapy.http import Response

from crawler.problems import OffsiteRefused

_DEFAULT_PORTS = {"http": 80, "https": 443}


class FreshOnlyCachePolicy(RFC2616Policy):
    """RFC 2616 revalidation, except that a cached copy is never used unasked, and an error never
    brings it back: only a 304 from the site itself says the copy is current."""

    def is_cached_response_fresh(self, cachedresponse: Response, request: Request) -> bool:
        # Called for its side effect (validators on the request when the copy is stale); a copy
        # the site called fresh for a year is still asked about, so the answer is always "ask".
        super().is_cached_response_fresh(cachedresponse, request)
        return False

    def is_cached_response_valid(
        self, cachedresponse: Response, response: Response, request: Request
    ) -> bool:
        return response.status == 304


class FreshOnlyHttpCacheMiddleware(HttpCacheMiddleware):
    """Scrapy's cache middleware without its fallback to the cached copy on download errors."""

    def process_exception(
        self, request: Request, exception: Exception, spider: Spider | None = None
    ) -> Request | Response | None:
        request.meta.pop("cached_response", None)
        return None


def host_key(url: str) -> tuple[str, int] | None:
    """(host without ``www.``, port) of an http(s) URL; None for any other scheme or no host."""
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS or not parts.hostname:
        return None
    try:
        port = parts.port or _DEFAULT_PORTS[scheme]
    except ValueError:
        return None
    return parts.hostname.lower().removeprefix("www."), port


def allowed_hosts(start_url: str, extra: list[str] | tuple[str, ...] = ()) -> set[tuple[str, int]]:
    """Where a source may fetch from: its start URL's host and the hosts it lists explicitly.

    A host on a default port may be reached over http or https (sites redirect one to the other);
    a host with an explicit port only on that port.
    """
    allowed: set[tuple[str, int]] = set()
    for entry in [start_url, *extra]:
        url = entry if "://" in entry else f"https://{entry}"
        key = host_key(url)
        if key is None:
            continue
        host, port = key
        allowed |= {(host, 80), (host, 443)} if port in (80, 443) else {(host, port)}
    return allowed


class SourceHostsGuard:
    """Refuses and counts every request outside the spider's ``allowed_hosts``."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> SourceHostsGuard:
        return cls(crawler)

    def process_request(self, request: Request, spider: Spider | None = None) -> None:
        spider = spider or self.crawler.spider
        allowed: set[tuple[str, int]] | None = getattr(spider, "allowed_hosts", None)
        if allowed is None:
            return
        key = host_key(request.url)
        if key is not None and key in allowed:
            return
        scheme = urlsplit(request.url).scheme.lower() or "no scheme"
        reason = (
            f"refused {scheme}: link {request.url[:300]} (only http and https are fetched)"
            if key is None
            else f"refused link to another host {request.url[:300]} (not one of the source's hosts;"
            " list it under allowed_hosts if it is the source's own)"
        )
        # Counted here; the request's errback reports it with the stage it belongs to.
        assert self.crawler.stats is not None
        self.crawler.stats.inc_value("foiwatch/refused")
        raise OffsiteRefused(reason)
