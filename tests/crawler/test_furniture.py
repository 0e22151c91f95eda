"""Site furniture inside a response page is recognised by what it is, not by a site's wording.

The blocks added to the saved ONS and TfL pages carry the wording the issue quotes from the live
sites ("Making an FOI request / Everything you need to know about Freedom of Information",
"Want to make a request? We'll email you ..."); their markup is not known, so each is tried in the
shapes such blocks take: a card that is one link around a heading, a heading with a button, a list.
"""

from __future__ import annotations

import pytest

from crawler.pagetext import clean_content, drop_repeated_ending, parse_page, repeated_endings, text_lines
from crawler.platforms.page import ParsedPage, SiteEndings
from crawler.platforms.page_per_response import read_page
from tests.conftest import FIXTURES

SITES = FIXTURES / "page_per_response"
ONS = "ons/aboutus/transparencyandgovernance/freedomofinformationfoi/cctvsystemsandsuppliers"
TFL = "tfl/corporate/transparency/freedom-of-information/foi-request-detail@referenceId=FOI-1876-2324"

ONS_CARD = """<div class="tiles">
<a class="tile" href="/aboutus/transparencyandgovernance/freedomofinformationfoi">
<h3>Making an FOI request</h3><p>Everything you need to know about Freedom of Information requests
and how to make one to the ONS.</p></a></div>"""
ONS_TILE = """<section class="tile"><h2>Making an FOI request</h2>
<p>Everything you need to know about Freedom of Information.</p>
<a href="/aboutus/transparencyandgovernance/freedomofinformationfoi/makingarequest">Read more</a>
</section>"""
TFL_CTA = """<div class="cta"><h2>Want to make a request?</h2>
<p>Tell us what you are looking for. We'll email you when we have an answer.</p>
<a class="button" href="/corporate/transparency/freedom-of-information/make-a-request">Make a request</a>
</div>"""
TFL_CTA_BUTTON = """<div><h3>Want to make a request?</h3><p>We'll email you a reference number.</p>
<button type="button">Start now</button></div>"""
RELATED = """<h2>Related requests</h2><ul><li><a href="/foi/1">Bus CCTV</a></li>
<li><a href="/foi/2">ULEZ cameras</a></li></ul>"""
LINK_LIST = """<ul class="more"><li><a href="/corporate/publications">Publications</a></li>
<li><a href="/corporate/about-tfl">About TfL</a></li>
<li><a href="/corporate/transparency">Transparency</a></li></ul>"""


# Where each block goes: the end of ONS's main content; inside TfL's "We answered" section, after
# the answer's last paragraph (the hardest place: the answer's own container).
END_OF_ANSWER = {ONS: "</main>", TFL: "</div>\n\n</div>\n</div>"}


def _with_block(file: str, block: str) -> str:
    html = (SITES / file).read_text(encoding="utf-8")
    anchor = END_OF_ANSWER[file]
    assert html.count(anchor) == 1
    return html.replace(anchor, block + anchor, 1)


@pytest.mark.parametrize("file", [ONS, TFL], ids=["ons", "tfl"])
@pytest.mark.parametrize(
    "block",
    [ONS_CARD, ONS_TILE, TFL_CTA, TFL_CTA_BUTTON, RELATED, LINK_LIST],
    ids=["card", "tile", "cta", "cta-button", "related", "link-list"],
)
def test_furniture_at_the_end_of_the_answer_is_not_read(file: str, block: str) -> None:
    url = "https://www.example.gov.uk/" + file.replace("@", "?")
    plain = read_page((SITES / file).read_text(encoding="utf-8"), url)
    furnished = read_page(_with_block(file, block), url)
    assert (furnished.request, furnished.response) == (plain.request, plain.response)
    assert plain.response and plain.problems == []


def _lines(body: str) -> list[str]:
    return text_lines(clean_content(parse_page(f"<html><body><main>{body}</main></body></html>")))


@pytest.mark.parametrize(
    ("body", "kept"),
    [
        (
            "<p>The reports are published on our website:</p><ul><li><a href='/a'>Annual report 2022</a></li>"
            "<li><a href='/b'>Annual report 2023</a></li><li><a href='/c'>Annual report 2024</a></li></ul>",
            "Annual report 2023",
        ),
        (
            "<h2>Attachments</h2><ul><li><a href='/x/annex-a.pdf'>Annex A</a></li>"
            "<li><a href='/x/annex-b.pdf'>Annex B</a></li>"
            "<li><a href='/x/annex-c.xlsx'>Annex C</a></li></ul>",
            "Annex B",
        ),
        (
            "<div><h3>Disclosure</h3><p>The force has 12 ANPR cameras; see <a href='/anpr'>our ANPR page</a>."
            "</p></div>",
            "The force has 12 ANPR cameras; see our ANPR page.",
        ),
        (
            "<div><h3>Question 2</h3><p>You can make a complaint to the ICO if you are unhappy: "
            "<a href='https://ico.org.uk'>ico.org.uk</a>. We hold the figures for 2023 only, shown in the"
            " table below, because the earlier records were destroyed in line with the force's retention"
            " schedule and no copy was kept by the department that produced them, so none can be provided"
            " for 2021 or 2022 however they are searched for.</p></div>",
            "We hold the figures for 2023 only",
        ),
        (
            "<div><h3>Complaint rights</h3><p>If you are unhappy with this response you can make a complaint;"
            " contact us at <a href='mailto:foi@example.gov.uk'>foi@example.gov.uk</a>.</p></div>",
            "If you are unhappy with this response you can make a complaint;",
        ),
        (
            "<div><h3>Question 3</h3><p>Gifts are recorded in the <a href='/gifts'>gifts register</a>; you"
            " can register an interest there.</p></div>",
            "Gifts are recorded in the gifts register",
        ),
    ],
    ids=[
        "links-introduced-by-the-answer",
        "documents",
        "short-headed-answer",
        "long-answer-with-link",
        "complaint-rights",
        "register-in-an-answer",
    ],
)
def test_answer_blocks_that_look_a_little_like_furniture_are_kept(body: str, kept: str) -> None:
    assert any(kept in line for line in _lines(body))


def test_endings_repeated_across_pages_of_a_site_are_furniture() -> None:
    pages = [
        ["Bus CCTV", "We hold 12 cameras per bus.", "Want to make a request?", "We'll email you updates."],
        ["ULEZ", "The camera list is withheld.", "Want to make a request?", "We'll email you updates."],
        ["Spend data", "It is published monthly.", "We'll email you updates."],
    ]
    furniture = repeated_endings([page[-3:] for page in pages])
    assert furniture == {"Want to make a request?", "We'll email you updates."}
    assert drop_repeated_ending(pages[0], furniture) == ["Bus CCTV", "We hold 12 cameras per bus."]
    assert drop_repeated_ending(pages[2], furniture) == ["Spend data", "It is published monthly."]


def test_one_page_alone_has_no_furniture_by_repetition() -> None:
    page = ["Title", "Answer line.", "Answer line."]
    assert repeated_endings([page]) == set()
    assert drop_repeated_ending(["Same.", "Same."], {"Same."}) == ["Same.", "Same."]


def _answer(*lines: str) -> ParsedPage:
    return ParsedPage(url="https://tfl.gov.uk/x", response="\n".join(lines))


def test_an_ending_repeated_on_earlier_pages_of_a_site_is_dropped() -> None:
    box = ("Want to make a request?", "We'll email you the response within 20 working days.")
    endings = SiteEndings()
    first = endings.trim(_answer("We hold 15,576 cameras.", *box))
    second = endings.trim(_answer("We do not hold this information.", *box))
    third = endings.trim(_answer("The cost limit applies.", *box))
    assert first.response.endswith(box[1]) and second.response.endswith(box[1])  # not yet seen twice
    assert third.response == "The cost limit applies."


def test_one_repeated_sentence_is_an_answer_not_furniture() -> None:
    endings = SiteEndings()
    for reference in ("1", "2"):
        endings.trim(_answer(f"Request {reference}.", "Please see the attached document."))
    third = endings.trim(_answer("Request 3.", "Please see the attached document."))
    assert third.response == "Request 3.\nPlease see the attached document."
