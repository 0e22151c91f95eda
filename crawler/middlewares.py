"""Downloader middlewares that keep a crawl honest.

- ``FreshOnlyHttpCacheMiddleware`` with ``FreshOnlyCachePolicy``: the HTTP cache is only ever used
  to revalidate (a 304 means "what you have is current"). Scrapy's RFC 2616 policy would also hand
  back the cached copy when the site answers 5xx or the download fails; for a monitor that is a
  stale page passed off as today's, hiding new responses and the outage itself. The one exception
  is ``/robots.txt``, kept as RFC 9309 allows: for as long as the site says it is fresh, at most
  24 hours (``crawler.robots_txt_cache_hours`` when the site says nothing), so sources sharing a
  host, and crawls an hour apart, do not each fetch it.
- ``SourceHostsGuard``: only ``http(s)`` URLs on the source's own hosts (plus hosts it lists) are
  ever requested, redirects included; ``file://`` links, other hosts and other ports are refused.
"""

from __future__ import annotations

import time
from urllib.parse import urlsplit

from scrapy import Request, Spider
from scrapy.crawler import Crawler
from scrapy.downloadermiddlewares.httpcache import HttpCacheMiddleware
from scrapy.extensions.httpcache import RFC2616Policy, rfc1123_to_epoch
from scrapy.http import Response
from scrapy.settings import BaseSettings

from crawler.problems import OffsiteRefused

_DEFAULT_PORTS = {"http": 80, "https": 443}
# RFC 9309, 2.4: a cached robots.txt SHOULD NOT be used for more than 24 hours.
ROBOTS_TXT_MAX_AGE = 24 * 3600


def is_robots_txt(request: Request) -> bool:
    return urlsplit(request.url).path == "/robots.txt"


class FreshOnlyCachePolicy(RFC2616Policy):
    """RFC 2616 revalidation, except that a cached copy is never used unasked, and an error never
    brings it back: only a 304 from the site itself says the copy is current. robots.txt alone is
    used unasked while fresh (see the module's docstring)."""

    def __init__(self, settings: BaseSettings) -> None:
        super().__init__(settings)
        self.robots_max_age = settings.getfloat("FOIWATCH_ROBOTS_TXT_CACHE_SECONDS", 0)

    def is_cached_response_fresh(self, cachedresponse: Response, request: Request) -> bool:
        if is_robots_txt(request) and self._robots_txt_fresh(cachedresponse, request):
            return True
        # Always asked about, with the copy's validators, so that an unchanged page costs a 304.
        # (Scrapy's policy sends none for a copy it thinks fresh, or one the site marked no-cache:
        # that means "ask before use", which is what a conditional request does.)
        self._set_conditional_validators(request, cachedresponse)
        return False

    def should_cache_response(self, response: Response, request: Request) -> bool:
        # A robots.txt that is not there (4xx: everything allowed, RFC 9309 2.3.1.3) is kept too.
        if is_robots_txt(request) and response.status in (404, 410):
            return b"no-store" not in self._parse_cachecontrol(response)
        return super().should_cache_response(response, request)

    def _robots_txt_fresh(self, cached: Response, request: Request) -> bool:
        """A kept robots.txt younger than the site's own freshness (or the configured one when it
        gives none), and never older than 24 hours; ``no-cache`` always asks."""
        control = self._parse_cachecontrol(cached)
        if b"no-cache" in control or b"no-store" in control or cached.status >= 500:
            return False
        stored = rfc1123_to_epoch(cached.headers.get(b"Date"))
        if stored is None:
            return False
        now = time.time()
        explicit = b"max-age" in control or b"s-maxage" in control or b"Expires" in cached.headers
        lifetime = self._compute_freshness_lifetime(cached, request, now) if explicit else self.robots_max_age
        return 0 <= now - stored < min(lifetime, ROBOTS_TXT_MAX_AGE)

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
