"""The outcome of an FOI answer, decided from the answer as a whole (``classify_outcome``).

A letter is read sentence by sentence after dropping what does not decide anything: the right-of-appeal
paragraph, quoted statute or ICO guidance (with its lettered paragraphs, as in a quoted section 17(5)) and
sentences that use outcome words as data ("'Partial' refers to a response in which ..."). Where the answer
is a numbered list of questions, each answer is judged on its own and the verdicts are combined; an answer
that only points to another body decides nothing.

Precedence, first match wins (``_combine``; the detail is in ``classify_outcome``):

1. partial wording: "disclose some of", "withheld some", a redacted copy or version, information given
   under the section 16 duty beside a refusal, "gesture of goodwill";
2. something released beside anything refused, not held or NCND: ``partially_released``;
3. only released: ``released``;
4. nothing released: ``neither_confirm_nor_deny``, then ``not_held`` ("do not hold", "do not record or
   collate this information"), then ``refused`` (exemptions, the cost limit, vexatious requests). Where the
   letter says the authority holds the information, a refusal outranks "not held";
5. withdrawn wording, then a request for clarification or a transfer (``other``); an acknowledgement is None.

Internal reviews: a review that upholds the original decision ("upheld this position on review", "section
38 ... has been correctly applied") counts as a refusal, so a review letter reads as ``refused`` unless it
also says something was released (then partial) or not held (then not held, as in step 4). A review that
releases more is read like any letter. "Not routinely collated in the format ..." explains a cost-limit
refusal and is not a not-held answer; only "we do not record/collate this information" is.
"""

from __future__ import annotations

import re

OUTCOMES = (
    "released",
    "partially_released",
    "refused",
    "not_held",
    "neither_confirm_nor_deny",
    "withdrawn",
    "other",
)

RELEASED, PARTIAL, REFUSED, NOT_HELD, NCND, WITHDRAWN, OTHER = OUTCOMES

_COMPLAINT_RIGHTS = re.compile(
    r"\b(?:dis|un|not )satisf|\bunhappy with|wish to (?:complain|appeal)|complaint rights|right (?:of"
    r"|to) (?:appeal|compla)"
    r"|right to (?:require|request|ask)[^.]{0,80}review"
    r"|information commissioner'?s?(?: office)?,? (?:at )?(?:wycliffe|water lane)|ico\.org\.uk",
    re.I,
)
# Quoted statute or guidance: what follows the match is the quotation, not the authority's answer.
_QUOTATION = re.compile(
    r"\b(?:section|regulation|s\.?)\s?\d+[\w()]*[^.]{0,80}?\b(?:states|says|provides)\b"
    r"|guidance\b[^.]{0,80}\b(?:states|says)\b|\(?\d?\)?\s*information (?:which"
    r"|is) [^.]{0,80}exempt information if"
    r"|places two duties|the first duty at section|requires? [\w ]{0,40}?when refusing",
    re.I,
)
_NCND = re.compile(
    r"neither confirm(?:s|ed)? nor den(?:y|ies|ied)|\bNCND\b|(?:refus"
    r"|declin)\w* to (?:either )?confirm or deny",
    re.I,
)
_NOT_HELD = re.compile(
    r"(?:is|was|are|were) (?:therefore |currently |also )?not held(?! (?:in a|in an|in such)\b)"
    r"|(?:do|does|did) not hold|(?:do|does) not have (?:it|this|that|the information|any)"
    r"|no (?:relevant |recorded |such )?(?:information|records?|data) (?:is |was |are )?held"
    r"|information not held|(?:some )?not held\)|we hold no (?:relevant |recorded )?information"
    r"|(?:do|does) not (?:currently |electronically |centrally |routinely )?(?:record|collate|capture|keep) "
    r"(?:this|that|these|such|the|any)(?: \w+){0,3}? (?:information|data|figures|details|records?)\b"
    r"|(?:information|data|figures) (?:is|are) not (?:currently |centrally )?(?:recorded|collated)\b(?! in )",
    re.I,
)
_REFUSED = re.compile(
    r"refusal notice|notice of refusal|decided not to disclose|(?:decline|unable|not be able) to (?:provide"
    r"|release|disclose)"
    r"|withh[oe]ld|withholding|is engaged|information (?:is |was )?exempt\b"
    r"|\bexempt(?: (?:from (?:disclosure|release)|under|by virtue|pursuant)\b|\))|not obliged to|(?:cannot"
    r"|will not|can ?not) be (?:disclosed|released|provided)"
    r"|(?:is|are|was|were|been) refused|refus\w* (?:to comply|to provide|to disclose|the request"
    r"|your request)"
    r"|(?:we|i) (?:must |have to )?refuse (?:your|this)|do not release|vexatious|manifestly unreasonable"
    r"|(?:appropriate|cost|fees?)\)? limit|£\s?\d+ limit|exceed\w* (?:the )?(?:£|18 hours|appropriate|cost)"
    r"|section 1[24]\b|s\.? ?1[24]\("
    r"|(?:section|regulation|exemptions?) [\w().]+(?: of the [\w ]{1,60}?)? (?:has|have) been (?:correctly "
    r"|properly |rightly |appropriately )?(?:applied|engaged)"
    r"|correctly (?:applied|relied on) (?:the )?(?:exemptions?|exceptions?|section|regulation)"
    r"|uph[eo]ld\w* (?:the |its |their |our |my )?(?:original )?(?:decision|position|response|refusal)"
    r"|(?:decision|position|refusal) (?:is|was|has been) upheld",
    re.I,
)
_PARTIAL = re.compile(
    r"disclose some of|decided to (?:disclose|release) (?:some|part)|partial(?:ly)? (?:disclos|releas"
    r"|successful)"
    r"|(?:provided|disclosed|released|supplied) some|some (?:of the )?(?:data|information) (?:has"
    r"|have) been withheld"
    r"|withholding (?:some|part)|withh\w+ the (?:rest|remainder)|(?:can|able to|will) (?:provide|disclose"
    r"|release|supply) (?:some|part) of"
    r"|some of the information [\w ]{0,30}(?:can be found|is (?:provided|attached|given|set out)|below)"
    r"|some of (?:that|the|this) information (?:has been|is|was) (?:exempted|withheld|redacted)"
    r"|gesture of goodwill|exemptions? to (?:some|part) of|(?:provided|disclosed) all (?:the )?(?:relevant "
    r"|requested )?information except|some not held"
    r"|(?<!correctly )(?<!properly )withheld (?:some|part|certain)\b"
    r"|redact\w* (?:some|certain|parts?|the names|names)\b"
    r"|redacted (?:copy|copies|version)|(?:section|s\.?) ?16\b[^.]{0,150}?\b(?:can|able to|will|am|have) "
    r"(?:provide|supply|disclose|give)d? (?:you with )?(?:some|the|relevant|following|this)\b",
    re.I,
)
_RELEASED = re.compile(
    r"decided to (?:disclose|release)|(?:is|are) (?:being )?(?:disclosed|released|provided) (?:below|in full)"
    r"|please (?:find|see) (?:the |our )?(?:attached|below|information|response|answers?|details|table)"
    r"|our response is (?:below|as)|the information (?:you requested|requested) is (?:attached|below"
    r"|as follows)"
    r"|(?:is|are) (?:shown|set out|provided|detailed|listed)(?: in the [\w ]{1,30}?)? below"
    r"|(?:shown|set out|detailed) in the (?:table|attached|enclosed)|(?:is|are) attached|(?:has"
    r"|have) been provided"
    r"|in full\b|information (?:to be |has been |is being )?supplied|\bable to disclose|as follows"
    r"|(?:has|have|had) (?:provided|disclosed|released) (?:the information (?:it|we|they) held|all"
    r"|copies|a copy)"
    r"|(?:by|after) (?:providing|disclosing|releasing) (?:copies|a copy|the information|the requested)"
    r"|(?:attached|enclosed|see|find)\b[^.]{0,20}?\ba copy of (?:all )?(?:of )?the information"
    r"|\bbelow (?:is|are) (?:all )?(?:of )?(?:the )?(?:information|figures|data|details|numbers)\b",
    re.I,
)
# "Please see below", "as follows" pointing at the reasons for an exemption, not at information given.
_POINTS_TO_REASONS = re.compile(
    r"\bwhy\b|\breasons?\b|public interest test|exemptions? (?:has|have) been applied|explanation"
    r"|(?:following|these) exemptions?\b",
    re.I,
)
# "We do not hold any further information": what was held has been given; not a not-held answer.
_NOTHING_FURTHER = re.compile(
    r"not hold (?:any )?(?:further|additional|more|other) (?:information|records?|data)", re.I
)
# "We can confirm that we hold the information", "the information you have requested is held by ...".
_HELD = re.compile(
    r"confirm(?:s|ed)? (?:that )?(?:we|it|the [\w ]{1,40}?) (?:do |does )?holds? "
    r"(?:the |some |relevant |this )*(?:information|data|records?)"
    r"|information (?:you (?:have )?requested |requested )?is held by",
    re.I,
)
# Section 21 (FOISA s25): the information is pointed to where it is published, so it counts as given.
_ACCESSIBLE = re.compile(
    r"(?:otherwise|reasonably|already) (?:accessible|available)|already published"
    r"|information otherwise accessible",
    re.I,
)
_WITHDRAWN = re.compile(
    r"(?:request|application) (?:was|has been|is) withdrawn|withdr[ae]w (?:the|their|his|her|your) request",
    re.I,
)
_CLARIFY_OR_TRANSFER = re.compile(
    r"(?:please|could you|can you) clarify|(?:need|require) (?:you to |further )?clarif|before we transfer"
    r"|(?:has|have) (?:been )?transferred (?:your|the|this) request",
    re.I,
)
_ACKNOWLEDGED = re.compile(
    r"acknowledge (?:receipt|your)|(?:will|aim to) (?:respond|reply|send you a (?:full )?response)"
    r"|you will receive a response|currently processing your request|response will be (?:sent|provided)",
    re.I,
)
# A heading on a line of its own that starts the complaint-rights part of a letter: the rest is boilerplate.
_RIGHTS_HEADING = re.compile(
    r"\n\s*(?:complaint rights|rights? of (?:appeal|review)|your rights?|(?:appeals?|complaints?"
    r"|review) procedure"
    r"|internal review|how to complain)\s*:?\s*\n",
    re.I,
)
# Section 17(5) and the like quoted with their lettered paragraphs: "(a) states that fact, (b) specifies ...".
_QUOTED_LIST = re.compile(
    r"(?:section|regulation|s\.)\s?\d+[\w()]*[^:\n]{0,160}?\b(?:requires?|states?|provides?|says)\b[^:\n]{0,200}:"
    r"\s*\n(?:[ \t]*\([a-z]\)[^\n]{0,300}(?:\n|$)){2,8}",
    re.I,
)
# Outcome words used as data, in answers about FOI statistics: "'Partial' refers to a response in which ...".
_DESCRIBES_OUTCOMES = re.compile(
    r"\b(?:refers? to|indicates?|means) (?:a |an )?(?:response|request)s?\b"
    r"|\bwhere (?:a|the) request (?:has been|was|is) (?:refused|partially|withheld)",
    re.I,
)
# An answer that only points to another body ("you may wish to submit this part of your request to the NPCC").
_REDIRECT = re.compile(
    r"(?:submit|direct|redirect|send|forward|address) (?:this part of |that part of |this element of )?your "
    r"(?:request|enquiry|query|question) to|(?:may|might) wish to contact",
    re.I,
)
_SENTENCE_END = re.compile(r"(?<=[.!?;])\s+|\n\s*\n")
_QUESTION_MARK = re.compile(
    r"(?:^|(?<=\s))(?:Q(?:uestion)?\s?(?P<q>\d{1,2})\b[.):]?|(?P<n>\d{1,2})(?:[.)](?=\s)|(?=\s[a-z]\)\s))|(?:Request|Answer"
    r"|Part) (?P<r>\d{1,2})\b"
    r"|(?<![^\n])\s*\((?P<l>[a-h])\)(?=\s))",
    re.I,
)
# Numbers without a dot ("1 The Trust ...", "4 a) ..."): only trusted as a run of three or more.
_BARE_MARK = re.compile(r"(?:^|(?<=[\s.]))(?P<n>\d{1,2})(?=\s+(?:[A-Z]|[a-z]\)))")
_NEUTRAL_ANSWER = re.compile(
    r"^\W*(?:(?:please )?see (?:the )?(?:answer|response)|n/?a\b|not applicable|-?\s*$)", re.I
)
_ANSWER_CONTENT = re.compile(r"\d|\b(?:yes|no|none|zero)\b", re.I)


# -- case-free matching ------------------------------------------------------------------------------
# Python's ``re`` scans three to four times faster without IGNORECASE. The patterns above are written
# with it; each one run per sentence is also compiled case-sensitive, in lower case, and run over the
# sentence folded to lower case (``fold``): the two agree on every text (``tests/crawler/test_outcomes.py``
# checks every code point IGNORECASE equates with an ASCII letter, and the evaluation texts).
_FOLD_FIRST = str.maketrans({"\u0130": "i", "\u0131": "i", "\u017f": "s"})  # İ, dotless ı, long ſ


def fold(text: str) -> str:
    """``text`` in lower case, with the three letters IGNORECASE takes for i and s made i and s."""
    return text.translate(_FOLD_FIRST).lower()


def case_free(pattern: re.Pattern[str]) -> re.Pattern[str]:
    """``pattern`` (compiled with IGNORECASE) as a case-sensitive pattern that matches ``fold(text)``
    wherever ``pattern`` matches ``text``. Letters outside escapes are lowered; escapes stay as written
    (``\\S`` is not ``\\s``). Patterns this cannot translate exactly are refused."""
    source = pattern.pattern
    if not pattern.flags & re.IGNORECASE or "(?-i" in source or re.search(r"\\[xuUN0-7]", source):
        raise ValueError(f"cannot make {source[:60]!r} case-free")
    out, escaped = [], False
    for char in source:
        out.append(char if escaped else char.lower())
        escaped = not escaped and char == "\\"
    return re.compile("".join(out), pattern.flags & ~re.IGNORECASE)


_DESCRIBES_OUTCOMES_F, _NCND_F, _PARTIAL_F, _RELEASED_F, _POINTS_TO_REASONS_F = map(
    case_free, (_DESCRIBES_OUTCOMES, _NCND, _PARTIAL, _RELEASED, _POINTS_TO_REASONS)
)
_ACCESSIBLE_F, _NOTHING_FURTHER_F, _NOT_HELD_F, _REFUSED_F, _COMPLAINT_RIGHTS_F = map(
    case_free, (_ACCESSIBLE, _NOTHING_FURTHER, _NOT_HELD, _REFUSED, _COMPLAINT_RIGHTS)
)
# These two cut the text where they match: ``fold`` keeps every character where it was (it maps
# each to one), so a match in the folded text is at the same place in the text.
_QUOTATION_F, _QUOTED_LIST_F = map(case_free, (_QUOTATION, _QUOTED_LIST))


def _without_quoted_lists(text: str) -> str:
    """``text`` with each statute or guidance quoted as a lettered list put down to a line break."""
    kept, last = [], 0
    for quoted in _QUOTED_LIST_F.finditer(fold(text)):
        kept += [text[last : quoted.start()], "\n"]
        last = quoted.end()
    return "".join(kept) + text[last:] if kept else text


def _sentences(text: str) -> list[str]:
    """The text's sentences, without complaint rights and quoted statute or guidance."""
    heading = _RIGHTS_HEADING.search(text)
    kept = []
    for sentence in _SENTENCE_END.split(text[: heading.start()] if heading else text):
        folded = fold(sentence)
        if _COMPLAINT_RIGHTS_F.search(folded):
            continue
        quotation = _QUOTATION_F.search(folded)
        sentence = sentence[: quotation.start()] if quotation else sentence
        if sentence.strip():
            kept.append(" ".join(sentence.split()))
    return kept


def _verdicts(sentences: list[str]) -> set[str]:
    """Outcomes the sentences state; a sentence saying the information is not held, or is published
    elsewhere, is not a refusal."""
    found: set[str] = set()
    for sentence in map(fold, sentences):
        if _DESCRIBES_OUTCOMES_F.search(sentence):
            continue
        for outcome, pattern in ((NCND, _NCND_F), (PARTIAL, _PARTIAL_F)):
            if pattern.search(sentence):
                found.add(outcome)
        if _RELEASED_F.search(sentence) and not _POINTS_TO_REASONS_F.search(sentence):
            found.add(RELEASED)
        if _ACCESSIBLE_F.search(sentence):
            found.add(RELEASED)
        elif _NOTHING_FURTHER_F.search(sentence):
            continue
        elif _NOT_HELD_F.search(sentence):
            found.add(NOT_HELD)
        elif _REFUSED_F.search(sentence):
            found.add(REFUSED)
    return found


def _combine(verdicts: set[str]) -> str | None:
    """Precedence: released beside anything withheld is partial; NCND, then not held, then refused."""
    if PARTIAL in verdicts:
        return PARTIAL
    negative = verdicts & {NCND, REFUSED, NOT_HELD}
    if RELEASED in verdicts:
        return PARTIAL if negative else RELEASED
    for outcome in (NCND, NOT_HELD, REFUSED):
        if outcome in negative:
            return outcome
    return None


def _numbered_cuts(marks: re.Pattern[str], text: str) -> list[int]:
    """Where a run of consecutive question numbers (from 1, or from 2 after an unnumbered first) starts."""
    cuts: list[int] = []
    expected = 1
    for mark in marks.finditer(text):
        found = next(group for group in mark.groups() if group)
        number = int(found) if found.isdigit() else ord(found.lower()) - ord("a") + 1
        if number == expected or (not cuts and number == 2):
            cuts.append(mark.start())
            expected = number + 1
    return cuts


def _answers(text: str) -> list[str] | None:
    """The text split at numbered questions (Q1, 1., Question 1), or None if it is not such a list."""
    cuts = _numbered_cuts(_QUESTION_MARK, text)
    if len(cuts) < 2:
        cuts = _numbered_cuts(_BARE_MARK, text)
        if len(cuts) < 3:
            return None
    return [text[start:end] for start, end in zip([0, *cuts], [*cuts, len(text)], strict=True)]


def _answer_verdict(answer: str, first: bool) -> str | None:
    """One answer's outcome; an answer with content and no refusal counts as released."""
    body = _QUESTION_MARK.sub("", answer, count=1)
    verdict = _combine(_verdicts(_sentences(body)))
    if verdict is not None or first or _NEUTRAL_ANSWER.match(body) or _REDIRECT.search(body):
        return verdict
    return RELEASED if _ANSWER_CONTENT.search(body) or len(body.split()) >= 3 else None


def classify_outcome(text: str) -> str | None:
    """Map an answer's wording onto the outcome vocabulary (``OUTCOMES``); None if nothing fits.

    Complaint-rights paragraphs and quoted statute or ICO guidance are ignored; information said to be
    published or otherwise accessible (section 21, FOISA section 25) counts as given. "See below" or "as
    follows" in a sentence about why an exemption applies is not a release, and "we do not hold any
    further information" says nothing about the outcome. Where the answer is a
    numbered list of questions, each answer is judged (an answer with content and no refusal, NCND
    or "not held" wording is released) and the verdicts are combined like sentences of one letter.
    Precedence, first match wins:

    1. explicit partial wording ("disclose some of", "partially successful", "gesture of goodwill");
    2. something released beside anything refused, not held or NCND: ``partially_released``;
    3. only released: ``released``;
    4. nothing released: ``neither_confirm_nor_deny``, then ``not_held`` (a sentence saying the
       information is not held counts as not held even if it also says "unable to provide"), then
       ``refused`` (exemptions, cost limit, vexatious or manifestly unreasonable requests); where the
       letter says the authority holds the information, a refusal outranks "not held";
    5. withdrawn wording: ``withdrawn``; a request for clarification or a transfer: ``other``;
    6. an acknowledgement: None; otherwise an answer with content (figures, yes/no) is ``released``.
    """
    if not text.strip():
        return None
    text = _without_quoted_lists(text)
    answers = _answers(text)
    if answers is not None:
        verdicts = {v for i, a in enumerate(answers) if (v := _answer_verdict(a, i == 0)) is not None}
    else:
        verdicts = _verdicts(_sentences(text))
    if {NOT_HELD, REFUSED} <= verdicts and _HELD.search(text):
        # The authority says it holds the information: "not held" is about a part, the refusal decides.
        verdicts.discard(NOT_HELD)
    decided = _combine(verdicts)
    if decided is not None:
        return decided
    if _WITHDRAWN.search(text):
        return WITHDRAWN
    if _CLARIFY_OR_TRANSFER.search(text):
        return OTHER
    if _ACKNOWLEDGED.search(text):
        return None
    return RELEASED if _ANSWER_CONTENT.search(text) or len(text.split()) >= 20 else None


def mentions_complaint_rights(text: str) -> bool:
    """Whether the text tells the requester how to complain or appeal (the letter's own closing)."""
    return bool(_COMPLAINT_RIGHTS.search(text))
