"""The fast paths of ``monitor.term_match`` give what the plain regexes give, on the cases that tell."""

from __future__ import annotations

import pytest

from monitor.term_match import SENTENCE_BREAK, TermPattern, Text, sentence_breaks, term_pattern

TRICKY = [
    "",
    "\n",
    "a.\n",
    "  \n  \n",
    "a. b\n\n c;d; e",
    "x\n  y.  \n",
    ". . .",
    "a.\u00a0b",
    "\u2028a\u2029b.\u3000c",
    "a.\n\n b",
    "a;\n\n\t\nb\n",
    "Q1?\n- yes!  No; maybe.",
]


@pytest.mark.parametrize("text", TRICKY)
def test_sentences_end_where_the_sentence_break_says(text: str) -> None:
    spans, start = [], 0
    for brk in SENTENCE_BREAK.finditer(text):
        if text[start : brk.start()].strip():
            spans.append((start, brk.start()))
        start = brk.end()
    if text[start:].strip():
        spans.append((start, len(text)))
    assert Text(text).sentences == spans


@pytest.mark.parametrize(
    ("text", "searchable"),
    [
        ("Plain ASCII CCTV", True),
        ("The council’s “CCTV” – £3,000; café", True),
        ("ſurveillance", False),  # IGNORECASE takes "ſ" for "s"; lower() keeps it
        ("\u212a9 unit", False),  # the Kelvin sign lower-cases to an ASCII "k"
        ("İstanbul", False),  # lower-cases to two characters
        ("ıt", False),  # IGNORECASE takes the dotless i for "i"
    ],
)
def test_lowered_text_is_searched_only_where_it_matches_alike(text: str, searchable: bool) -> None:
    assert Text(text).lowered_searchable is searchable


@pytest.mark.parametrize(
    ("term", "text"),
    [
        ("body worn cameras", "BODY-WORN  Cameras and body\nworn-cameras; xbody worn cameras"),
        ("u.a.v.", "U.A.V. and u.a.v.s and (u.a.v.)"),
        ("a&e drone", "A&E drone, a&e-drone, ba&e drone"),
        ("cctv", "ſcctv CCTV’s “cctv” cctv_1 café-cctv"),
        ("surveillance", "ſurveillance SURVEILLANCE"),
    ],
)
def test_term_found_as_the_case_insensitive_regex_finds_it(term: str, text: str) -> None:
    plain = term_pattern(term)
    fast = TermPattern.of(term)
    searched = Text(text)
    assert fast.finditer(searched) == [m.span() for m in plain.finditer(text)]
    if fast.may_be_in(searched) is False:
        assert not plain.search(text)


@pytest.mark.parametrize("text", TRICKY)
def test_sentence_breaks_are_the_sentence_break_regex_matches(text: str) -> None:
    assert list(sentence_breaks(text)) == [brk.span() for brk in SENTENCE_BREAK.finditer(text)]
