"""Where a request ends and the answer begins when no heading says so, and the request never holds
the answer.

The lines below are short excerpts of real published pages (source URL beside each); the police
pages print "Below is your request and our response." and then no "Response" heading at all.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from crawler.platforms.feed import FeedEntry, read_entry
from crawler.platforms.html_log import read_letter
from crawler.platforms.page import keep_apart, opens_answer, parse_detail, split_request_response
from crawler.platforms.page_per_response import read_page
from tests.conftest import FIXTURES, SOH_SITE

CLEVELAND_501 = "https://www.cleveland.police.uk/foi-ai/cleveland-police/disclosure/2024/may/foi-501-24-armed-response-times/"
CLEVELAND_700 = (
    "https://www.cleveland.police.uk/foi-ai/cleveland-police/disclosure/2024/july/foi-70024-force-firearms/"
)
SOUTH_WALES = (
    "https://www.south-wales.police.uk/foi-ai/south-wales-police/disclosure-log/2025/august/foi-82525/"
)
TFL_0451 = "https://tfl.gov.uk/corporate/transparency/freedom-of-information/foi-request-detail?referenceId=FOI-0451-2223"
TFL_2170 = "https://tfl.gov.uk/corporate/transparency/freedom-of-information/foi-request-detail?referenceId=FOI-2170-1819"

SPLITS = [
    pytest.param(
        [
            "Enquiry Reference: 501 - 24",
            "I write in connection with regards to your Freedom of Information request."
            " Below is your request and our response.",
            "1 (a) For 12 months to the end of April 2024, please outline your force's average response time"
            " for a firearms unit / armed response unit, where an emergency call demands an armed police"
            " response.",
            "(b) Additionally, please provide this information for 2019-20, 2020-21, 2021-22 and 2022-23.",
            "Section 1 of the Freedom of Information Act 2000 (FOIA) places two duties on public"
            " authorities.",
            "Unless exemptions apply, the first duty at Section 1 (1) (a) is to confirm or deny whether the"
            " information specified in a request is held.",
        ],
        "(b) Additionally, please provide this information",
        "Section 1 of the Freedom of Information Act 2000 (FOIA) places two duties",
        id=f"section-1-duties {CLEVELAND_501}",
    ),
    pytest.param(
        [
            "Enquiry Reference: 700 - 24",
            "I write in connection with regards to your Freedom of Information request."
            " Below is your request and our response.",
            "Please provide a list of all types of firearms held in your inventory for use by authorized"
            " firearms officers, for each type, specify make, model and caliber.",
            "Cleveland Police’s ARV officers are equipped with;",
            "Glock 17 pistols, 9mm calibre.",
            "Having made enquiries in force and this is all the information Cleveland Police can provide"
            " on this.",
        ],
        "specify make, model and caliber.",
        "Cleveland Police’s ARV officers are equipped with;",
        id=f"authority-as-subject {CLEVELAND_700}",
    ),
    pytest.param(
        [
            "Freedom of information request reference no: 01.FOI.22.024049",
            "I note you seek access to the following information:",
            "Please provide the following data for each calendar year from 2019 to 2025 (inclusive):",
            "Your request for information has now been considered and I am not obliged to supply the"
            " information you have requested.",
            "In relation to your request, the following exemption applies:",
        ],
        "Please provide the following data",
        "Your request for information has now been considered",
        id=f"request-considered {SOUTH_WALES}",
    ),
    pytest.param(
        [
            "TfL Ref: FOI-0451-2223",
            "Specifically you asked:",
            "“Please let me know if London Dial A Ride will be recruiting more bus drivers.",
            "And how much rent TfL gets from shops at Underground stations for year 2022-23.",
            "I can confirm that we hold the information you require. However, I am afraid your request is"
            " being refused under section 12 of the Freedom of Information Act.",
        ],
        "And how much rent TfL gets",
        "I can confirm that we hold the information you require.",
        id=f"i-can-confirm {TFL_0451}",
    ),
    pytest.param(
        [
            "Reference: 1234/25",
            "You asked:",
            "Does the force use facial recognition cameras in Sunderland city centre?",
            "Having made enquiries within the Force, the information you have requested is not held.",
        ],
        "Does the force use facial recognition cameras",
        "Having made enquiries within the Force",
        id="having-made-enquiries (wording of SOH answers)",
    ),
    pytest.param(
        [
            "I note you seek access to the following information:",
            "Does the MPS hold any covert ANPR cameras on the A13?",
            "The MPS can neither confirm nor deny that it holds any information relevant to your request.",
        ],
        "covert ANPR cameras",
        "The MPS can neither confirm nor deny",
        id="ncnd (tests/fixtures/seeds/002)",
    ),
]


@pytest.mark.parametrize(("lines", "in_request", "response_starts"), SPLITS)
def test_the_request_ends_where_the_authority_starts_to_answer(
    lines: list[str], in_request: str, response_starts: str
) -> None:
    request, response = split_request_response(lines)
    assert in_request in request
    assert response.startswith(response_starts)
    assert response_starts not in request


@pytest.mark.parametrize(
    "line",
    [
        "I can confirm that we do hold the information you require.",  # TfL FOI-2170-1819
        "We can confirm that the information is held.",
        "I have today decided to disclose some of the requested information.",  # Met, seed 002
        "Having made enquiries within the Force, I can advise that no such record exists.",
        "South Wales Police can confirm that the information requested is held.",
        "Cleveland Police currently has 1,150 body worn video cameras in use.",
        "The Force does not hold this information.",
        "Section 1 of the Freedom of Information Act 2000 places two duties on public authorities.",
        "The MPS can neither confirm nor deny that it holds any other information relevant to your request.",
        "Please find attached the information you requested.",
        "In response to your request, the figures are shown below.",
        "Thank you for your information request which we have dealt with under the FOIA.",  # seed 000
        "Your request for information has now been considered and I am not obliged to supply it.",
        "I am writing to inform you that the information is not held.",
    ],
)
def test_the_authority_speaking_opens_an_answer(line: str) -> None:
    assert opens_answer(line)


@pytest.mark.parametrize(
    "line",
    [
        f"Dear Transport for London, I am writing to ask whether it would be possible ({TFL_2170})",
        "Does Cleveland Police use any artificial intelligence (AI) tools, for example Microsoft Copilot?",
        "How many times in 2024 was CCTV footage from these cameras requested by South Wales Police?",
        "1. Does the force have a policy governing the use of AI by officers and staff?",
        "Please provide the number of knife crime offences recorded by South Wales Police in Cardiff.",
        "If the force can neither confirm nor deny, please say which exemption applies?",
        "I would like to know the number of officers trained to use Taser.",
    ],
)
def test_the_requester_asking_does_not(line: str) -> None:
    assert not opens_answer(line)


def test_no_split_leaves_the_request_empty_and_the_body_the_response() -> None:
    html = """<html><body><main><h1>ANPR cameras</h1><p>Reference: 1234/25</p>
    <p>I note you seek access to the following information:</p>
    <p>Where are the ANPR cameras on the A19 and how long is their data kept for?</p>
    <p>Data from these cameras is kept for twelve months and then deleted automatically.</p>
    </main></body></html>"""
    page = parse_detail(html, "https://www.example.police.uk/foi-ai/x/anpr/")
    assert page.request == ""
    assert "Data from these cameras is kept for twelve months" in page.response
    assert page.problems == []


def test_a_marked_request_without_reference_is_still_a_response_page() -> None:
    html = """<html><body><main><h1>Drones</h1><p>You asked:</p>
    <p>How many drones does the force own?</p>
    <p>The force owns fourteen drones, all used by the air support unit.</p></main></body></html>"""
    page = parse_detail(html, "https://www.example.police.uk/foi-ai/x/drones/")
    assert (page.request, page.response) == (
        "How many drones does the force own?",
        "The force owns fourteen drones, all used by the air support unit.",
    )


def test_answer_lines_under_a_question_heading_move_to_the_response() -> None:
    html = """<html><body><main><h1>Speed cameras</h1><p>Request ID: FOI-1111-2425</p>
    <h2>You asked</h2><p>How many speed cameras are on the A40?</p>
    <p>We can confirm that there are 12 fixed speed cameras on the A40.</p>
    <h2>Outcome</h2><p>Information provided</p>
    <h2>We answered</h2><p>The camera list is published on our website.</p></main></body></html>"""
    page = read_page(html, "https://tfl.gov.uk/foi-request-detail?referenceId=FOI-1111-2425")
    assert page.request == "How many speed cameras are on the A40?"
    assert page.response.startswith("We can confirm that there are 12 fixed speed cameras")


@pytest.mark.parametrize(
    ("asked", "answered", "kept"),
    [
        ("Same text of the whole page body.", "Same text of the whole page body.", ("", "x")),
        ("How many cameras?\nThe council has 12 cameras.", "The council has 12 cameras.", ("", "x")),
        ("How many cameras in each car park?", "How many cameras in each car park?\nTwelve.", ("", "x")),
        (
            "How many cameras?",
            "Thank you for your request. You asked: How many cameras? The council operates 12 public space"
            " CCTV cameras, listed in the attached table.",
            ("r", "x"),
        ),
        ("", "The council has 12 cameras.", ("", "x")),
    ],
    ids=["equal", "request-holds-response", "response-is-mostly-request", "quoted-request", "no-request"],
)
def test_the_same_text_is_never_stored_as_both(asked: str, answered: str, kept: tuple[str, str]) -> None:
    expected = (asked if kept[0] == "r" else "", answered)
    assert keep_apart(asked, answered) == expected


def test_a_feed_entry_without_a_split_stores_its_text_once() -> None:
    entry = FeedEntry(
        url="https://example.gov.uk/foi/9",
        link=None,
        published=None,
        title="CCTV",
        html="<p>You asked:</p><p>How many cameras does the council run and where are they?</p>"
        "<p>The council runs 40 cameras in the town centre and 12 in car parks.</p>",
    )
    page = read_entry(entry)
    assert page.request == "How many cameras does the council run and where are they?"
    assert page.response == "The council runs 40 cameras in the town centre and 12 in car parks."


def test_question_and_answer_letters_keep_the_questions_out_of_the_answer() -> None:
    text = """Request ID: REQ06487
Dear Sir/ Madam
Thank you for your request for information relating to CCTV cameras.
1. Does the council use Hikvision cameras?
Yes, three internal cameras.
2. Does the council use Pyronix alarms?
This information is not held by the council."""
    page = read_letter(text, "https://www.coventry.gov.uk/x.pdf")
    assert page.request.splitlines() == [
        "1. Does the council use Hikvision cameras?",
        "2. Does the council use Pyronix alarms?",
    ]
    assert "Yes, three internal cameras." in page.response
    assert "Hikvision cameras?" not in page.response


def _saved_pages() -> list[tuple[str, str, str]]:
    """(reader, file, url) for every saved response page of the police and page-per-response sites."""
    pages = []
    for path in sorted(SOH_SITE.glob("foi-ai/**/index.html")):
        url = "https://www.example.police.uk/" + str(path.parent.relative_to(SOH_SITE)) + "/"
        pages.append(("police", str(path), url))
    for site in ("page_per_response", "html_log"):
        for path in sorted((FIXTURES / site).glob("**/*")):
            if path.is_file() and path.suffix in ("", ".html"):
                url = "https://www.example.gov.uk/" + str(path.relative_to(FIXTURES / site))
                pages.append(("headed", str(path), url.replace("@", "?")))
    return pages


@pytest.mark.parametrize(
    ("reader", "file", "url"), _saved_pages(), ids=lambda v: v.rstrip("/").rsplit("/", 1)[-1][:48]
)
def test_no_saved_page_stores_answer_text_in_its_request(reader: str, file: str, url: str) -> None:
    html = Path(file).read_text(encoding="utf-8", errors="replace")
    page = parse_detail(html, url) if reader == "police" else read_page(html, url)
    assert not any(opens_answer(line) for line in page.request.splitlines())
    assert keep_apart(page.request, page.response) == (page.request, page.response)
    if page.request and page.response:
        assert page.response not in page.request and page.request != page.response


CLEVELAND_11711 = (
    "https://www.cleveland.police.uk/foi-ai/cleveland-police/disclosure/2020/march/11711-clares-law/"
)
NORTH_YORKSHIRE_0408 = (
    "https://www.northyorkshire.police.uk/foi-ai/north-yorkshire-police/foi-disclosure-2021-22/december-2024/"
    "foi-public-order-operations-0408-202425/"
)
GWENT_25392 = "https://www.gwent.police.uk/foi-ai/gwent-police/disclosure2/2022/09---september/202225392---problem-profiles/"


@pytest.mark.parametrize(
    "opening",
    [
        # Cleveland 11711 as stored: the restatement ends the letter's first line
        "I write in connection with regards to your request received in this office on 3rd February. "
        "I note you seek the following:",
        "I note you seek the following information.",
        "We note that you requested the following:",
        "Your request was as follows:",
        "In your email of 3 May 2024 you requested the following information:",
    ],
)
def test_the_authority_restating_the_request_starts_it(opening: str) -> None:
    asked = "The total number of Disclosure Requests by Calendar Year, by gender, age and ethnic origin."
    html = f"""<html><body><main><h1>Clare's Law</h1><p>{opening}</p>
    <p>{asked}</p>
    <p>Having made enquiries within the Force below is all the information we have been able to retrieve.</p>
    <p>2019 – 768</p></main></body></html>"""
    page = parse_detail(html, CLEVELAND_11711)
    assert page.request == asked
    assert page.response.startswith("Having made enquiries within the Force")


def test_a_note_about_a_clarification_does_not_start_the_request() -> None:
    line = "In accordance with your clarification, I note that you require documents covering 2021 to 2024."
    lines = ["Request", "Q1. Any documents you hold.", line, "Decision", "Refused."]
    assert split_request_response(lines)[0] == f"Q1. Any documents you hold.\n{line}"


def test_the_account_of_searches_starts_the_answer() -> None:
    # North Yorkshire 0408-202425 as stored ({NORTH_YORKSHIRE_0408})
    lines = [
        "Request",
        "Q1. Any documents you hold that describe your approach to naming suspects in public.",
        "Clarification",
        "In accordance with your clarification, I note that you require documents covering 2021 to 2024.",
        "Extent of Searches to Locate Information",
        "Following receipt of your request searches were conducted within North Yorkshire Police.",
        "Decision",
        "I am not obliged to provide you with a response.",
    ]
    request, response = split_request_response(lines)
    assert request.endswith("documents covering 2021 to 2024.")
    assert response.startswith("Following receipt of your request searches were conducted")


def test_a_page_with_no_markers_splits_where_the_authority_speaks() -> None:
    # Gwent 2022/25392 as stored: the request, then the answer, no heading between ({GWENT_25392})
    html = """<html><body><main>
    <p>Please provide a copy of the below reports as set out in your response to 2022/25114</p>
    <p>1) 'Rape' profile assessment - produced in March 2022</p>
    <p>Please see below for the following exemptions:</p>
    <p>Section 12 – Excess Cost</p></main></body></html>"""
    page = parse_detail(html, GWENT_25392)
    assert page.request.endswith("produced in March 2022")
    assert page.response.startswith("Please see below for the following exemptions:")
    assert "below reports" not in page.response
