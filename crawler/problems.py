"""Problems met during a crawl, in words a person can act on, sent to whoever records the run.

A spider or middleware calls ``report_problem``; ``crawler.extensions.RunRecorder`` collects the
problems and stores them with the run, so ``sources list``, health alerts and ``responses show``
can say *why* (``HTTP 503 (Retry-After: 120)``, ``timed out after 30 s``, ``DNS lookup failed``).
"""

from __future__ import annotations

from urllib.parse import urlsplit

from scrapy.crawler import Crawler
from scrapy.exceptions import (
    CannotResolveHostError,
    DownloadCancelledError,
    DownloadConnectionRefusedError,
    DownloadFailedError,
    DownloadTimeoutError,
    IgnoreRequest,
    ResponseDataLossError,
)
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.internet import defer, error
from twisted.python.failure import Failure
from twisted.web._newclient import ResponseFailed, ResponseNeverReceived

from storage.problems import cause_in_words

# Scrapy signal: kwargs stage (listing, page, attachment, link, item), url, cause.
problem_found = object()


class OffsiteRefused(IgnoreRequest):
    """A request for a scheme or host the source does not own (see ``SourceHostsGuard``)."""


def report_problem(crawler: Crawler, stage: str, url: str | None, cause: str) -> None:
    """Tell the run recorder (and the log, by the caller) about one problem."""
    crawler.signals.send_catch_log(signal=problem_found, stage=stage, url=url, cause=cause)


def _megabytes(size: int) -> str:
    return f"{size / 1_000_000:g} MB"


_LOST = (ResponseFailed, ResponseNeverReceived, error.ConnectionLost, error.ConnectionDone)


def _lost_connection(value: BaseException) -> bool:
    """Scrapy wraps Twisted's "connection lost" errors; look at what it wraps."""
    cause = value.__cause__
    if isinstance(cause, _LOST):
        return True
    text = str(value)
    return "ConnectionLost" in text or "ConnectionDone" in text or "ResponseNeverReceived" in text


def _first_line(value: object) -> str:
    return str(value).splitlines()[0][:200] if str(value) else type(value).__name__


def describe_failure(
    failure: Failure, download_timeout: float | None = None, download_maxsize: int | None = None
) -> str:
    """What went wrong with one request, in words, ending with the address."""
    request = getattr(failure, "request", None)
    url = request.url if request is not None else None
    where = f" at {url}" if url else ""
    value = failure.value
    if isinstance(value, HttpError):
        response = value.response
        retry_after = (response.headers.get("Retry-After") or b"").decode("latin-1").strip()
        extra = f" (Retry-After: {retry_after})" if retry_after else ""
        return f"HTTP {response.status}{extra} at {response.url}"
    if failure.check(OffsiteRefused):
        return str(value)
    if failure.check(DownloadTimeoutError, error.TimeoutError, error.TCPTimedOutError, defer.TimeoutError):
        seconds = (request.meta.get("download_timeout") if request is not None else None) or download_timeout
        return f"timed out after {seconds:g} s{where}" if seconds else f"timed out{where}"
    if failure.check(CannotResolveHostError, error.DNSLookupError):
        host = urlsplit(url).hostname if url else "?"
        return f"DNS lookup failed for {host}"
    if failure.check(DownloadConnectionRefusedError, error.ConnectionRefusedError):
        netloc = urlsplit(url).netloc if url else "?"
        return f"connection refused by {netloc}"
    if failure.check(DownloadCancelledError, defer.CancelledError):
        limit = (request.meta.get("download_maxsize") if request is not None else None) or download_maxsize
        size = f" the {_megabytes(int(limit))}" if limit else " the"
        return f"larger than{size} download limit{where}"
    if failure.check(ResponseDataLossError, ResponseFailed, error.ConnectionLost, error.ConnectionDone) or (
        isinstance(value, DownloadFailedError) and _lost_connection(value)
    ):
        return f"connection lost before the page was complete (reset or truncated){where}"
    if failure.check(DownloadFailedError, error.ConnectError):
        return f"connection failed ({_first_line(value)}){where}"
    if failure.check(IgnoreRequest):
        message = str(value)
        if "robots.txt" in message:
            return f"forbidden by robots.txt{where}"
        if "redirections" in message:
            return f"too many redirects (a redirect loop?){where}"
        return f"not fetched: {message}{where}"
    name = failure.type.__name__ if failure.type else "Error"
    return f"{cause_in_words(f'{name}: {failure.getErrorMessage()}')}{where}"
