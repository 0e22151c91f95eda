"""Camera counts: a number, whether it is exact, and what it counts.

A number is a camera count when a camera noun follows it ("26,500 Axon BWV cameras", "three
Hikvision cameras"), when the sentence says what it is the number of ("the number of cameras under
direct control of the MPS is approximately 300"), when it answers a question asking how many cameras
("Approximately 4000."), or when it is the value of a camera label ("ANPR cameras: 12"). Years,
reference numbers, model numbers and counts of other things (boroughs, questions, fines) are not.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from typing import Any

from monitor.facts.text import Passage, sentence_before, snippet, strip_brackets, word_table

_UNITS = word_table(
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen "
    "sixteen seventeen eighteen nineteen"
)
_TENS = word_table("twenty thirty forty fifty sixty seventy eighty ninety")
_NUMBER_WORD = (
    rf"(?:(?:{'|'.join(_TENS)})(?:[- ](?:{'|'.join(_UNITS[1:10])}))?|{'|'.join(_UNITS[1:])})"
    r"(?:\s+(?:hundred|thousand))?"
)
_NUMBER = re.compile(
    rf"(?<![\w£$€#/.,])(?:(?P<digits>\d{{1,3}}(?:,\d{{3}})+|\d+)|(?P<words>\b{_NUMBER_WORD}\b))"
    r"(?![\d%/]|[.,]\d|[A-Wa-wYZyz])",
    re.I,
)
_QUALIFIER = (
    r"(?:approximately|approx\.?|around|about|circa|ca\.|c\.|roughly|some|nearly|almost|over"
    r"|more than|in excess of|up to|under|less than|fewer than|at least|just over|just under"
    r"|an estimated|estimated|est\.|in the region of|upwards of|~|>|<)"
)
_APPROXIMATE_BEFORE = re.compile(
    rf"(?:(?<![\w.]){_QUALIFIER}|\d\s*(?:-|–|to)|\bbetween\s+\S+\s+and)\s*$", re.I
)
_APPROXIMATE_AFTER = re.compile(r"^\s*(?:\+|plus\b|\(approx\w*\.?\)|or so\b)", re.I)
_MONTHS = word_table(
    "january february march april may june july august september october november december jan feb "
    "mar apr jun jul aug sep sept oct nov dec monday tuesday wednesday thursday friday saturday "
    "sunday"
)
# "In 2019 cameras were...", "between 2018 and 2020 cameras": words that put a year before "cameras".
_YEAR_CONTEXT = re.compile(
    r"(?:\b(?:in|since|during|from|until|till|by|before|after|year|years|between|the|early|late"
    rf"|mid|fy|spring|summer|autumn|winter|{'|'.join(_MONTHS)})\s*|\d{{4}}\s*(?:and|to|-|–|/)\s*|[-–/]\s*)$",
    re.I,
)
# A number right after these names a model, a section or a reference, not a count.
_LABEL_WORD = re.compile(
    r"\b(?:body|series|gen|generation|model|mk|mark|version|v|type|phase|stage|level|floor|block|zone"
    r"|sections?|s|category|tier|ward|bay|route|questions?|q|no|number|ref|reference|item|part|page|point"
    r"|annex|appendix|table|figure|paragraph|schedule|lot|channel|article|regulation|chapter|box|room"
    r"|building|station|junction|platform|gate|request|case|id|foi|camera|cctv|anpr)\.?\s*$",
    re.I,
)
_HEAD = re.compile(r"cameras?|cams|body-?cams?|bodycams?|dash-?cams?", re.I)
_UNIT_HEADS = {"unit", "units", "device", "devices", "kit", "kits"}
_UNIT_QUALIFIER = re.compile(r"cctv|bwv|body-?worn|worn|anpr|ptz|dome|camera", re.I)
# "3 camera locations", "1 camera per ward": the camera noun describes something else that is counted.
_COMPOUND_NEXT = frozenset(
    word_table(
        "footage fines fine location locations site sites system systems image images operator "
        "operators van vans feed feeds network enforcement per data recording recordings tickets "
        "penalties offences activations requests poles columns maintenance contract contracts room "
        "rooms"
    )
)
_STOP = frozenset(
    word_table(
        "of in on at to for from with by about per and or but the a an is are was were be been being "
        "have has had which that this these those who where when than as into over under across "
        "within between each every its their our your his her not no will would can could may might "
        "should shall did do does it they we you he she there here regarding concerning relating "
        "related including such if so then also only just out up what how many much all any some most "
        "less times plus x"
    )
)
_OTHER_THINGS = frozenset(
    word_table(
        "question request year month week day hour minute time page item pound mile metre questions "
        "requests years months weeks days hours minutes boroughs councils districts wards sites "
        "locations towns areas buildings schools streets roads forces officers staff people persons "
        "individuals members incidents crimes offences occasions times pages items parts vehicles "
        "vans contracts suppliers vendors companies complaints fines penalties tickets pounds miles "
        "metres residents households properties homes percent"
    )
)
_POST_START = frozenset(
    word_table(
        "on in at across under within throughout around inside outside covering used owned operated "
        "managed controlled installed located deployed monitored mounted fitted issued provided"
    )
)
_POST_STOP = frozenset(
    word_table(
        "and or which that who is are was were but where when while these this it they we has have "
        "had will would can could may although however with"
    )
)
_TOKEN = re.compile(r"\([^()\n]{0,60}\)|[A-Za-z][\w'’&/\-]*|\d[\d,.]*|\S")
_SUBJECT = re.compile(
    r"\b(?:number|amount|count|quantity|total) of\s+(?P<x>[^.;:]{3,150}?)\s+"
    rf"(?:is|are|was|were|totals?|totalled|stands at|comes to|amounts to|=)\s+"
    rf"(?:currently\s+|now\s+|therefore\s+|still\s+)?(?:{_QUALIFIER}\s*)?$",
    re.I,
)
_LABEL = re.compile(
    rf"(?:^|[.;]\s+|\|\s*)(?P<label>[^:.;=|]{{2,60}}?)\s*[:=\-–|]\s*(?:{_QUALIFIER}\s*)?$", re.I
)
_LABEL_PREFIX = re.compile(r"^(?:(?:the\s+)?(?:total\s+)?(?:number|no\.?|count) of|total)\s+", re.I)
_BARE_ANSWER = re.compile(
    rf"^\s*(?:(?:A\d*|Answer|Response)\s*[:\-–.]\s*)?(?:{_QUALIFIER}\s*)?(?P<number>\d[\d,]*|{_NUMBER_WORD})"
    r"\s*(?:\+|\(approx\w*\.?\))?\s*(?:[.;]|$)",
    re.I,
)
_ASKS_HOW_MANY = re.compile(
    r"\b(?:how many|(?:total )?number of|amount of|quantity of)\s+(?P<rest>[^?]*)", re.I
)
_QUESTION_PLACE = re.compile(
    r"\b(?P<prep>across|on|at|under|within|throughout|in"
    r"|owned by|operated by|managed by|controlled by|used by)"
    r"\s+(?!(?:use|list|operation|place|service|total)\b)(?P<object>[^?,.;()]+)",
    re.I,
)


@dataclass(frozen=True)
class CameraCount:
    """A number of cameras. ``approximate`` covers 'approximately', 'over', '4000+' and ranges."""

    number: int
    approximate: bool
    what: str
    snippet: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CameraCount:
        return cls(int(data["number"]), bool(data["approximate"]), str(data["what"]), str(data["snippet"]))


def parse_number(text: str) -> int:
    """'26,500' -> 26500, 'three' -> 3, 'twenty-five' -> 25, 'two hundred' -> 200."""
    text = text.strip().lower()
    if text[0].isdigit():
        return int(text.replace(",", ""))
    words = re.split(r"[\s\-]+", text)
    value = 0
    for word in words:
        if word in _UNITS:
            value += _UNITS.index(word)
        elif word in _TENS:
            value += 20 + 10 * _TENS.index(word)
        elif word == "hundred":
            value *= 100
        elif word == "thousand":
            value *= 1000
    return value


def _is_modifier(token: str) -> bool:
    low = token.lower()
    if not token[0].isalpha() or low in _STOP or low in _OTHER_THINGS or low in _MONTHS:
        return False
    if low.endswith(("s'", "s’")):
        return False  # "31 boroughs' cameras" counts boroughs
    is_plural = low.endswith("s") and not low.endswith(("ss", "us", "is")) and low not in ("lens", "series")
    return not (token == low and is_plural)


def _tokens(text: str, start: int) -> list[re.Match[str]]:
    return list(_TOKEN.finditer(text, start, min(len(text), start + 200)))


def _head_at(tokens: list[re.Match[str]], number: int) -> int | None:
    """Index of the camera noun after up to five modifiers, or None if the words count something else."""
    words: list[str] = []
    for index, match in enumerate(tokens[:10]):
        token, low = match.group(), match.group().lower()
        if token.startswith("(") or (index == 0 and low in ("x", "×", "+")):
            continue
        is_unit = low in _UNIT_HEADS and any(_UNIT_QUALIFIER.search(w) for w in words)
        if _HEAD.fullmatch(low) or is_unit:
            if number != 1 and not low.endswith("s"):
                return None  # "3,400 speed camera fines": the camera noun is a modifier
            following = [t.group().lower() for t in tokens[index + 1 : index + 2]]
            return None if following and following[0] in _COMPOUND_NEXT else index
        if not _is_modifier(token) or len(words) == 5:
            return None
        words.append(token)
    return None


def _post_phrase(tokens: list[re.Match[str]]) -> list[str]:
    """'used as internal council cameras', 'on the police estate': what follows the camera noun."""
    if not tokens or tokens[0].group().lower() not in _POST_START:
        return []
    words: list[str] = []
    for match in tokens[:8]:
        token = match.group()
        if not token[0].isalpha() or token.lower() in _POST_STOP:
            break
        words.append(token)
    while words and (words[-1].lower() in _STOP or words[-1].lower() in _POST_START):
        words.pop()
    return words if len(words) >= 2 else []


def camera_phrase(text: str, start: int, number: int) -> tuple[str, bool] | None:
    """What the camera noun phrase at ``text[start:]`` says is counted, and whether it is a bare noun."""
    tokens = _tokens(text, start)
    head = _head_at(tokens, number)
    if head is None:
        return None
    words = [t.group() for t in tokens[: head + 1] if not t.group().startswith("(")]
    words = [w for w in words if w.lower() not in ("x", "×", "+")]
    post = _post_phrase(tokens[head + 1 :])
    return " ".join(words + post), len(words) == 1 and not post


def _plausible(text: str, match: re.Match[str]) -> bool:
    """Not a year, a model or section number, or part of a reference such as 'REQ-06487'."""
    before = text[max(0, match.start() - 30) : match.start()]
    if re.search(r"[A-Za-z][\-/]$", before) or _LABEL_WORD.search(before):
        return False
    digits = match.group("digits")
    if digits and re.fullmatch(r"(?:19[5-9]|20\d)\d", digits):
        after = text[match.end() : match.end() + 3]
        return not (_YEAR_CONTEXT.search(before) or re.match(r"\s*[-–/]\s*\d", after))
    return True


def _approximate(text: str, start: int, end: int) -> bool:
    before = text[max(0, start - 40) : start]
    return bool(_APPROXIMATE_BEFORE.search(before) or _APPROXIMATE_AFTER.match(text[end : end + 20]))


def _subject_before(text: str, start: int) -> str | None:
    """'cameras under direct control of the MPS' in 'the number of cameras under ... is approximately'."""
    match = _SUBJECT.search(sentence_before(text, start))
    if not match:
        return None
    subject = strip_brackets(match.group("x"))
    return subject if _head_at(_tokens(subject, 0), 2) is not None else None


def _label_before(text: str, match: re.Match[str]) -> str | None:
    """'ANPR cameras' in 'ANPR cameras: 12'; the number must end its sentence."""
    if not re.match(r"\s*(?:\([^)]*\))?\s*(?:[.;,]|$)", text[match.end() :]):
        return None
    found = _LABEL.search(text[: match.start()])
    if not found:
        return None
    label = _LABEL_PREFIX.sub("", strip_brackets(found.group("label")))
    tokens = _tokens(label, 0)
    head = _head_at(tokens, 2)
    return label if head is not None and head == len(tokens) - 1 else None


def question_subject(question: str) -> str | None:
    """'cameras across the estate' from 'How many cameras are in list across the estate?'."""
    asked = _ASKS_HOW_MANY.search(question)
    if not asked:
        return None
    rest = strip_brackets(asked.group("rest"))
    tokens = _tokens(rest, 0)
    head = _head_at(tokens, 2)
    if head is None:
        return None
    phrase = " ".join(t.group() for t in tokens[: head + 1])
    place = _QUESTION_PLACE.search(rest, tokens[head].end())
    if place:
        obj = place.group("object").split()[:6]
        while obj and obj[-1].lower() in _STOP:
            obj.pop()
        if obj:
            phrase += f" {place.group('prep')} {' '.join(obj)}"
    return phrase


def _count_at(text: str, match: re.Match[str]) -> CameraCount | None:
    number = parse_number(match.group())
    if not 0 < number < 10_000_000 or not _plausible(text, match):
        return None
    phrase = camera_phrase(text, match.end(), number)
    subject = _subject_before(text, match.start())
    what: str | None
    if phrase and subject and phrase[1]:
        what = subject  # "the number of X is 300 cameras": X says more than "cameras"
    elif phrase:
        what = phrase[0]
    else:
        what = subject or _label_before(text, match)
    if not what:
        return None
    approximate = _approximate(text, match.start(), match.end())
    return CameraCount(number, approximate, what, snippet(text, match.start(), match.end()))


def _bare_answer(passage: Passage) -> CameraCount | None:
    """'Approximately 4000.' answering 'How many cameras...?': the question says what is counted."""
    found, question = _BARE_ANSWER.match(passage.text), passage.question
    subject = question_subject(question) if found and question else None
    if not found or not question or not subject:
        return None
    start, end = found.span("number")
    answer = snippet(passage.text, start, end)
    return CameraCount(
        parse_number(found.group("number")),
        _approximate(passage.text, start, end),
        subject,
        f"{' '.join(question.split()[:30])} {answer}",
    )


def find_camera_counts(passages: list[Passage]) -> list[CameraCount]:
    """Camera counts in the answers, in order, without repeating the same number of the same thing."""
    counts: list[CameraCount] = []
    for passage in passages:
        found = [c for m in _NUMBER.finditer(passage.text) if (c := _count_at(passage.text, m))]
        if not found:
            bare = _bare_answer(passage)
            found = [bare] if bare else []
        for count in found:
            if all((c.number, c.what.lower()) != (count.number, count.what.lower()) for c in counts):
                counts.append(count)
    return counts
