"""Canonical authority names, so one body is one name whichever page or feed named it."""

from __future__ import annotations

import re

# Alias (lower case, punctuation-free) -> canonical name. Only well-known variants are listed;
# everything else is tidied (spacing, "The", "&") but kept as the source wrote it.
_ALIASES = {
    "mps": "Metropolitan Police Service",
    "met police": "Metropolitan Police Service",
    "metropolitan police": "Metropolitan Police Service",
    "the metropolitan police service": "Metropolitan Police Service",
    "ons": "Office for National Statistics",
    "tfl": "Transport for London",
    "tna": "The National Archives",
    "national archives": "The National Archives",
    "cambridge city council": "Cambridge City Council",
    "3c shared services": "Cambridge City Council",
    "huntingdonshire dc": "Huntingdonshire District Council",
    "hastings bc": "Hastings Borough Council",
    "london borough of barnet": "Barnet Council",
    "barnet london borough council": "Barnet Council",
    "london borough of camden": "Camden Council",
    "the moray council": "Moray Council",
    "psni": "Police Service of Northern Ireland",
    "police scotland": "Police Scotland",
}
_KEEP_THE = {"the national archives"}


def canonical_authority(name: str) -> str:
    """'the  Metropolitan Police' -> 'Metropolitan Police Service'; unknown names tidied only."""
    tidy = " ".join(name.replace("\u00a0", " ").split()).strip(" .,;:")
    key = re.sub(r"[^\w\s]", "", tidy.replace("&", "and")).lower()
    key = " ".join(key.split())
    if key in _ALIASES:
        return _ALIASES[key]
    if key.startswith("the ") and key not in _KEEP_THE and key[4:] in _ALIASES:
        return _ALIASES[key[4:]]
    return tidy
