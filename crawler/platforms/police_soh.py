"""Police forces on the "Single Online Home" site shell: which links are responses.

Response pages themselves are read by the generic label-and-heading reader in ``page``.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from crawler.platforms.listing import is_attachment


def soh_prefix(start_url: str) -> str:
    """'/foi-ai/<force>/' for a start URL on the Single Online Home, else the start URL's folder."""
    path = urlsplit(start_url).path
    if re.match(r"^/foi-ai/af/", path, re.I):
        # The shared "accessing information" search lists every force's pages.
        return "/foi-ai/"
    match = re.match(r"^(/foi-ai/[^/]+/)", path, re.I)
    if match:
        return match.group(1).lower()
    return path.rsplit("/", 1)[0].lower() + "/"


def is_response_link(url: str, start_url: str) -> bool:
    """A link that may lead to a response page of the same force's log."""
    parts, start = urlsplit(url), urlsplit(start_url)
    path = parts.path.lower()
    if parts.netloc.lower() != start.netloc.lower() or parts.query or is_attachment(url):
        return False
    if not path.startswith(soh_prefix(start_url)):
        return False
    listing = start.path.lower().rstrip("/")
    trimmed = path.rstrip("/")
    if trimmed == listing or listing.startswith(trimmed + "/"):
        return False
    return len([part for part in trimmed.split("/") if part]) >= 4
