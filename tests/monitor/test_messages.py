"""What a subscriber's e-mail links to: only web addresses become links, whatever a source scraped."""

from __future__ import annotations

from datetime import date

import pytest
from markupsafe import escape

from monitor.classify import Verdict
from monitor.messages import Rendered, render_digest, render_message, response_context
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
