"""Facts of CCTV responses: the five seed responses field by field, then tables of tricky sentences."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from monitor.facts.counts import parse_number
from monitor.facts.extract import VENDORS, Facts, canonical_vendor, extract_facts
from monitor.facts.terms import (
    CAMERA_TYPES,
    _fold,
    _type_patterns,
    _vendor_patterns,
    camera_types,
    find_camera_types,
    find_vendors,
)
from monitor.facts.text import Passage, answer_passages, paragraphs
from tests.conftest import FIXTURES, REPO

SEEDS = FIXTURES / "seeds"

# How each seed's page splits into title, request and response, as its platform would split it:
# (title, text that starts the request, text that starts the response); None: all of it is response.
SPLITS: dict[str, tuple[str, str | None, str | None]] = {
    "000": ("(CCC) CCTV", "### **(CCC) CCTV**", "### **Response**"),
    "001": ("", None, None),
    "002": ("", "I note you seek access to the following information:", "I have today decided"),
    "003": ("", "I note you seek access to the following information:", "I have today decided"),
    "004": ("", "You asked", "We said"),
}


def seed_parts(number: str) -> tuple[str, str, str]:
    text = next(SEEDS.glob(f"{number}_*.txt")).read_text(encoding="utf-8")
    title, request_marker, response_marker = SPLITS[number]
    if request_marker is None or response_marker is None:
        return title, "", text
    start, end = text.index(request_marker) + len(request_marker), text.index(response_marker)
    return title, text[start:end], text[end:]


def seed_facts(number: str) -> Facts:
    return extract_facts(*seed_parts(number))


def counts(facts: Facts) -> list[tuple[int, bool, str]]:
    return [(c.number, c.approximate, c.what) for c in facts.camera_counts]


def money(facts: Facts) -> list[tuple[int, str | None, str]]:
    return [(m.amount_pence, m.per, m.what) for m in facts.money]


def periods(facts: Facts) -> list[tuple[date | None, date | None, str]]:
    return [(p.start, p.end, p.what) for p in facts.contract_dates]


FIELDS = {
    "vendors": lambda f: f.vendors,
    "camera_counts": counts,
    "camera_types": lambda f: f.camera_types,
    "money": money,
    "contract_dates": periods,
    "outcome": lambda f: f.outcome,
    "exemptions": lambda f: f.exemptions,
}
EXPECTED: dict[str, dict[str, Any]] = {
    # Cambridge: camera locations refused under s31(1); "fixed CCTV camera" is only in the request.
    "000": {
        "vendors": [],
        "camera_counts": [],
        "camera_types": [],
        "money": [],
        "contract_dates": [],
        "outcome": "refused",
        "exemptions": ["s31(1)"],  # "(a)" is only in the ICO guidance the letter quotes
    },
    # Coventry: Hikvision and Pyronix are both named, though Pyronix is not used. The types asked
    # about in Q7 (facial recognition, ANPR) are not facts; "Standard CCTV" says nothing of mounting.
    "001": {
        "vendors": ["Hikvision", "Pyronix"],
        "camera_counts": [(3, False, "Hikvision cameras used as internal council cameras")],
        "camera_types": ["internal", "public space"],
        "money": [],
        "contract_dates": [],
        "outcome": "partially_released",  # Q1-3, 5, 7 answered; Q4 not held; Q6 s21 and s31
        "exemptions": ["s21", "s31(1)(a)"],
    },
    # Met: "31 London boroughs" is not a camera count; covert equipment is named (under NCND), and
    # "temporary cameras ... deployed for short-term needs" are redeployable.
    "002": {
        "vendors": ["Axon"],
        "camera_counts": [
            (26500, False, "Axon BWV cameras"),
            (300, True, "cameras under direct control of The Metropolitan Police Service"),
        ],
        "camera_types": ["covert", "body-worn video", "static", "PTZ", "mobile/redeployable"],
        "money": [],
        "contract_dates": [],
        "outcome": "partially_released",
        "exemptions": ["s24(2)", "s31(3)"],
    },
    # Met estate: "Approximately 4000." answers Q2, which says what is counted; brands not recorded.
    "003": {
        "vendors": [],
        "camera_counts": [(4000, True, "cameras across the estate")],
        "camera_types": [],
        "money": [],
        "contract_dates": [],
        "outcome": "partially_released",
        "exemptions": ["s40(2)", "s40(3)"],
    },
    # ONS: the FM contract's value includes the CCTV system; its dates follow on the next line.
    "004": {
        "vendors": [],
        "camera_counts": [],
        "camera_types": [],
        "money": [(1_230_193_000, None, "total value of FM contract (inclusive of CCTV system)")],
        "contract_dates": [(date(2016, 10, 1), date(2023, 9, 30), "FM contract")],
        "outcome": "partially_released",  # security systems refused; the FM contract's value given
        "exemptions": ["s31(1)(a)"],
    },
}


@pytest.mark.parametrize(
    ("seed", "field"),
    [pytest.param(seed, field, id=f"{seed}-{field}") for seed in EXPECTED for field in FIELDS],
)
def test_seed_fact(seed: str, field: str) -> None:
    assert FIELDS[field](seed_facts(seed)) == EXPECTED[seed][field]


@pytest.mark.parametrize(
    ("seed", "index", "pieces"),
    [
        (
            "001",
            0,
            ["We can advise that there are three Hikvision cameras used as internal council cameras."],
        ),
        ("002", 0, ["The MPS has 26,500 Axon BWV cameras"]),
        ("002", 1, ["the number of cameras under direct control", "is approximately 300 cameras."]),
        ("003", 0, ["Q2 - How many cameras are in list across the estate?", "Approximately 4000."]),
    ],
)
def test_seed_count_snippets_quote_the_response(seed: str, index: int, pieces: list[str]) -> None:
    quoted = seed_facts(seed).camera_counts[index].snippet
    assert all(piece in quoted for piece in pieces), quoted


def test_seed_money_snippet_and_pounds() -> None:
    (amount,) = seed_facts("004").money
    assert amount.snippet == "The total value of FM contract is £12,301,930.00 (Inclusive of CCTV system)."
    assert str(amount.pounds) == "12301930"
    assert (amount.currency, amount.approximate) == ("GBP", False)


def test_seed_contract_snippet() -> None:
    (period,) = seed_facts("004").contract_dates
    assert period.snippet == "Contract dates are as follows: 01/10/2016 -- 30/09/2023"


@pytest.mark.parametrize("seed", sorted(EXPECTED))
def test_facts_survive_json(seed: str) -> None:
    facts = seed_facts(seed)
    stored = json.loads(json.dumps(facts.to_dict()))
    assert stored["version"].startswith("facts-")
    assert Facts.from_dict(stored) == facts


def test_from_dict_of_nothing_is_empty() -> None:
    assert Facts.from_dict({}) == Facts()


def test_outcome_and_exemptions_given_by_the_crawler_are_kept() -> None:
    facts = extract_facts(*seed_parts("002"), outcome="neither_confirm_nor_deny", exemptions=["s23(5)"])
    assert (facts.outcome, facts.exemptions) == ("neither_confirm_nor_deny", ["s23(5)"])


def test_summary_lines_for_messages() -> None:
    assert seed_facts("002").summary() == [
        "Vendors: Axon",
        "Cameras: 26,500 Axon BWV cameras; about 300 cameras under direct control of The Metropolitan"
        " Police Service",
        "Camera types: covert, body-worn video, static, PTZ, mobile/redeployable",
    ]
    assert seed_facts("004").summary() == [
        "Money: £12,301,930.00 (total value of FM contract (inclusive of CCTV system))",
        "Contract: FM contract, 2016-10-01 to 2023-09-30",
    ]
    assert seed_facts("000").summary() == []


@pytest.mark.parametrize(
    ("sentence", "expected"),
    [
        ("There are approximately 300 cameras.", [(300, True, "cameras")]),
        ("The MPS has 26,500 Axon BWV cameras", [(26500, False, "Axon BWV cameras")]),
        ("We can advise that there are three Hikvision cameras.", [(3, False, "Hikvision cameras")]),
        (
            "The council operates 96 cameras on the police estate.",
            [(96, False, "cameras on the police estate")],
        ),
        (
            "There are over 1,200 body-worn video cameras in use by officers.",
            [(1200, True, "body-worn video cameras in use by officers")],
        ),
        ("The force has twenty-five ANPR cameras.", [(25, False, "ANPR cameras")]),
        ("The force has Two hundred ANPR cameras.", [(200, False, "ANPR cameras")]),
        ("The total number of CCTV cameras is 96.", [(96, False, "CCTV cameras")]),
        ("ANPR cameras: 12", [(12, False, "ANPR cameras")]),
        ("Site A | Public space cameras | 45", [(45, False, "Public space cameras")]),
        ("We operate 4,000+ cameras across the city.", [(4000, True, "cameras across the city")]),
        ("2 x PTZ cameras were installed last year.", [(2, False, "PTZ cameras")]),
        ("We have one redeployable camera.", [(1, False, "redeployable camera")]),
        ("There are between 300 and 400 cameras.", [(400, True, "cameras")]),
        ("Some 250 dome cameras were replaced.", [(250, True, "dome cameras")]),
        ("The service has 1,500 body worn video devices.", [(1500, False, "body worn video devices")]),
        (
            "The council has 45 town centre cameras and 12 car park cameras.",
            [(45, False, "town centre cameras"), (12, False, "car park cameras")],
        ),
        ("Approximately 2000 cameras are monitored.", [(2000, True, "cameras")]),
        ("There are 2019 cameras in the county.", [(2019, False, "cameras in the county")]),
        ("The council has a total of 2000 cameras.", [(2000, False, "cameras")]),
        ("We will deploy up to 2000 cameras.", [(2000, True, "cameras")]),
        (
            "In answer to your third question, we can confirm that the MPS has 26,500 Axon\n"
            "BWV cameras issued to officers.",
            [(26500, False, "Axon BWV cameras issued to officers")],
        ),
        (
            "The MPS has 26,500 Axon BWV cameras and the council has many cameras as well as\n"
            "forty five ANPR cameras across the borough.",
            [(26500, False, "Axon BWV cameras"), (45, False, "ANPR cameras across the borough")],
        ),
    ],
)
def test_camera_counts(sentence: str, expected: list[tuple[int, bool, str]]) -> None:
    assert counts(extract_facts("", "", sentence)) == expected


@pytest.mark.parametrize(
    "sentence",
    [
        pytest.param("We received 3 questions about CCTV cameras.", id="questions-about"),
        pytest.param("We received 3 Questions regarding CCTV cameras.", id="questions-regarding"),
        pytest.param("In 2019 cameras were installed at the depot.", id="year-in"),
        pytest.param("Since 2015 CCTV cameras have been upgraded.", id="year-since"),
        pytest.param("Between 2018 and 2020 cameras were replaced.", id="year-range"),
        pytest.param("From 2018 to 2020 cameras were replaced.", id="year-from-to"),
        pytest.param("By March 2025 cameras will be replaced.", id="month-year"),
        pytest.param("The 2019/20 cameras budget was spent.", id="financial-year"),
        pytest.param("On 1 April cameras were moved.", id="day-of-month"),
        pytest.param("Our reference 10936 CCTV cameras review.", id="reference-number"),
        pytest.param("Request ID: REQ06487 cameras", id="reference-code"),
        pytest.param("FOI-2022 cameras.", id="reference-hyphen"),
        pytest.param("The MPS can view images from the remaining 31 London boroughs.", id="boroughs"),
        pytest.param("Images from 31 London boroughs' cameras are shared.", id="boroughs-possessive"),
        pytest.param("Each of the 5 sites has cameras.", id="sites"),
        pytest.param("There were 3,400 speed camera fines issued.", id="speed-camera-fines"),
        pytest.param("There are 12 camera locations.", id="camera-locations"),
        pytest.param("There is 1 camera per 100 residents.", id="rate"),
        pytest.param("The Axon Body 3 cameras are in use.", id="model-number"),
        pytest.param("Section 31 applies to the cameras.", id="section"),
        pytest.param("Footage from cameras is retained for 31 days.", id="days"),
        pytest.param("24 hours a day, cameras are monitored.", id="hours"),
        pytest.param("24/7 cameras are watched.", id="24-7"),
        pytest.param("We received 45 requests for CCTV footage.", id="requests"),
        pytest.param("Around 15% of cameras are PTZ.", id="percentage"),
        pytest.param("The £300 cameras were cheap.", id="money"),
        pytest.param("The 1st camera was installed in 2001.", id="ordinal"),
        pytest.param("Please call 024 7697 5408 about cameras.", id="phone-number"),
    ],
)
def test_not_camera_counts(sentence: str) -> None:
    assert counts(extract_facts("", "", sentence)) == []


@pytest.mark.parametrize(
    ("request_text", "response", "expected"),
    [
        pytest.param(
            "",
            "Q1 - How many ANPR cameras does the council operate?\nApproximately 40.",
            [(40, True, "ANPR cameras")],
            id="question-repeated-in-response",
        ),
        pytest.param(
            "How many CCTV cameras does the council operate in the town centre?",
            "Thank you for your request.\n96.",
            [(96, False, "CCTV cameras in the town centre")],
            id="single-question-in-request",
        ),
        pytest.param("", "How many cameras?\nA: 25", [(25, False, "cameras")], id="answer-prefix"),
        pytest.param(
            "", "Q3. How many requests for footage did you receive?\n45.", [], id="not-about-cameras"
        ),
        pytest.param(
            "",
            "Q1 - How many of the 500 cameras are PTZ?\nWe do not hold this information.",
            [],
            id="number-in-question",
        ),
        pytest.param(
            "1. How many cameras do you have?\n2. Who supplies them?",
            "Thank you.\n120.",
            [],
            id="request-asks-several-questions",
        ),
    ],
)
def test_counts_answering_questions(
    request_text: str, response: str, expected: list[tuple[int, bool, str]]
) -> None:
    assert counts(extract_facts("", request_text, response)) == expected


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("26,500", 26500),
        ("4000", 4000),
        ("three", 3),
        ("Twenty-five", 25),
        ("forty five", 45),
        ("two hundred", 200),
    ],
)
def test_parse_number(text: str, value: int) -> None:
    assert parse_number(text) == value


@pytest.mark.parametrize(
    ("text", "vendors"),
    [
        ("We use HIKVISION and Hik-Vision NVRs and HiLook cameras.", ["Hikvision"]),
        ("Dahua recorders and Axis cameras from Axis Communications.", ["Dahua", "Axis Communications"]),
        ("Body-worn video from Reveal Media and Motorola Solutions.", ["Reveal Media", "Motorola Solutions"]),
        ("NEC NeoFace Watch is used for live facial recognition.", ["NEC"]),
        (
            "Bosch and Hanwha (Wisenet) cameras feed Milestone XProtect.",
            ["Bosch", "Hanwha Vision", "Milestone Systems"],
        ),
        ("UNV cameras and a Genetec AutoVu ANPR system.", ["Uniview", "Genetec"]),
        ("We do not use equipment produced by Pyronix.", ["Pyronix"]),
        ("The figures reveal that revealing this would be harmful.", []),
        ("An event at the NEC in Birmingham.", []),
        ("Reaching a milestone; ring the council; the y axis.", []),
        ("unv", []),
    ],
)
def test_vendors(text: str, vendors: list[str]) -> None:
    assert find_vendors(text) == vendors


# Bare names that are also ordinary words are matched only in their longer wordings.
AMBIGUOUS_NAMES = {"Swann", "Ring", "WatchGuard", "NEC"}


@pytest.mark.parametrize("vendor", sorted(set(VENDORS) - AMBIGUOUS_NAMES))
def test_every_vendor_is_found_by_its_name(vendor: str) -> None:
    assert find_vendors(f"The council uses {vendor} equipment.") == [vendor]


@pytest.mark.parametrize(
    ("typed", "canonical"),
    [
        ("hikvision", "Hikvision"),
        ("HiLook", "Hikvision"),
        ("hik vision", "Hikvision"),
        ("axis", "Axis Communications"),
        ("milestone", "Milestone Systems"),
        ("Motorola", "Motorola Solutions"),
        ("nec", "NEC"),
        ("i-pro", "i-PRO"),
        ("nonsense", None),
        ("", None),
    ],
)
def test_canonical_vendor(typed: str, canonical: str | None) -> None:
    assert canonical_vendor(typed) == canonical


@pytest.mark.parametrize(
    ("sentence", "types"),
    [
        ("The council operates fixed and PTZ cameras.", ["static", "PTZ"]),
        ("A mixture of static and pan, tilt and zoom units.", ["static", "PTZ"]),
        ("The force uses live facial recognition vans.", ["live facial recognition"]),
        ("Retrospective facial recognition is used on images.", ["retrospective facial recognition"]),
        ("Facial recognition is not used; we use automatic number plate recognition.", ["ANPR"]),
        ("There are 4 dome cameras and a thermal camera.", ["dome", "thermal"]),
        ("The council does not operate ANPR, but it has 12 redeployable cameras.", ["mobile/redeployable"]),
        ("Officers wear body-worn cameras; covert cameras are not discussed.", ["body-worn video"]),
        (
            "Our public space CCTV covers the town; indoor cameras cover reception.",
            ["public space", "internal"],
        ),
        ("We have a fixed term contract for CCTV maintenance.", []),
        ("We do not use live facial recognition.", []),
        ("We do not hold information about covert cameras.", []),
        ("Standard CCTV.", []),
    ],
)
def test_camera_types(sentence: str, types: list[str]) -> None:
    assert extract_facts("", "", sentence).camera_types == types


def test_types_asked_about_are_not_facts() -> None:
    response = (
        "Q7 - What type of cameras (facial recognition, ANPR)?\nWe can confirm that the type used is PTZ."
    )
    assert extract_facts("", "", response).camera_types == ["PTZ"]


@pytest.mark.parametrize(
    ("sentence", "expected"),
    [
        (
            "The total value of FM contract is £12,301,930.00 (Inclusive of CCTV system).",
            [(1_230_193_000, None, "total value of FM contract (inclusive of CCTV system)")],
        ),
        ("The contract is worth £1.2m.", [(120_000_000, None, "contract")]),
        ("We spent £45k on new cameras in 2022.", [(4_500_000, None, "new cameras")]),
        ("The annual maintenance cost is £3,400 per annum.", [(340_000, "year", "annual maintenance cost")]),
        ("Licences cost £120 per camera.", [(12_000, "camera", "Licences")]),
        ("Monitoring costs £2,000 monthly.", [(200_000, "month", "Monitoring")]),
        (
            "Approximately £250,000 was spent on the control room upgrade.",
            [(25_000_000, None, "control room upgrade")],
        ),
        ("Each camera costs £850.", [(85_000, None, "Each camera")]),
        ("The upgrade cost 1,500 pounds.", [(150_000, None, "upgrade")]),
        ("The budget is GBP 2 million.", [(200_000_000, None, "budget")]),
        ("The council paid £45,000.", [(4_500_000, None, "")]),
    ],
)
def test_money(sentence: str, expected: list[tuple[int, str | None, str]]) -> None:
    assert money(extract_facts("", "", sentence)) == expected


def test_money_approximate() -> None:
    (amount,) = extract_facts("", "", "Approximately £250,000 was spent on the upgrade.").money
    assert amount.approximate


@pytest.mark.parametrize(
    "response",
    [
        pytest.param("The cost of compliance would exceed the appropriate limit of £450.", id="cost-limit"),
        pytest.param("This represents 18 hours at £25 per hour.", id="cost-limit-hours"),
        pytest.param(
            "Q3 - What is the annual spend on cameras, e.g. £10,000?\nThis is not held.", id="in-question"
        ),
        pytest.param("The spend is not recorded in £ terms.", id="no-amount"),
    ],
)
def test_not_money(response: str) -> None:
    assert extract_facts("", "", response).money == []


@pytest.mark.parametrize(
    ("response", "expected"),
    [
        (
            "The contract runs from 1 April 2020 to 31 March 2025.",
            [(date(2020, 4, 1), date(2025, 3, 31), "contract")],
        ),
        (
            "Contract dates are as follows: 01/10/2016 -- 30/09/2023",
            [(date(2016, 10, 1), date(2023, 9, 30), "contract")],
        ),
        (
            "The maintenance contract expires on 31 March 2025.",
            [(None, date(2025, 3, 31), "maintenance contract")],
        ),
        (
            "The framework agreement runs from April 2021 to March 2024.",
            [(date(2021, 4, 1), date(2024, 3, 31), "framework agreement")],
        ),
        (
            "The CCTV maintenance contract started on 1 May 2019 and ends on 30 April 2024.",
            [
                (date(2019, 5, 1), None, "CCTV maintenance contract"),
                (None, date(2024, 4, 30), "CCTV maintenance contract"),
            ],
        ),
        (
            "Our supplier is Chubb under the CCTV maintenance contract.\nTerm: 01/04/21 - 31/03/24.",
            [(date(2021, 4, 1), date(2024, 3, 31), "CCTV maintenance contract")],
        ),
        pytest.param(
            "Between 1 April 2020 and 31 March 2021 we received 45 requests for footage.",
            [],
            id="reporting-period",
        ),
        pytest.param(
            "Footage recorded between 01/01/2022 - 31/01/2022 was deleted.", [], id="footage-period"
        ),
    ],
)
def test_contract_dates(response: str, expected: list[tuple[date | None, date | None, str]]) -> None:
    assert periods(extract_facts("", "", response)) == expected


def test_wrapped_pdf_lines_are_one_paragraph() -> None:
    text = (
        "We can confirm that the council operates a total of ninety six public space\nCCTV cameras, with\n"
        "the Police.\nQ2 - How many cameras are there? (If there are multiple vendors, by vendor)\n"
        "Approximately 40.\nSection 24(2) National Security\nSection 31(3) Law Enforcement"
    )
    assert paragraphs(text) == [
        "We can confirm that the council operates a total of ninety six public space CCTV cameras, with the"
        " Police.",
        "Q2 - How many cameras are there? (If there are multiple vendors, by vendor)",
        "Approximately 40.",
        "Section 24(2) National Security",
        "Section 31(3) Law Enforcement",
    ]


def test_questions_repeated_from_the_request_are_not_answers() -> None:
    request = "Also looking at CCTV cameras in each specific Borough/district if able."
    response = "Also looking at CCTV cameras in each specific borough/district if able.\nNo information held."
    passages = answer_passages(request, response)
    assert [(p.text, p.question) for p in passages] == [
        ("No information held.", "Also looking at CCTV cameras in each specific borough/district if able.")
    ]


def test_seeds_are_read_from_the_project() -> None:
    # The tests must run from the project alone: the seeds are copied into tests/fixtures.
    assert SEEDS.resolve().is_relative_to(Path(__file__).resolve().parents[2])
    assert sorted(p.name[:3] for p in SEEDS.glob("0*.txt")) == sorted(EXPECTED)


def _vendors_by_every_pattern(text: str) -> list[str]:
    first = {name: m.start() for name, pattern in _vendor_patterns() if (m := pattern.search(text))}
    return sorted(first, key=lambda name: first[name])


def _casings(text: str) -> list[str]:
    """``text`` as written, in capitals, in lower case, and with letters re.IGNORECASE also takes
    for "s", "k" and "i" (long s, the Kelvin sign, Turkish dotted and dotless i)."""
    odd = text.replace("s", "\u017f").replace("k", "\u212a").replace("i", "\u0131").replace("I", "\u0130")
    return [text, text.upper(), text.lower(), odd]


def test_vendor_search_agrees_with_every_pattern_searched() -> None:
    """The first-word filter of ``find_vendors`` only skips searches that could not match."""
    texts = [f"{alias} {extra}" for aliases in VENDORS.values() for alias in aliases for extra in ("x", "-y")]
    rows = [json.loads(line) for line in (REPO / "eval/cctv.jsonl").read_text().splitlines()]
    texts += ["\n".join((r["title"], r["request"], r["response"])) for r in rows]
    for text in texts:
        for variant in _casings(text):
            assert find_vendors(variant) == _vendors_by_every_pattern(variant), variant


def _types_by_every_pattern(passages: list[Passage]) -> list[str]:
    """``find_camera_types`` as it read before its cue words: every pattern on every passage."""
    return camera_types(passages, lambda _: [(name, pattern) for name, pattern, _ in _type_patterns()])


def test_camera_type_cues_only_skip_searches_that_could_not_match() -> None:
    """Every match of every camera-type pattern holds one of its cue words (folded), and the types
    found with the cues are those found searching every pattern, over the evaluation texts in odd
    casings and every type's own wording."""
    rows = [json.loads(line) for line in (REPO / "eval/cctv.jsonl").read_text().splitlines()]
    texts = ["\n".join((r["title"], r["request"], r["response"])) for r in rows]
    texts += [f"We use {t} cameras and {t} CCTV." for t in CAMERA_TYPES]
    texts += ["Real-time facial recognition", "pan, tilt and zoom", "licence plate recognition", "bodycams"]
    matched = 0
    for text in texts:
        for variant in _casings(text):
            for name, pattern, cues in _type_patterns():
                for match in pattern.finditer(variant):
                    assert any(cue in _fold(match.group()) for cue in cues), (name, match.group())
                    matched += 1
            passages = [Passage(variant, None)] if variant else []
            assert find_camera_types(passages) == _types_by_every_pattern(passages), variant[:80]
    assert matched > 1000
