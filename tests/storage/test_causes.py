"""A run's recorded cause, as people read it: never a Python class name or repr."""

from __future__ import annotations

import pytest

from storage.problems import cause_in_words

START = "the start page could not be fetched"


@pytest.mark.parametrize(
    ("recorded", "words"),
    [
        (f"{START}: HTTP 404 at https://www.met.police.uk/foi-ai/x/", "HTTP 404 on the start page"),
        (
            f"{START}: HTTP 503 (Retry-After: 120) at https://x.uk/; crawler process exited with status 1",
            "HTTP 503 (Retry-After: 120) on the start page",
        ),
        (f"{START}: DNS lookup failed for www.met.police.uk", "DNS lookup failed for www.met.police.uk"),
        (
            f"{START}: twisted.internet.error.DNSLookupError: DNS lookup failed: "
            "address 'www.met.police.uk' not found: [Errno -2] Name or service not known.",
            "DNS lookup failed for www.met.police.uk",
        ),
        (f"{START}: timed out after 30 s at https://x.uk/log/", "timed out after 30 s on the start page"),
        (
            f"{START}: forbidden by robots.txt at https://x.uk/log/",
            "forbidden by robots.txt on the start page",
        ),
        (f"{START}: connection refused by 127.0.0.1:9", "connection refused by 127.0.0.1:9"),
        ("TimeoutError: User timeout caused connection failure.", "timed out"),
        ("<class 'twisted.internet.error.ConnectionRefusedError'>", "connection refused"),
        ("OpenSSL.SSL.Error", "OpenSSL.SSL.Error"),  # not a class name we know the shape of: as is
        ("SSLError: [SSL: CERTIFICATE_VERIFY_FAILED]", "the secure (https) connection failed"),
        ("crawler process exited with status 1", "the crawl process failed (exit status 1); see its log"),
        ("crawler process exited with status -9", "the crawl process was killed (signal 9)"),
        (
            "the diff failed and will be retried: KeyError: 'title'",
            "the diff failed and will be retried: 'title'",
        ),
        ("abandoned: the process running it stopped", "abandoned: the process running it stopped"),
        (
            "no responses listed on the start page: the page layout may have changed",
            "no responses listed on the start page: the page layout may have changed",
        ),
        ("ZeroDivisionError", "an unexpected error (see the crawl log)"),
        ("", None),
        (None, None),
    ],
)
def test_recorded_causes_read_as_words(recorded: str | None, words: str | None) -> None:
    assert cause_in_words(recorded) == words
