"""Problems of a crawl run, in words: what failed, where, and (for a response) which one."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.clock import utcnow
from storage.models import CrawlRun, RunProblem


@dataclass(frozen=True)
class ProblemRecord:
    stage: str
    url: str | None
    cause: str
    response_id: int | None = None


def record_problems(session: Session, run_id: int, problems: Iterable[ProblemRecord]) -> None:
    now = utcnow()
    for problem in problems:
        session.add(
            RunProblem(
                run_id=run_id,
                stage=problem.stage,
                url=problem.url,
                cause=problem.cause[:2000],
                response_id=problem.response_id,
                created_at=now,
            )
        )
    session.flush()


def problems_of_run(session: Session, run_id: int, stage: str | None = None) -> list[RunProblem]:
    query = select(RunProblem).where(RunProblem.run_id == run_id).order_by(RunProblem.id)
    if stage:
        query = query.where(RunProblem.stage == stage)
    return list(session.scalars(query))


def summarise(problems: Iterable[RunProblem], limit: int = 3) -> str:
    """``"2 page problems: HTTP 503 at ...; timed out after 30 s at ..."``: for tables and alerts."""
    rows = list(problems)
    if not rows:
        return ""
    stages = sorted({p.stage for p in rows})
    head = f"{len(rows)} {'/'.join(stages)} problem{'s' if len(rows) != 1 else ''}"
    causes = list(dict.fromkeys(p.cause for p in rows))
    more = f" (+{len(causes) - limit} more)" if len(causes) > limit else ""
    return f"{head}: {'; '.join(causes[:limit])}{more}"


# Exception class names (Twisted's, Scrapy's, Python's) as a person would say them. Causes are
# written in words when recorded; these catch a class name that slipped through, or older rows.
_EXCEPTION_WORDS = {
    "DNSLookupError": "DNS lookup failed",
    "CannotResolveHostError": "DNS lookup failed",
    "TimeoutError": "timed out",
    "TCPTimedOutError": "timed out",
    "DownloadTimeoutError": "timed out",
    "ConnectionRefusedError": "connection refused",
    "DownloadConnectionRefusedError": "connection refused",
    "ConnectionLost": "connection lost before the page was complete",
    "ConnectionDone": "connection lost before the page was complete",
    "ResponseNeverReceived": "connection lost before the page was complete",
    "ResponseFailed": "connection lost before the page was complete",
    "ResponseDataLossError": "connection lost before the page was complete",
    "SSLError": "the secure (https) connection failed",
    "OpenSSLError": "the secure (https) connection failed",
    "ConnectError": "connection failed",
    "DownloadFailedError": "download failed",
    "IgnoreRequest": "not fetched",
    "MemoryError": "out of memory",
}
_EXCEPTION = re.compile(
    r"^(?:<class ')?(?:[A-Za-z_][\w]*\.)*"
    r"(?P<name>[A-Z]\w*(?:Error|Exception|Lost|Done|Received|Failed|Failure))"
    r"(?:'>)?(?::\s*(?P<message>.*))?$",
    re.S,
)
_DNS_HOST = re.compile(r"(?:address '|for |host )(?P<host>[\w.-]+\.[a-z]{2,})", re.I)
_START_PAGE = "the start page could not be fetched"
_AT_URL = re.compile(r"^(?P<what>.+?) at (?:https?|ftp)://\S+$", re.S)
_EXIT = re.compile(r"^crawler process exited with status (?P<code>-?\d+)$")


def _without_class_name(text: str) -> str:
    match = _EXCEPTION.match(text.strip())
    if not match:
        return text.strip()
    name, message = match.group("name"), (match.group("message") or "").strip()
    words = _EXCEPTION_WORDS.get(name)
    if words == "DNS lookup failed":
        host = _DNS_HOST.search(message)
        return f"{words} for {host.group('host')}" if host else words
    if words:
        return f"{words}: {message}" if message and words in ("not fetched", "download failed") else words
    return message or "an unexpected error (see the crawl log)"


def _part_in_words(part: str) -> str:
    part = part.strip()
    if part == _START_PAGE:
        return part
    if part.startswith(_START_PAGE + ": "):
        inner = _without_class_name(part.removeprefix(_START_PAGE + ": "))
        at = _AT_URL.match(inner)
        # The start page is named by the source already: "HTTP 404 on the start page".
        return f"{at.group('what')} on the start page" if at else inner
    exited = _EXIT.match(part)
    if exited:
        code = int(exited.group("code"))
        return (
            f"the crawl process was killed (signal {-code})"
            if code < 0
            else (f"the crawl process failed (exit status {code}); see its log")
        )
    head, colon, rest = part.partition(": ")
    if colon and _EXCEPTION.match(rest) and not _EXCEPTION.match(part):
        return f"{head}: {_without_class_name(rest)}"  # "the diff failed ...: ValueError: x"
    return _without_class_name(part)


def cause_in_words(cause: str | None) -> str | None:
    """A recorded cause as a person reads it: never a Python class name or repr.

    ``"the start page could not be fetched: HTTP 404 at https://x/log/"`` is ``"HTTP 404 on the
    start page"``; ``"twisted.internet.error.DNSLookupError: DNS lookup failed: address 'x.uk' not
    found"`` is ``"DNS lookup failed for x.uk"``. A process exit status that only follows from a
    cause already given is left out. None or blank gives None.
    """
    if not cause or not cause.strip():
        return None
    parts = [_part_in_words(p) for p in cause.split("; ") if p.strip()]
    if len(parts) > 1:
        parts = [p for p in parts if not p.startswith("the crawl process failed")] or parts
    return "; ".join(dict.fromkeys(parts))


def run_cause(session: Session, run: CrawlRun) -> str | None:
    """Why a run failed or was judged bad, in words: its own failure first, else its health verdict,
    else the problems it met (pages that could not be read); None for a clean run."""
    for recorded in (run.error_summary, run.health_problem):
        words = cause_in_words(recorded)
        if words:
            return words
    return cause_in_words(summarise(problems_of_run(session, run.id))) if run.errors else None
