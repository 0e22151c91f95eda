"""Alaveteli parsing, field by field: options, Atom feeds, request JSON and real WhatDoTheyKnow pages."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime
from pathlib import Path

import pytest
from pydantic import ValidationError

from crawler.config import ConfigError, load_sources
from crawler.platforms.alaveteli import (
    STATE_OUTCOMES,
    AlaveteliOptions,
    FeedError,
    Message,
    RequestDataError,
    RequestPage,
    feed_targets,
    feed_url,
    page_request_url,
    parse_feed,
    parse_request_json,
    parse_request_page,
    read_request,
    state_outcome,
)
from tests.conftest import FIXTURES, write_config

SITE = FIXTURES / "alaveteli" / "site"
ROOT = "https://www.whatdotheyknow.com/"
REAL_PAGES = sorted(
    p.name
    for p in (SITE / "request").iterdir()
    if not p.suffix and p.name not in ("hikvision_cctv_cameras_in_counci", "anpr_cameras_and_data_retention")
)
MHCLG = "Ministry of Housing, Communities and Local Government"


def _page(url_title: str) -> RequestPage:
    return parse_request_page((SITE / "request" / url_title).read_bytes(), f"{ROOT}request/{url_title}")


def _feed(path: str, root: str = ROOT) -> list:
    return parse_feed((SITE / path.lstrip("/")).read_bytes(), root + path.lstrip("/"))


def _read(url_title: str):
    data = parse_request_json((SITE / "request" / f"{url_title}.json").read_bytes())
    return read_request(data, _page(url_title))


# -- options ----------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "options",
    [
        {"feeds": ["/feed/search/cctv"]},
        {"feeds": ["/feed/body/mhclg", "/feed/search/cctv OR anpr"], "fetch_attachments": True},
        {"feeds": ["/feed/list/successful", "/feed/user/sean_brawley", "/feed/request/pensions_release"]},
    ],
)
def test_options_accept_feed_paths(options: dict[str, object]) -> None:
    assert AlaveteliOptions.model_validate(options).feeds == options["feeds"]


@pytest.mark.parametrize(
    ("options", "complaint"),
    [
        ({}, "feeds"),
        ({"feeds": []}, "at least 1"),
        ({"feeds": "/feed/search/cctv"}, "list"),
        ({"feeds": ["https://www.whatdotheyknow.com/feed/search/cctv"]}, "must be a path"),
        ({"feeds": ["feed/search/cctv"]}, "must be a path"),
        ({"feeds": ["/search/cctv"]}, "must be a path"),
        ({"feeds": ["/feed/search/cctv?page=2"]}, "may not contain"),
        ({"feeds": ["/feed/search/../../admin"]}, "may not contain"),
        ({"feeds": ["/feed/body/mhclg/extra"]}, "one url name"),
        ({"feeds": ["/feed/list/everything"]}, "takes one of"),
        ({"feeds": ["/feed/search/cctv", " /feed/search/cctv"]}, "twice"),
        ({"feeds": ["/feed/search/cctv"], "fetch_attachments": "yes"}, "boolean"),
        ({"feeds": ["/feed/search/cctv"], "states": ["successful"]}, "Extra inputs"),
    ],
)
def test_options_refuse_mistakes(options: dict[str, object], complaint: str) -> None:
    with pytest.raises(ValidationError, match=complaint):
        AlaveteliOptions.model_validate(options)


def test_a_bad_feed_in_sources_yaml_is_reported_at_its_line(tmp_path: Path) -> None:
    source = {"id": "wdtk", "platform": "alaveteli", "authority": "MHCLG", "url": ROOT}
    config = write_config(tmp_path, [{**source, "options": {"feeds": ["/search/cctv"]}}])
    with pytest.raises(ConfigError, match="must be a path"):
        load_sources(config)


@pytest.mark.parametrize(
    ("source_url", "path", "expected"),
    [
        ("https://www.whatdotheyknow.com", "/feed/search/cctv", f"{ROOT}feed/search/cctv"),
        (ROOT, "/feed/search/cctv OR anpr", f"{ROOT}feed/search/cctv%20OR%20anpr"),
        ("https://WWW.WhatDoTheyKnow.com/?from=home", "/feed/body/mhclg", f"{ROOT}feed/body/mhclg"),
        (
            "https://foi.example.org/alaveteli",
            "/feed/body/x",
            "https://foi.example.org/alaveteli/feed/body/x",
        ),
    ],
)
def test_feed_url_is_relative_to_the_site_root(source_url: str, path: str, expected: str) -> None:
    assert feed_url(source_url, path) == expected


# -- feeds ------------------------------------------------------------------------------------------
def test_body_feed_entries() -> None:
    entries = _feed("feed/body/mhclg")
    assert len(entries) == 25
    first = entries[0]
    assert first.event_id == "3405001"
    assert first.title == "EPC certificates for London Boroughs from December 2016 to July 2018"
    assert first.published == date(2019, 7, 30)
    assert first.request_url == f"{ROOT}request/epc_certificates_for_london_boro"
    titles = [e.title for e in entries]
    assert "Notes of telephone conversations 're refused call-in request for" in titles[11]


def test_body_feed_names_23_requests_one_by_its_event_link() -> None:
    targets = feed_targets(_feed("feed/body/mhclg"))
    assert len(targets) == 23
    assert f"{ROOT}request_event/3401338" in targets
    assert targets.count(f"{ROOT}request/register_our_marriage_campaign") == 1


def test_feed_links_are_taken_on_the_feeds_own_site() -> None:
    local = "http://127.0.0.1:8123/"
    assert all(t.startswith(f"{local}request") for t in feed_targets(_feed("feed/search/cctv", local)))


def test_search_feed_names_each_request_once_in_feed_order() -> None:
    assert feed_targets(_feed("feed/search/cctv")) == [
        f"{ROOT}request/anpr_cameras_and_data_retention",
        f"{ROOT}request/cctv_in_public_parks",
        f"{ROOT}request/hikvision_cctv_cameras_in_counci",
    ]


def test_an_empty_feed_has_no_entries() -> None:
    assert _feed("feed/search/nothing_matches_this") == []


def test_an_entry_without_a_request_link_has_no_target() -> None:
    feed = (
        b'<feed xmlns="http://www.w3.org/2005/Atom"><entry><id>tag:x,2005:InfoRequestEvent/7</id>'
        b'<link rel="alternate" href="https://www.whatdotheyknow.com/body/mhclg"/><title>Body</title></entry></feed>'
    )
    (entry,) = parse_feed(feed, f"{ROOT}feed/search/x")
    assert (entry.event_id, entry.target) == ("7", None)


@pytest.mark.parametrize(
    ("body", "complaint"),
    [
        ((SITE / "feed/search/garbage").read_bytes(), "HTML page"),
        (b"\x89PNG\r\n\x1a\n\x00\x00", "not XML"),
        ((SITE / "feed/body/mhclg").read_bytes()[:5000], "not XML"),
        (b'<?xml version="1.0"?><rss version="2.0"><channel/></rss>', "not an Atom feed"),
        ((SITE / "feed/search/laughs").read_bytes(), "DTD"),
        ((SITE / "feed/search/xxe").read_bytes(), "DTD"),
    ],
    ids=["html", "binary", "truncated", "rss", "billion-laughs", "external-entity"],
)
def test_unreadable_or_hostile_feeds_are_refused(body: bytes, complaint: str) -> None:
    with pytest.raises(FeedError, match=complaint):
        parse_feed(body, f"{ROOT}feed/search/x")


# -- request JSON -----------------------------------------------------------------------------------
def test_request_json_fields() -> None:
    data = parse_request_json((SITE / "request/anpr_cameras_and_data_retention.json").read_bytes())
    assert (data.id, data.url_title, data.title) == (
        597733,
        "anpr_cameras_and_data_retention",
        "ANPR cameras and data retention",
    )
    assert (data.described_state, data.display_status) == ("partially_successful", "Partially successful.")
    assert (data.body_name, data.body_url_name) == ("Hampshire Constabulary", "hampshire_constabulary")
    assert data.created == date(2019, 8, 9)
    assert data.response_dates == (date(2019, 8, 12), date(2019, 9, 6))
    assert not data.awaiting_reply


def test_a_request_without_replies_is_awaiting_one() -> None:
    assert parse_request_json((SITE / "request/cctv_in_public_parks.json").read_bytes()).awaiting_reply
    # JSON listing no events at all says nothing about replies: the page decides.
    bare = b'{"id": 1, "url_title": "x", "title": "X", "described_state": "successful"}'
    assert not parse_request_json(bare).awaiting_reply


@pytest.mark.parametrize(
    ("body", "complaint"),
    [
        (b"<html>Not found</html>", "not JSON"),
        (b"[]", "not an object"),
        (b'{"url_title": "x", "title": "X", "described_state": "successful"}', "'id'"),
        (b'{"id": "12", "url_title": "x", "title": "X", "described_state": "successful"}', "'id'"),
        (b'{"id": 12, "url_title": "x", "title": "", "described_state": "successful"}', "'title'"),
    ],
)
def test_json_that_is_not_a_request_is_refused(body: bytes, complaint: str) -> None:
    with pytest.raises(RequestDataError, match=complaint):
        parse_request_json(body)


@pytest.mark.parametrize(
    ("state", "outcome"),
    [
        ("successful", "released"),
        ("partially_successful", "partially_released"),
        ("rejected", "refused"),
        ("not_held", "not_held"),
        ("waiting_response", None),
        ("waiting_clarification", None),
        ("gone_postal", None),
        ("internal_review", None),
        ("error_message", None),
        ("requires_admin", None),
        ("user_withdrawn", "withdrawn"),
        ("attention_requested", None),
        ("vexatious", "refused"),
        ("not_foi", None),
        ("a_state_this_site_invented", None),
    ],
)
def test_request_state_to_outcome(state: str, outcome: str | None) -> None:
    assert state_outcome(state) == outcome


def test_every_documented_state_is_mapped() -> None:
    documented = """waiting_response waiting_clarification gone_postal not_held rejected successful
        partially_successful internal_review error_message requires_admin user_withdrawn attention_requested
        vexatious not_foi"""
    assert set(STATE_OUTCOMES) == set(documented.split())


# -- request pages ----------------------------------------------------------------------------------
@pytest.mark.parametrize("url_title", REAL_PAGES)
def test_every_real_page_agrees_with_its_json(url_title: str) -> None:
    page = _page(url_title)
    data = parse_request_json((SITE / "request" / f"{url_title}.json").read_bytes())
    assert page.title == data.title
    assert page.authority == data.body_name == MHCLG
    assert page.messages[0].direction == "outgoing"
    assert page.replies and all(m.sent and m.text for m in page.messages)
    assert [m.sent.date() for m in page.replies if m.sent] == list(data.response_dates)


# url_title: page status, outcome, replies, published, attachment names
PAGES = {
    "pensions_release": ("rejected", "refused", 2, date(2019, 7, 18), ["Response information exempt.pdf"]),
    "psl_schemes": ("not_held", "not_held", 3, date(2017, 7, 3), ["Response not held.pdf"]),
    "requests_for_statutory_overrides": (
        "partially_successful",
        "partially_released",
        8,
        date(2019, 2, 28),
        [
            "send receipt Redacted.pdf.pdf",
            "Appendix 1 4011595.xlsx.xlsx",
            "Response all information to be supplied.pdf",
        ],
    ),
    "current_acreage_of_private_garde": (
        "successful",
        "released",
        2,
        date(2019, 6, 24),
        ["Response all information to be supplied.pdf"],
    ),
    "refused_call_in_request_160361ou": (
        "partially_successful",
        "partially_released",
        3,
        date(2018, 9, 26),
        ["For Release.pdf", "Response some exempt.pdf"],
    ),
    "office_to_residential_conversion_2": (
        "waiting_classification",
        None,
        2,
        date(2019, 7, 8),
        ["Response not held.pdf"],
    ),
    "register_our_marriage_campaign": (
        "waiting_response_very_overdue",
        None,
        4,
        date(2019, 6, 17),
        ["Response all information to be supplied.pdf"],
    ),
    "guidance_on_sprinklers": ("waiting_response", None, 1, date(2019, 7, 16), []),
    "hikvision_cctv_cameras_in_counci": (
        "successful",
        "released",
        2,
        date(2019, 8, 30),
        ["FOI-20190805-1182 response.pdf", "CCTV camera list.xlsx"],
    ),
    "anpr_cameras_and_data_retention": (
        "partially_successful",
        "partially_released",
        2,
        date(2019, 9, 6),
        ["HC 001874 19 Response.pdf"],
    ),
}


@pytest.mark.parametrize("url_title", sorted(PAGES))
def test_page_fields(url_title: str) -> None:
    status, outcome, replies, published, attachments = PAGES[url_title]
    page = _page(url_title)
    found = _read(url_title)
    assert page.status == status
    assert found.outcome == outcome
    assert len(page.replies) == replies
    assert found.published == published
    assert [name for _, name in found.attachments] == attachments


def test_pensions_release_field_by_field() -> None:
    found = _read("pensions_release")
    assert found.title == "Pensions Release"
    assert found.reference == "whatdotheyknow.com/request/589132"
    assert (found.authority, found.body_url_name) == (MHCLG, "mhclg")
    assert found.request.startswith(f"Dear {MHCLG},\nPlease provide and policy research or papers")
    assert found.request.endswith("Kind regards,\nSean Brawley")
    assert found.response.startswith(f"16 July 2019, Despatch Box, {MHCLG}:\nOur reference: 4336268")
    assert "\n\n18 July 2019, Despatch Box, " in found.response
    assert "Please don’t change the" in found.response  # read as UTF-8, as the page declares
    assert found.attachments == [
        (
            f"{ROOT}request/589132/response/1400678/attach/2/Response%20information%20exempt.pdf",
            "Response information exempt.pdf",
        )
    ]


def test_request_is_the_first_outgoing_message_only() -> None:
    found = _read("register_our_marriage_campaign")
    assert "I have recently learnt of this project" in found.request
    assert "Further to your last message dated 17 June" not in found.request + found.response


def test_annotations_and_page_chrome_are_neither_request_nor_response() -> None:
    found = _read("refused_call_in_request_160361ou")
    text = found.request + found.response
    for chrome in (
        "left an annotation",
        "WhatDoTheyKnow.com volunteer",
        "Link to this",
        "Report",
        "View as HTML",
    ):
        assert chrome not in text


def test_cctv_requests_take_their_own_authority_and_exemptions() -> None:
    hikvision, anpr = _read("hikvision_cctv_cameras_in_counci"), _read("anpr_cameras_and_data_retention")
    assert (hikvision.authority, anpr.authority) == ("Bristol City Council", "Hampshire Constabulary")
    assert hikvision.exemptions == []
    assert anpr.exemptions == ["s24(1)", "s31(1)(a)"]
    assert "96 of these cameras were manufactured by Hikvision" in hikvision.response
    assert "30 August 2019, Information Rights, Bristol City Council:" in hikvision.response


def test_published_falls_back_to_the_json_then_to_the_request_date() -> None:
    data = parse_request_json((SITE / "request/pensions_release.json").read_bytes())
    undated = Message("incoming", None, "Despatch Box", "Thank you for your request.")
    page = RequestPage(f"{ROOT}request/pensions_release", "Pensions Release", MHCLG, None, (undated,))
    assert read_request(data, page).published == date(2019, 7, 18)
    assert read_request(replace(data, response_dates=()), page).published == date(2019, 7, 12)
    dated = Message("incoming", datetime.fromisoformat("2019-07-19T00:30:00+01:00"), "", "Reply.")
    assert read_request(data, replace(page, messages=(dated,))).published == date(2019, 7, 19)


def test_an_event_page_names_its_request() -> None:
    body = (SITE / "request_event/3401338").read_bytes()
    assert page_request_url(body, f"{ROOT}request_event/3401338", ROOT) == f"{ROOT}request/psl_schemes"
