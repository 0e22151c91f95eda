"""Failures described in words a person can act on (table-driven, on real Twisted and Scrapy errors)."""

from __future__ import annotations

import pytest
from scrapy import Request
from scrapy.exceptions import (
    CannotResolveHostError,
    DownloadCancelledError,
    DownloadConnectionRefusedError,
    DownloadFailedError,
    DownloadTimeoutError,
    IgnoreRequest,
)
from scrapy.http import Response
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.internet import error
from twisted.python.failure import Failure
from twisted.web._newclient import ResponseFailed

from crawler.problems import OffsiteRefused, describe_failure

URL = "https://www.example.gov.uk/foi/log/"


def _failure(exc: BaseException) -> Failure:
    failure = Failure(exc)
    failure.request = Request(URL)  # type: ignore[attr-defined]
    return failure


def _wrapped(outer: Exception, inner: Exception) -> Exception:
    outer.__cause__ = inner
    return outer


def _http(status: int, headers: dict[str, str] | None = None) -> Exception:
    return HttpError(Response(URL, status=status, headers=headers or {}), "ignored")


@pytest.mark.parametrize(
    ("exc", "words"),
    [
        (_http(500), f"HTTP 500 at {URL}"),
        (_http(503, {"Retry-After": "120"}), f"HTTP 503 (Retry-After: 120) at {URL}"),
        (_http(404), f"HTTP 404 at {URL}"),
        (DownloadTimeoutError("took longer than 30.0 seconds"), f"timed out after 30 s at {URL}"),
        (error.TimeoutError(), f"timed out after 30 s at {URL}"),
        (CannotResolveHostError("no such host"), "DNS lookup failed for www.example.gov.uk"),
        (error.DNSLookupError("no such host"), "DNS lookup failed for www.example.gov.uk"),
        (DownloadConnectionRefusedError("refused"), "connection refused by www.example.gov.uk"),
        (DownloadCancelledError("too big"), f"larger than the 20 MB download limit at {URL}"),
        (
            _wrapped(DownloadFailedError("[<Failure ConnectionLost>]"), ResponseFailed([])),
            f"connection lost before the page was complete (reset or truncated) at {URL}",
        ),
        (
            error.ConnectionLost(),
            f"connection lost before the page was complete (reset or truncated) at {URL}",
        ),
        (IgnoreRequest("Forbidden by robots.txt"), f"forbidden by robots.txt at {URL}"),
        (IgnoreRequest("max redirections reached"), f"too many redirects (a redirect loop?) at {URL}"),
        (OffsiteRefused("refused file: link file:///etc/passwd"), "refused file: link file:///etc/passwd"),
    ],
)
def test_failures_are_described_in_words(exc: Exception, words: str) -> None:
    assert describe_failure(_failure(exc), download_timeout=30, download_maxsize=20_000_000) == words
