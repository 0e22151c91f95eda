"""Outcome wording that is easy to misread: pointers to reasons, narrated releases, "nothing further held"."""

from __future__ import annotations

import json
import re
import string
import sys

import pytest

from crawler import outcomes
from crawler.outcomes import classify_outcome
from tests.conftest import REPO


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "The information is exempt under section 22. For further information about why this exemption "
            "has been applied, please see below.",
            "refused",
        ),
        (
            "We have withheld this information under section 31(1)(a). These are qualified exemptions and "
            "require a public interest test to be performed, as follows.",
            "refused",
        ),
        ("I am able to disclose the located information to you as follows.", "released"),
        (
            "The Council responded by providing copies of an inspection report but stated that it did not "
            "hold a record of the telephone conversation.",
            "partially_released",
        ),
        (
            "The Council has provided the information it held. The Council does not hold further information "
            "within the scope of the request.",
            "released",
        ),
        ("The Council does not hold any information within the scope of the request.", "not_held"),
        (
            "I can confirm we do hold the information you require. A search produced 2159 emails, which "
            "would exceed the £450 limit. We do not hold any emails with the supplier.",
            "refused",
        ),
        (
            "We do not hold any emails with the supplier. The other emails would exceed the £450 limit.",
            "not_held",
        ),
    ],
    ids=[
        "see-below-for-reasons",
        "public-interest-test-as-follows",
        "as-follows-for-information",
        "narrated-release-beside-not-held",
        "nothing-further-held",
        "nothing-held",
        "held-confirmed-so-refusal-decides",
        "not-held-first-without-confirmation",
    ],
)
def test_outcome_wording(text: str, expected: str) -> None:
    assert classify_outcome(text) == expected


# Real sentences from dev items of eval/outcomes.jsonl (issue 8, fourth pass), one or two a class.
_S17_NOTICE = (
    "Your request for information has now been considered and I am not obliged to supply the information you "
    "have requested.\nSection 17(5) of the Freedom of Information Act 2000 requires South Wales Police, when "
    "refusing to provide such information (because the information is exempt) to provide you the applicant "
    "with a notice which:\n(a) states that fact,\n(b) specifies the exemption in question and\n(c) "
    "states (if "
    "that would not otherwise be apparent) why the exemption applies.\nIn relation to your particular "
    "request, "
    "the following exemption applies:\nThe data you have requested is not routinely collated in the format "
    "that would easily answer your query."
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2. We do not record this information.", "not_held"),
        (
            "There is no dedicated annual Estate CCTV budget and annual spend is not collated so this "
            "information is not held.",
            "not_held",
        ),
        (
            "Section 12 – Exemption where cost of compliance exceeds appropriate limit.\nUnfortunately, the "
            "data you have requested is not routinely collated in the format that would easily answer your "
            "request. We estimate that it would take approximately one minute to individually "
            "interrogate each "
            "occurrence in order to establish if they relate to tool theft.",
            "refused",
        ),
        (_S17_NOTICE, "refused"),
        (
            "The public authority withheld some of the information, citing section 43, and was slow to carry "
            "out an internal review of the decision, which it eventually upheld.",
            "partially_released",
        ),
        (
            "The council refused to disclose the information that it held on the basis that it was exempt "
            "under section 36(2)(b)(i) and (ii). The Commissioner's decision is that the council correctly "
            "withheld some information under section 40(2) of the FOIA.",
            "refused",
        ),
        (
            "It refused to provide the interim report arguing that it was exempt from disclosure under "
            "section "
            "30 of the Act. It upheld this position on review.",
            "refused",
        ),
        (
            "In accordance with the Freedom of Information Act 2000, this letter acts as a Refusal "
            "Notice for "
            "this part of the request. However, under Section 16 of the Act I have a duty to provide "
            "advice and "
            "assistance in relation to your request and can provide relevant information for questions 1 - 3 "
            "as this was retrieved during our initial research.",
            "partially_released",
        ),
        (
            "Question 1\nThe funding request was prepared and generated on behalf of the NPCC. Under S16 our "
            "duty to advise and assist you may wish to submit this part of your request to "
            "NPCC.\nQuestion 2\n"
            "Your request for this information has now been considered and I am not obliged to supply the "
            "information you have requested.\nSection 14(1) – Vexatious",
            "refused",
        ),
        (
            "'NCND' indicates a response in which we neither confirmed nor denied whether information "
            "was held. "
            "'Partial' refers to a response in which some of the requested information was provided, while "
            "other parts were refused. The additional information requested has been provided below.",
            "released",
        ),
        ("Please see atttached a copy of all of the information you requested.", "released"),
    ],
    ids=[
        "do-not-record",
        "not-collated-so-not-held",
        "not-routinely-collated-is-a-cost-refusal",
        "section-17-5-lettered-list-is-quotation",
        "withheld-some",
        "correctly-withheld-some-is-a-judgement",
        "refusal-upheld-on-review",
        "section-16-information-given",
        "redirect-then-vexatious",
        "outcome-words-as-data",
        "copy-of-all-the-information",
    ],
)
def test_outcome_classes(text: str, expected: str) -> None:
    assert classify_outcome(text) == expected


# Police letters (eval/fields pages): release pointed to by "below is", a part exempted, and a pointer
# to the exemptions that follow, which gives nothing.
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Having made enquiries within the Force below is all the information we have been able to "
            "retrieve. In regards to the gender we do not record details of the applicant if different "
            "to the person at risk and we do not record any ethnic data.\n2019 – 768",
            "partially_released",
        ),
        (
            "I can confirm that Dyfed-Powys Police does hold the information requested, however some of "
            "that information has been exempted by virtue of the following exemptions:\nSection 24(1)",
            "partially_released",
        ),
        (
            "Please see below for the following exemptions:\nSection 12 – Excess Cost\nUnfortunately, we "
            "cannot answer this request as it will exceed the 18-hour time limit to complete the request.",
            "refused",
        ),
    ],
    ids=["below-is-the-information", "some-information-exempted", "see-below-for-the-exemptions"],
)
def test_police_letter_classes(text: str, expected: str) -> None:
    assert classify_outcome(text) == expected


# -- case-free matching -------------------------------------------------------------------------
def test_fold_makes_a_letter_what_ignorecase_takes_it_for() -> None:
    """For every code point and ASCII letter: IGNORECASE matches the letter exactly when the folded
    code point is the letter in lower case (so a folded literal matches where the original did)."""
    points = "".join(chr(p) for p in range(sys.maxunicode + 1) if not 0xD800 <= p <= 0xDFFF)
    folded_to: dict[str, set[str]] = {}
    for char in points:
        folded_to.setdefault(outcomes.fold(char), set()).add(char)
    for letter in string.ascii_letters:
        taken = set(re.findall(letter, points, re.I))
        assert taken == folded_to[letter.lower()], letter


def _texts() -> list[str]:
    rows = [json.loads(line) for line in (REPO / "eval/outcomes.jsonl").read_text().splitlines()]
    rows += [json.loads(line) for line in (REPO / "eval/cctv.jsonl").read_text().splitlines()]
    return [str(row.get("response") or row.get("text") or "") for row in rows]


def _variants(text: str) -> list[str]:
    odd = text.replace("s", "\u017f").replace("i", "\u0131").replace("I", "\u0130").replace("k", "\u212a")
    return [text, text.upper(), text.swapcase(), odd]


@pytest.mark.parametrize(
    "name",
    ["_DESCRIBES_OUTCOMES", "_NCND", "_PARTIAL", "_RELEASED", "_POINTS_TO_REASONS", "_ACCESSIBLE"]
    + ["_NOTHING_FURTHER", "_NOT_HELD", "_REFUSED", "_COMPLAINT_RIGHTS"],
)
def test_each_case_free_pattern_matches_where_its_original_does(name: str) -> None:
    original, free = getattr(outcomes, name), getattr(outcomes, f"{name}_F")
    matched = 0
    for text in _texts():
        for sentence in outcomes._SENTENCE_END.split(text):
            for variant in _variants(sentence):
                found = bool(original.search(variant))
                assert found == bool(free.search(outcomes.fold(variant))), (name, variant)
                matched += found
    assert matched  # the check has seen the pattern match


def test_patterns_that_cannot_be_made_case_free_are_refused() -> None:
    for pattern in (re.compile("abc"), re.compile(r"(?-i:NCND)", re.I), re.compile(r"\x41", re.I)):
        with pytest.raises(ValueError):
            outcomes.case_free(pattern)


def test_fold_keeps_every_character_where_it_was() -> None:
    """The quotation cuts are found in the folded text and made in the text: one character each."""
    assert all(
        len(outcomes.fold(chr(p))) == 1 for p in range(sys.maxunicode + 1) if not 0xD800 <= p <= 0xDFFF
    )


@pytest.mark.parametrize("name", ["_QUOTATION", "_QUOTED_LIST"])
def test_quotations_are_cut_where_the_original_pattern_cuts_them(name: str) -> None:
    original, free = getattr(outcomes, name), getattr(outcomes, f"{name}_F")
    matched = 0
    for text in [*_texts(), _S17_NOTICE]:
        for variant in _variants(text):
            spans = [m.span() for m in original.finditer(variant)]
            assert spans == [m.span() for m in free.finditer(outcomes.fold(variant))], variant[:80]
            matched += len(spans)
            if name == "_QUOTED_LIST":
                assert outcomes._without_quoted_lists(variant) == original.sub("\n", variant)
    assert matched
