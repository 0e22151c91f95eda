"""Outcome wording that is easy to misread: pointers to reasons, narrated releases, "nothing further held"."""

from __future__ import annotations

import pytest

from crawler.outcomes import classify_outcome


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
