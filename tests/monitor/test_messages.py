"""What a subscriber's e-mail links to: only web addresses become links, whatever a source scraped."""

from __future__ import annotations

from datetime import date

import pytest
from markupsafe import escape

from monitor.classify import Verdict
from monitor.notify.messages import Rendered, render_digest, render_message, response_context, shown_date
from storage.models import Response, ResponseVersion

TITLE = "CCTV on the police estate"
VERDICT = Verdict("cctv", True, 0.82, ["cctv", "cameras"], ["Approximately 4000 cameras are in use"])
NOT_WEB = [
    "javascript:alert(1)",
    " JavaScript:alert(document.cookie)",
    "java\tscript:alert(1)",
    "\x01\njava\rscript:alert(1)",
    "java&#x09;script:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "vbscript:msgbox(1)",
    "//evil.example/steal",
    "https:no-host-here",
    "http://[unclosed/x",
]


def _version(url: str) -> ResponseVersion:
    return ResponseVersion(
        authority="Metropolitan Police Service",
        title=TITLE,
        url=url,
        published=date(2024, 12, 9),
        outcome="released",
        exemptions=[],
        response=Response(reference="01.FOI.24.041290"),
    )


def _rendered(kind: str, url: str) -> Rendered:
    if kind == "message":
        return render_message(_version(url), VERDICT, "new")
    return render_digest([response_context(_version(url), VERDICT)], "daily")


@pytest.mark.parametrize("kind", ["message", "digest"])
@pytest.mark.parametrize("url", NOT_WEB, ids=repr)
def test_a_link_that_is_not_a_web_address_is_shown_as_text(kind: str, url: str) -> None:
    rendered = _rendered(kind, url)
    assert "<a " not in rendered.html and "href" not in rendered.html.lower()
    assert TITLE in rendered.html  # the response is still listed, just not linked
    if kind == "message":  # which also prints the address itself (a digest lists titles only)
        assert str(escape(url)) in rendered.html
    assert url.strip() in rendered.text


@pytest.mark.parametrize("kind", ["message", "digest"])
@pytest.mark.parametrize(
    ("url", "href"),
    [
        ("https://www.met.police.uk/foi-ai/x/?a=1&b=2", "https://www.met.police.uk/foi-ai/x/?a=1&amp;b=2"),
        (" HTTP://example.org/a\tb ", "HTTP://example.org/ab"),
    ],
)
def test_a_web_address_is_a_link(kind: str, url: str, href: str) -> None:
    html = _rendered(kind, url).html
    assert f'<a href="{href}">{TITLE}</a>' in html


@pytest.mark.parametrize(
    ("published", "source", "in_message", "in_cli"),
    [
        (date(2024, 12, 9), "page", "Published: 9 December 2024\n", "2024-12-09 (printed on the page)"),
        (date(2024, 12, 9), "listing", "Published: 9 December 2024\n", "2024-12-09 (from the listing)"),
        (
            date(2023, 12, 1),
            "url-month",
            "Published: December 2023 (month from the address)",
            "2023-12-01 (from the URL's month)",
        ),
        (
            date(2026, 6, 1),
            "first-seen",
            "Published: not given (first seen by foiwatch on 1 June 2026)",
            "2026-06-01 (first seen by foiwatch)",
        ),
        (date(2024, 12, 9), None, "Published: 9 December 2024\n", "2024-12-09"),
        (None, None, "Published: date not given", "-"),
    ],
)
def test_a_date_says_where_it_came_from_when_its_day_is_not_the_publishers(
    published: date | None, source: str | None, in_message: str, in_cli: str
) -> None:
    version = _version("https://www.met.police.uk/foi-ai/x/")
    version.published, version.date_source = published, source
    assert in_message in render_message(version, VERDICT, "new").text
    assert shown_date(version) == in_cli
