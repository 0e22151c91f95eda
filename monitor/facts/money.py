"""Money and contract dates: what was paid or is worth how much, and when contracts run.

An amount's ``what`` is what the sentence says it pays for ("spent £45k on new cameras") or else the
subject it is the value of ("The total value of FM contract is £12,301,930.00"). The s12 cost limit
(£450, £600, £25 an hour) is procedure, not spending, and is left out.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from crawler.normalise import parse_uk_date
from monitor.facts.text import Passage, clause_before, sentence_span, snippet, strip_brackets, word_table

_MONEY = re.compile(
    r"(?:£|\bGBP\s?)\s?(?P<amount>\d{1,3}(?:,\d{3})+|\d+)(?P<pence>\.\d{1,2})?"
    r"(?:\s?(?P<scale>m|mn|million|bn|billion|k|thousand)\b)?"
    r"|\b(?P<pounds>\d{1,3}(?:,\d{3})+|\d+)(?P<pounds_pence>\.\d{2})?\s+pounds\b",
    re.I,
)
_SCALES = {"k": 1_000, "thousand": 1_000, "m": 1_000_000, "mn": 1_000_000, "million": 1_000_000}
_SCALES |= {"bn": 1_000_000_000, "billion": 1_000_000_000}
_COST_LIMIT = re.compile(
    r"appropriate limit|cost limit|fees regulations|\b(?:18|24) hours\b|£25 (?:per|an) hour", re.I
)
_PER = re.compile(
    r"^\s*(?:\([^)]*\)\s*)?(?:(?:per|a|an|each)\s+(?P<unit>annum|year|month|week|day|hour|camera|unit|device)\b"
    r"|(?P<adverb>p\.?a\.?(?!\w)|annually|monthly|weekly|per calendar month|pcm\b))",
    re.I,
)
_PER_UNITS = {"annum": "year", "p.a.": "year", "pa": "year", "p.a": "year", "pa.": "year", "annually": "year"}
_PER_UNITS |= {"monthly": "month", "per calendar month": "month", "pcm": "month", "weekly": "week"}
_PAYS_FOR = re.compile(
    r"^\s*(?:\([^)]*\)\s*)?(?:per\s+\w+\s+)?(?:(?:was|were|has been|have been|had been|is|are)\s+)?"
    r"(?:(?:spent|paid|invested|allocated|budgeted|awarded)\s+)?(?:on|for|towards|to pay for)\s+"
    r"(?P<what>[^.;:\n()]{3,100})",
    re.I,
)
_NOTE = re.compile(r"^\s*\((?P<note>[^()]{3,80})\)")
_TRAILING_VERB = re.compile(
    r"\s+(?:is|was|are|were|be|been|of|at|to|totals?|totalled|amounts?|amounted|came|comes|worth"
    r"|valued|estimated|approximately|approx\.?|around|about|circa|some|over|under|up|just|nearly|almost"
    r"|roughly|in excess|in the region|total|currently|therefore|will|would|by|as|for|an?|the)$",
    re.I,
)
_SPENDING_VERB = re.compile(r"\b(?:spent|paid|invested|allocated|budgeted|received|awarded)$", re.I)
_APPROXIMATE = re.compile(
    r"(?:approximately|approx\.?|around|about|circa|c\.|roughly|some|nearly|almost|over)\s*$", re.I
)
_CLAUSE_END = re.compile(
    r"\s+(?:and|which|that|but|where|in (?:the )?(?:financial )?(?:year )?\d{4}\S*)\b.*$", re.I
)

_MONTH = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?"
    r"|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)"
)
_DATE = (
    rf"(?:\d{{1,2}}[/.\-]\d{{1,2}}[/.\-](?:\d{{4}}|\d{{2}})|\d{{4}}-\d{{2}}-\d{{2}}"
    rf"|(?:\d{{1,2}}(?:st|nd|rd|th)?\s+)?{_MONTH}\.?,?\s+\d{{4}})"
)
_RANGE = re.compile(
    rf"\b(?P<start>{_DATE})\s*(?:-{{1,2}}|–|—|\bto\b|\buntil\b|\btill\b|\bthrough\b|\band\b)\s*(?P<end>{_DATE})(?!\d)",
    re.I,
)
_SINGLE = re.compile(
    r"\b(?:(?P<starts>start(?:s|ed)?|commenc(?:ed|es|ing)|began|begins|effective|runs? from)"
    r"|(?P<ends>ends?|ended|expir(?:es|ed|y|ing)|terminat(?:es|ed|ion)|runs? (?:to|until)))"
    rf"(?:\s+date)?(?:\s+(?:on|from|of|is|was))?\s*[:\-]?\s*(?P<date>{_DATE})(?!\d)",
    re.I,
)
_CONTRACT_WORD = re.compile(
    r"\b(?:contracts?|agreements?|framework|lease|licen[cs]es?|warranty|supplier|tender\w*)\b", re.I
)
_CONTRACT_NAME = re.compile(r"\b(?:contract|agreement|framework|lease|licen[cs]e|warranty)\b", re.I)
_NOT_A_MODIFIER = frozenset(
    word_table(
        "the of a an this that our their its is was with for and within in under current existing new "
        "previous same such any each every whole total value annual cost length term dates date"
    )
)


@dataclass(frozen=True)
class MoneyAmount:
    """An amount of money in pence; ``per`` is 'year', 'month', 'camera'... when the amount is a rate."""

    amount_pence: int
    currency: str
    approximate: bool
    per: str | None
    what: str
    snippet: str

    @property
    def pounds(self) -> Decimal:
        return Decimal(self.amount_pence) / 100

    def to_dict(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.__dataclass_fields__}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> MoneyAmount:
        return cls(
            int(data["amount_pence"]),
            str(data.get("currency", "GBP")),
            bool(data["approximate"]),
            data.get("per"),
            str(data["what"]),
            str(data["snippet"]),
        )


@dataclass(frozen=True)
class ContractPeriod:
    """When a contract starts and ends; either may be unknown ('expires on 31 March 2025')."""

    start: date | None
    end: date | None
    what: str
    snippet: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "start": self.start.isoformat() if self.start else None,
            "end": self.end.isoformat() if self.end else None,
            "what": self.what,
            "snippet": self.snippet,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ContractPeriod:
        start, end = data.get("start"), data.get("end")
        return cls(
            date.fromisoformat(start) if start else None,
            date.fromisoformat(end) if end else None,
            str(data["what"]),
            str(data["snippet"]),
        )


def parse_amount_pence(match: re.Match[str]) -> int:
    """Pence in a ``_MONEY`` match: '£12,301,930.00' -> 1230193000, '£1.2m' -> 120000000."""
    digits = match.group("amount") or match.group("pounds")
    pence = match.group("pence") or match.group("pounds_pence") or ""
    value = Decimal(digits.replace(",", "") + pence)
    scale = (match.group("scale") or "").lower()
    return int(value * _SCALES.get(scale, 1) * 100)


def _per(after: str) -> str | None:
    found = _PER.match(after)
    if not found:
        return None
    word = (found.group("unit") or found.group("adverb")).lower()
    return _PER_UNITS.get(word, word)


def _subject(text: str, start: int) -> str:
    """'total value of FM contract' from 'The total value of FM contract is £...'."""
    clause = strip_brackets(clause_before(text, start))
    clause = re.split(r"\bthat\b", clause)[-1].strip()
    # "Each camera costs £850": a cost right before the amount is the verb; "the cost is £850" a noun
    clause = re.sub(r"\s+(?:costs?|costing)$", "", clause, flags=re.I)
    previous = None
    while previous != clause:
        previous, clause = clause, _TRAILING_VERB.sub("", clause).strip()
    if _SPENDING_VERB.search(clause):
        return ""  # "The council paid £45k": the subject is the payer, not what was paid for
    clause = re.sub(r"^(?:the|a|an|our|this|its|their)\s+", "", clause, flags=re.I)
    return " ".join(clause.split()[-8:])


def _money_what(text: str, match: re.Match[str]) -> str:
    after = text[match.end() :]
    pays_for = _PAYS_FOR.match(after)
    if pays_for:
        what = _CLAUSE_END.sub("", pays_for.group("what")).strip(" ,")
        if what and not what.isdigit():
            return re.sub(r"^(?:the|a|an)\s+", "", what, flags=re.I)
    what = _subject(text, match.start())
    note = _NOTE.match(after)
    if note and what:
        remark = note.group("note").strip()
        remark = remark[0].lower() + remark[1:] if remark[1:2].islower() else remark
        what += f" ({remark})"
    return what


def find_money(passages: list[Passage]) -> list[MoneyAmount]:
    """Sums of money in the answers, with what each pays for, leaving out the s12 cost limit."""
    found: list[MoneyAmount] = []
    for passage in passages:
        text = passage.text
        for match in _MONEY.finditer(text):
            left, right = sentence_span(text, match.start(), match.end())
            if _COST_LIMIT.search(text[left:right]):
                continue
            found.append(
                MoneyAmount(
                    amount_pence=parse_amount_pence(match),
                    currency="GBP",
                    approximate=bool(_APPROXIMATE.search(text[max(0, match.start() - 20) : match.start()])),
                    per=_per(text[match.end() :]),
                    what=_money_what(text, match),
                    snippet=snippet(text, match.start(), match.end()),
                )
            )
    return found


def parse_contract_date(text: str, is_end: bool = False) -> date | None:
    """A date as contracts write it; 'March 2025' is the 1st of the month, or the last when it ends."""
    day_less = re.fullmatch(rf"({_MONTH})\.?,?\s+(\d{{4}})", text.strip(), re.I)
    if day_less:
        first = parse_uk_date(f"1 {day_less.group(1)} {day_less.group(2)}")
        if first and is_end:
            return first.replace(day=calendar.monthrange(first.year, first.month)[1])
        return first
    return parse_uk_date(text)


def _contract_name(passages: list[Passage], index: int, position: int) -> str:
    """The nearest named contract before a date: 'FM contract', 'CCTV maintenance contract'."""
    for back in range(index, max(-1, index - 4), -1):
        text = strip_brackets(passages[back].text[:position] if back == index else passages[back].text)
        for name in reversed(list(_CONTRACT_NAME.finditer(text))):
            words = text[: name.start()].split()[-3:]
            modifiers: list[str] = []
            for word in reversed(words):
                if word.lower() in _NOT_A_MODIFIER or not word.isalpha():
                    break
                modifiers.insert(0, word)
            if modifiers:
                return " ".join([*modifiers, name.group().lower()])
    return "contract"


def _in_contract_context(passages: list[Passage], index: int, start: int) -> bool:
    text = passages[index].text
    left, right = sentence_span(text, start, start + 1)
    previous = passages[index - 1].text if index and left == 0 else text[:left]
    return bool(_CONTRACT_WORD.search(text[left:right]) or _CONTRACT_WORD.search(previous[-300:]))


def find_contract_periods(passages: list[Passage]) -> list[ContractPeriod]:
    """Contract start and end dates in the answers: ranges, and single 'expires on' dates."""
    periods: list[ContractPeriod] = []
    for index, passage in enumerate(passages):
        text, taken = passage.text, list[tuple[int, int]]()
        for match in _RANGE.finditer(text):
            if not _in_contract_context(passages, index, match.start()):
                continue
            taken.append(match.span())
            start, end = parse_contract_date(match["start"]), parse_contract_date(match["end"], is_end=True)
            what = _contract_name(passages, index, match.start())
            periods.append(ContractPeriod(start, end, what, snippet(text, match.start(), match.end())))
        for match in _SINGLE.finditer(text):
            if any(s <= match.start("date") < e for s, e in taken):
                continue
            if not _in_contract_context(passages, index, match.start()):
                continue
            when = parse_contract_date(match["date"], is_end=bool(match["ends"]))
            start, end = (None, when) if match["ends"] else (when, None)
            what = _contract_name(passages, index, match.start())
            periods.append(ContractPeriod(start, end, what, snippet(text, match.start(), match.end())))
    return periods
