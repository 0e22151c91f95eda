"""Exemptions a response cites, kept apart from those it only quotes from the Act or ICO guidance."""

from __future__ import annotations

from pathlib import Path

import pytest

from crawler.exemptions import parse_exemptions, read_exemptions

SEEDS = Path(__file__).resolve().parents[1] / "fixtures" / "seeds"


@pytest.mark.parametrize(
    ("text", "cited", "quoted"),
    [
        ("This information is exempt under section 31(1)(a) of the Act.", ["s31(1)(a)"], []),
        ("In this instance we are relying on section 43(2) - commercial interests.", ["s43(2)"], []),
        ("Section 40(2) applies to the names of staff.", ["s40(2)"], []),
        (
            "Q2 - NOTICE OF REFUSAL\nI consider the locations exempt information under S31(1)(a).",
            ["s31(1)(a)"],
            [],
        ),
        (
            "The following exemptions apply:\nSection 24(2) National Security\nSection 31(3)",
            ["s24(2)", "s31(3)"],
            [],
        ),
        ("Section 31 – Law Enforcement\nDisclosure would assist offenders.", ["s31"], []),
        (
            "We consider section 31(1) applies. The ICO guidance states that section 31(1)(a) can protect "
            "information on a public authority's systems.",
            ["s31(1)"],
            ["s31(1)(a)"],
        ),
        (
            "The information is exempt under section 31. Section 31(1)(a) of the Act states: 31. Law "
            "enforcement. (1) Information which is not exempt information by virtue of section 30 is exempt "
            "information if its disclosure would prejudice— (a) the prevention or detection of crime,",
            ["s31"],
            ["s31(1)(a)", "s30"],
        ),
        (
            "Section 12(1) removes the obligation to comply where the cost would exceed the appropriate "
            "limit. We are therefore refusing your request under section 12.",
            ["s12"],
            ["s12(1)"],
        ),
        (
            "Section 1 of the Act places two duties on public authorities. Section 17 requires us to give "
            "reasons. You may complain under section 50.",
            [],
            [],
        ),
        ("Guidance says “information is exempt under section 38 if disclosure would endanger”.", [], ["s38"]),
        ("Some exemptions, such as section 43, are qualified.", [], ["s43"]),
        (
            "The information is exempt under section 38 of the Freedom of Information Act (2000) which "
            "states that 'Information is exempt information if its disclosure would endanger the safety "
            "of any individual'.",
            ["s38"],
            [],
        ),
    ],
    ids=[
        "exempt-under",
        "relying-on",
        "applies",
        "notice-of-refusal",
        "following-exemptions",
        "heading",
        "ico-guidance-states",
        "statute-reproduced",
        "act-explained",
        "duties-and-procedure",
        "quotation-marks",
        "example",
        "cited-then-its-text-quoted",
    ],
)
def test_cited_and_quoted_are_kept_apart(text: str, cited: list[str], quoted: list[str]) -> None:
    found = read_exemptions(text)
    assert (found.cited, found.quoted) == (cited, quoted)
    assert parse_exemptions(text) == cited


def test_seed_cites_s31_1_and_quotes_the_ico_on_s31_1_a() -> None:
    found = read_exemptions((SEEDS / "000_a1ef777bdabbee58.txt").read_text(encoding="utf-8"))
    assert (found.cited, found.quoted) == (["s31(1)"], ["s31(1)(a)"])


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "by virtue of the listed exemptions Section 31(1)(a)(b)(c), Law Enforcement",
            ["s31(1)(a)", "s31(1)(b)", "s31(1)(c)"],
        ),
        (
            "citing sections 23(5), 24(2), 30(3) and 31(3) Freedom of Information Act",
            ["s23(5)", "s24(2)", "s30(3)", "s31(3)"],
        ),
        (
            "exempt by virtue of Sections 24(1) - National security and 31(1)(a)(b) - Law enforcement",
            ["s24(1)", "s31(1)(a)", "s31(1)(b)"],
        ),
        ("refused citing sections 35(1)(a) and 40 of the Freedom of Information Act", ["s35(1)(a)", "s40"]),
        ("We hold 24 and 31 cameras under section 43(2) and 12 staff", ["s43(2)"]),
        (
            "exempt under section 36(2)(b)(i) and (ii) and section 30(b)(i) and (c)",
            ["s36(2)(b)(i)", "s36(2)(b)(ii)", "s30(b)(i)", "s30(c)"],
        ),
        (
            "Freedom of Information (Scotland) Act 2002: the Police responded in terms of section 18(1)",
            ["FOISA s18(1)"],
        ),
    ],
    ids=[
        "paragraph-run",
        "plural-list",
        "list-with-names",
        "bare-number-in-plural-list",
        "singular-no-list",
        "sub-paragraphs-and-paragraphs",
        "foisa-s18",
    ],
)
def test_lists_of_sections(text: str, expected: list[str]) -> None:
    assert parse_exemptions(text) == expected
