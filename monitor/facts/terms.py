"""Vendors and camera types named in a response, by tables of canonical names and their wordings.

An alias written in lower case matches in any case; one with capitals matches only as written
("UNV", "i-PRO"), because in lower case it is an ordinary word. Words of an alias may be joined by
spaces, hyphens or nothing: "hik vision" matches "Hikvision", "Hik-Vision" and "HIK VISION".
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import cache

from monitor.facts.text import Passage, clause_after, clause_before

# Canonical name -> aliases. A rebadge or sub-brand (HiLook, Ezviz, Imou) counts as its maker, so a
# query for Hikvision finds it; a company bought by another (Pyronix, Avigilon, Edesix) keeps its name.
VENDORS: dict[str, tuple[str, ...]] = {
    # cameras and recorders
    "Hikvision": ("hik vision", "hilook", "hiwatch", "ezviz"),
    "Dahua": ("dahua", "imou"),
    "Hanwha Vision": ("hanwha", "wisenet", "samsung techwin"),
    "Axis Communications": ("axis communications", "axis cameras", "axis camera", "axis cctv"),
    "Bosch": ("bosch",),
    "Avigilon": ("avigilon",),
    "Pelco": ("pelco",),
    "Honeywell": ("honeywell",),
    "Panasonic": ("panasonic",),
    "i-PRO": ("i-PRO",),
    "Sony": ("sony",),
    "Vivotek": ("vivotek",),
    "Uniview": ("uniview", "UNV"),
    "Mobotix": ("mobotix",),
    "Vicon": ("vicon",),
    "Dedicated Micros": ("dedicated micros",),
    "Verkada": ("verkada",),
    "Lorex": ("lorex",),
    "Reolink": ("reolink",),
    "Swann": ("swann security", "swann cameras", "swann cctv"),
    "Ring": ("ring doorbell", "ring doorbells", "ring video doorbell"),
    "Pyronix": ("pyronix",),
    # video management and analytics
    "Milestone Systems": ("milestone systems", "milestone xprotect", "xprotect"),
    "Genetec": ("genetec", "autovu"),
    "Synectics": ("synectics",),
    "IndigoVision": ("indigo vision",),
    "Wavestore": ("wavestore",),
    "Veracity": ("veracity",),
    "Qognify": ("qognify",),
    "BriefCam": ("briefcam",),
    "Eagle Eye Networks": ("eagle eye networks",),
    # body-worn video
    "Axon": ("axon",),
    "Motorola Solutions": ("motorola",),
    "Edesix": ("edesix", "videobadge"),
    "WatchGuard": ("watchguard video",),
    "Reveal Media": ("reveal media", "revealmedia"),
    "Pinnacle Response": ("pinnacle response",),
    "Zepcam": ("zepcam",),
    "Hytera": ("hytera",),
    # number plate recognition
    "Jenoptik": ("jenoptik", "vysionics"),
    "Neology": ("neology", "pips technology"),
    "Kapsch": ("kapsch",),
    "Siemens": ("siemens",),
    "Tattile": ("tattile",),
    "Videalert": ("videalert",),
    # facial recognition
    "NEC": ("neoface", "NEC Corporation", "NEC Software Solutions"),
    "Idemia": ("idemia",),
    "Cognitec": ("cognitec",),
    "Facewatch": ("facewatch",),
    "Corsight": ("corsight",),
    "Clearview AI": ("clearview ai",),
    "Oosto": ("oosto", "anyvision"),
    "Paravision": ("paravision",),
    "Digital Barriers": ("digital barriers",),
    "Amazon Rekognition": ("rekognition",),
}

CAMERA_TYPES = (
    "static",
    "PTZ",
    "ANPR",
    "body-worn video",
    "live facial recognition",
    "retrospective facial recognition",
    "facial recognition",
    "covert",
    "mobile/redeployable",
    "dome",
    "thermal",
    "internal",
    "public space",
)
_CAMERA = r"(?:cameras?|cctv|units?|devices?|ptz|domes?)"
# Longer wordings first: "live facial recognition" claims its words before "facial recognition".
# A qualifier claims only its own word ("fixed" in "fixed and PTZ cameras"), leaving the rest to others.
_TYPE_PATTERNS: tuple[tuple[str, str], ...] = (
    ("live facial recognition", r"\blive facial recognition\b|\bLFR\b|real[- ]time facial recognition"),
    ("retrospective facial recognition", r"\bretrospective facial recognition\b|\bRFR\b"),
    ("facial recognition", r"\bfacial recognition\b|\bface recognition\b"),
    (
        "static",
        rf"\b(?:static|fixed(?:[- ]position)?)(?=\s+(?:(?:and|or|&|/)\s+)?(?:[\w-]+\s+){{0,2}}?{_CAMERA}\b"
        r"|\s+(?:and|or|&|/)\s+(?:PTZ|pan)\b)",
    ),
    ("PTZ", r"\bPTZ\b|\bpan[-,/ ]+tilt[-,/ ]+(?:and\s+)?zoom\b"),
    ("ANPR", r"\bANPR\b|\bALPR\b|\bautomatic number[- ]plate recognition\b|\blicen[cs]e plate recognition\b"),
    ("body-worn video", r"\bBWV\b|\bbody[- ]?worn\b|\bbody[- ]?cams?\b"),
    ("covert", r"\bcovert\b"),
    (
        "mobile/redeployable",
        r"\bre-?deployable\b|\brapid[- ]deployment\b|\bmobile (?:cctv|cameras?|camera vans?)\b"
        r"|\btemporary (?:cctv|cameras?)\b|\bcctv vans?\b|\bdeployable cameras?\b",
    ),
    ("dome", r"\bdomes?\b"),
    ("thermal", r"\bthermal\b"),
    ("internal", rf"\b(?:internal|indoor)(?=\s+(?:[\w-]+\s+){{0,2}}?{_CAMERA}\b)"),
    (
        "public space",
        r"\bpublic[- ]space\b|\bpublic (?:cctv|cameras?)\b|\btown[- ]centre (?:cctv|cameras?)\b",
    ),
)
_NEGATION = re.compile(r"\b(?:not|no|never|neither|nor|none|don't|doesn't|didn't|cannot)\b", re.I)
_DENIED_AFTER = re.compile(
    r"\b(?:is|are|was|were|has|have|had|do|does)\s+(?:not|never)\b|\b(?:isn't|aren't|wasn't|weren't)\b", re.I
)


def _alias_pattern(alias: str) -> str:
    words = [re.escape(word) for word in re.split(r"[\s\-]+", alias) if word]
    body = r"[\s\-]*".join(words)
    return body if alias.islower() else f"(?-i:{body})"


@cache
def _vendor_patterns() -> list[tuple[str, re.Pattern[str]]]:
    patterns = []
    for name, aliases in VENDORS.items():
        alternatives = "|".join(_alias_pattern(alias) for alias in aliases)
        patterns.append((name, re.compile(rf"(?<![\w-])(?:{alternatives})(?![\w-])", re.I)))
    return patterns


def _first_word(alias: str) -> str:
    return re.split(r"[\s\-]+", alias.strip())[0]


@cache
def _vendor_clues() -> list[tuple[str, re.Pattern[str], tuple[str, ...], tuple[str, ...]]]:
    """Each vendor's pattern with the first words of its aliases: folded (aliases matched in any
    case) and as written (the others). A text holding none of them cannot match the pattern."""
    clues = []
    for (name, pattern), aliases in zip(_vendor_patterns(), VENDORS.values(), strict=True):
        folded = tuple(_fold(_first_word(a)) for a in aliases if a.islower())
        written = tuple(_first_word(a) for a in aliases if not a.islower())
        clues.append((name, pattern, folded, written))
    return clues


def _fold(text: str) -> str:
    """``text`` in a case where a letter matches every letter ``re.IGNORECASE`` matches it with
    (casefold makes "ſ" an "s"; Turkish dotted and dotless i are folded to "i" by hand)."""
    return text.casefold().replace("i\u0307", "i").replace("\u0131", "i")


def find_vendors(text: str) -> list[str]:
    """Canonical names of the vendors ``text`` names, in order of first mention, no repeats.

    Each vendor's pattern is searched only in a text holding the first word of one of its aliases:
    a substring test costs a fraction of a pattern search that starts with a look-behind.
    """
    folded = _fold(text)
    first: dict[str, int] = {}
    for name, pattern, any_case, as_written in _vendor_clues():
        if not any(w in folded for w in any_case) and not any(w in text for w in as_written):
            continue
        match = pattern.search(text)
        if match:
            first[name] = match.start()
    return sorted(first, key=lambda name: first[name])


def canonical_vendor(name: str) -> str | None:
    """The canonical name of a vendor as a person types it ('hikvision', 'HiLook', 'axis'), or None."""
    wanted = " ".join(name.split())
    if not wanted:
        return None
    for canonical, pattern in _vendor_patterns():
        if wanted.lower() == canonical.lower() or pattern.fullmatch(wanted):
            return canonical
    # "axis", "milestone": the first word of one canonical name
    starting = [c for c in VENDORS if c.lower().split()[0] == wanted.lower()]
    return starting[0] if len(starting) == 1 else None


# For each camera type, words one of which every match of its pattern holds, folded (``_fold``): a
# passage holding none of them is not searched (a search costs about 25 us a passage, a look-up 1).
_TYPE_CUES: dict[str, tuple[str, ...]] = {
    "live facial recognition": ("facial", "lfr"),
    "retrospective facial recognition": ("facial", "rfr"),
    "facial recognition": ("recognition",),
    "static": ("static", "fixed"),
    "PTZ": ("ptz", "pan"),
    "ANPR": ("anpr", "alpr", "plate"),
    "body-worn video": ("bwv", "body"),
    "covert": ("covert",),
    "mobile/redeployable": ("deploy", "mobile", "temporary", "van"),
    "dome": ("dome",),
    "thermal": ("thermal",),
    "internal": ("internal", "indoor"),
    "public space": ("public", "town"),
}


@cache
def _type_patterns() -> list[tuple[str, re.Pattern[str], tuple[str, ...]]]:
    return [(name, re.compile(pattern, re.I), _TYPE_CUES[name]) for name, pattern in _TYPE_PATTERNS]


def _negated(text: str, position: int) -> bool:
    """Whether its clause denies the mention: 'we do not use ANPR', 'LFR is not used'."""
    before, after = clause_before(text, position), clause_after(text, position)
    return bool(_NEGATION.search(before) or _DENIED_AFTER.search(after))


def find_camera_types(passages: list[Passage]) -> list[str]:
    """Camera types the answers speak of (not deny), from ``CAMERA_TYPES``, in order of first mention."""
    return camera_types(passages, _cued_patterns)


def _cued_patterns(text: str) -> list[tuple[str, re.Pattern[str]]]:
    """The camera-type patterns worth searching ``text`` for: those with a cue word in it."""
    folded = _fold(text)
    return [(name, pattern) for name, pattern, cues in _type_patterns() if any(cue in folded for cue in cues)]


def camera_types(
    passages: list[Passage], searched: Callable[[str], list[tuple[str, re.Pattern[str]]]]
) -> list[str]:
    """``find_camera_types`` searching each passage for the (name, pattern) pairs ``searched`` gives,
    in ``CAMERA_TYPES``'s order: a mention claimed by one type is not another's."""
    first: dict[str, tuple[int, int]] = {}
    for index, passage in enumerate(passages):
        claimed: list[tuple[int, int]] = []
        for name, pattern in searched(passage.text):
            for match in pattern.finditer(passage.text):
                if any(match.start() < e and s < match.end() for s, e in claimed):
                    continue
                claimed.append((match.start(), match.end()))
                if name not in first and not _negated(passage.text, match.start()):
                    first[name] = (index, match.start())
    return sorted(first, key=lambda name: first[name])
