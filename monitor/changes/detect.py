"""What a crawl run changed, and what that means for subscribers.

``diff_snapshots`` is a pure function of two snapshots. ``record_changes`` applies it to a stored
run and, in the same transaction, classifies the new and changed versions and writes the outbox
rows, so a crash can never leave a change recorded without its notifications (or the reverse).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field, replace

from sqlalchemy import select
from sqlalchemy.orm import Session

from monitor.classify import TopicClassifier, Verdict
from monitor.facts.extract import Facts
from monitor.facts.store import facts_for, store_facts
from monitor.notify.messages import render_message
from storage.clock import utcnow
from storage.models import CrawlRun, ResponseVersion, Subscriber
from storage.outbox import OutgoingMessage, active_subscribers, enqueue
from storage.problems import ProblemRecord, record_problems
from storage.records import SnapshotEntry, TopicVerdict
from storage.responses import (
    absent_since,
    list_versions,
    listed_in_run,
    mark_withdrawn,
    preload_versions,
    save_topic_matches,
    snapshot_before,
    snapshot_of_run,
    unassessed_versions,
)
from storage.search import refresh_index, stale_responses

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RunDiff:
    new: list[SnapshotEntry] = field(default_factory=list)
    changed: list[SnapshotEntry] = field(default_factory=list)
    withdrawn: list[SnapshotEntry] = field(default_factory=list)


def diff_snapshots(
    before: Mapping[str, SnapshotEntry], after: Mapping[str, SnapshotEntry], complete: bool
) -> RunDiff:
    """New, changed and withdrawn responses between two snapshots keyed by response key.

    Withdrawals are only inferred from a complete crawl: an incremental or interrupted one did
    not look at every response, and a response it did not see may still be published.
    """
    new = [entry for key, entry in after.items() if key not in before]
    changed = [
        entry
        for key, entry in after.items()
        if key in before and before[key].content_hash != entry.content_hash
    ]
    withdrawn = [entry for key, entry in before.items() if key not in after] if complete else []
    return RunDiff(new=new, changed=changed, withdrawn=withdrawn)


def is_baseline(session: Session, run: CrawlRun) -> bool:
    """Runs up to and including a source's first successful one make its silent baseline.

    The log as it stood when foiwatch first read it whole is history, not news. A run that failed
    or was cut short before that (an empty abandoned run, say) must not become the baseline, or
    the whole backlog would be announced by the next run.
    """
    earlier = session.scalars(
        select(CrawlRun.id).where(
            CrawlRun.source_id == run.source_id,
            CrawlRun.id < run.id,
            CrawlRun.diffed.is_(True),
            CrawlRun.status == "succeeded",
        )
    ).first()
    return earlier is None


@dataclass(frozen=True)
class Assessment:
    """What the classifiers and the fact extractor make of one version (computed, not yet stored)."""

    verdicts: dict[str, Verdict]
    facts: Facts | None


def assess(version: ResponseVersion, classifiers: Mapping[str, TopicClassifier]) -> Assessment:
    """Classify one version and read its facts; pure, so one odd response cannot spoil a transaction."""
    # Councils often publish only a letter: what its text says counts as the response.
    letters = "\n".join(a.text for a in version.attachments if a.text)
    response_text = f"{version.response_text}\n{letters}" if letters else version.response_text
    verdicts = {
        name: classifier.classify(version.title, version.request_text, response_text)
        for name, classifier in classifiers.items()
    }
    return Assessment(verdicts, facts_for(version, verdicts))


def _save(
    session: Session,
    version: ResponseVersion,
    assessment: Assessment,
    classifiers: Mapping[str, TopicClassifier],
) -> None:
    verdicts = [
        TopicVerdict(name, classifiers[name].version, v.matched, v.score, tuple(v.terms), tuple(v.snippets))
        for name, v in assessment.verdicts.items()
    ]
    save_topic_matches(version, verdicts)
    if assessment.facts is not None:
        store_facts(session, version, assessment.facts)


def reclassify(session: Session, classifiers: Mapping[str, TopicClassifier]) -> dict[str, int]:
    """Score every stored response's current version again; nobody is notified about old responses.

    Returns how many versions now match each topic. Verdicts are recorded per classifier version,
    so the earlier ones stay as history. A version that cannot be scored is logged and skipped.
    """
    counts = dict.fromkeys(classifiers, 0)
    for version in list_versions(session):
        try:
            assessment = assess(version, classifiers)
        except Exception:
            log.exception("response %s could not be classified; skipped", version.response_id)
            continue
        _save(session, version, assessment, classifiers)
        for name, verdict in assessment.verdicts.items():
            counts[name] += verdict.matched
    refresh_index(session)
    return counts


def _mentions(version: ResponseVersion, terms: list[str]) -> bool:
    text = " ".join((version.title, version.request_text, version.response_text)).lower()
    return any(" ".join(term.lower().split()) in " ".join(text.split()) for term in terms)


def _followed_verdict(
    subscriber: Subscriber,
    run: CrawlRun,
    version: ResponseVersion,
    event: str,
    verdicts: Mapping[str, Verdict],
    notify_changed: bool,
) -> Verdict | None:
    """The verdict a subscriber is told about, or None when its filters leave this event out."""
    if subscriber.muted_until is not None and subscriber.muted_until > utcnow():
        return None
    if event == "changed" and not (subscriber.updates or notify_changed):
        return None
    if subscriber.authorities and version.authority not in subscriber.authorities:
        return None
    if subscriber.sources and run.source_id not in subscriber.sources:
        return None
    if subscriber.terms and not _mentions(version, subscriber.terms):
        return None
    followed = [verdicts[t] for t in subscriber.topics if t in verdicts and verdicts[t].matched]
    return max(followed, key=lambda v: v.score) if followed else None


def _previous(version: ResponseVersion) -> ResponseVersion | None:
    """The version of the same response stored before this one, if any."""
    earlier = [v for v in version.response.versions if v.id < version.id]
    return earlier[-1] if earlier else None


def _messages(
    session: Session,
    run: CrawlRun,
    version: ResponseVersion,
    event: str,
    assessment: Assessment,
    notify_changed: bool,
) -> list[OutgoingMessage]:
    """The outbox rows this event makes, one per subscriber it concerns (rendered, not yet queued)."""
    messages = []
    facts = assessment.facts.summary() if assessment.facts is not None else []
    for subscriber in active_subscribers(session):
        verdict = _followed_verdict(subscriber, run, version, event, assessment.verdicts, notify_changed)
        if verdict is None:
            continue
        rendered = render_message(
            version, verdict, event, facts, _previous(version) if event != "new" else None
        )
        messages.append(
            OutgoingMessage(
                subscriber_id=subscriber.id,
                # One message per subscriber per response: a re-crawl or a retry never repeats it.
                event_key=f"{event}:{version.response_id}" if event == "new" else f"{event}:{version.id}",
                event=event,
                topic=verdict.topic,
                title=rendered.title,
                body=rendered.text,
                body_html=rendered.html,
                held=subscriber.cadence != "immediate",
                response_id=version.response_id,
                version_id=version.id,
                run_id=run.id,
            )
        )
    return messages


def _process(
    session: Session,
    run: CrawlRun,
    version: ResponseVersion,
    event: str,
    classifiers: Mapping[str, TopicClassifier],
    notify: bool,
    notify_changed: bool,
) -> int | None:
    """Assess, store and queue one event; None (with the cause recorded) when it could not be assessed.

    Everything that can trip over an odd response (classifying, facts, rendering) happens before
    anything is written, so a failure leaves the rest of the run's diff untouched.
    """
    try:
        assessment = assess(version, classifiers)
        messages = _messages(session, run, version, event, assessment, notify_changed) if notify else []
    except Exception as exc:
        log.exception("run %s: response %s could not be assessed", run.id, version.response_id)
        cause = f"could not be classified: {type(exc).__name__}: {exc}"[:500]
        record_problems(session, run.id, [ProblemRecord("classify", version.url, cause, version.response_id)])
        return None
    _save(session, version, assessment, classifiers)
    return sum(enqueue(session, message) for message in messages)


def _retry_unassessed(
    session: Session,
    run: CrawlRun,
    classifiers: Mapping[str, TopicClassifier],
    skip: set[int],
    notify_changed: bool,
) -> int:
    """Versions of earlier runs whose assessment failed get another go; their event is queued now."""
    if not classifiers:
        return 0
    queued = 0
    for version in unassessed_versions(session, run.source_id, run.id):
        if version.id in skip:
            continue
        first = session.get(CrawlRun, version.first_run_id) if version.first_run_id else None
        notify = first is not None and not is_baseline(session, first)
        event = "new" if version.response.versions[0].id == version.id else "changed"
        done = _process(session, run, version, event, classifiers, notify, notify_changed)
        queued += done or 0
    return queued


# A run that would withdraw more than this share of a log (and more than a handful) is more likely
# a listing gone wrong than a mass withdrawal: it needs a second complete run to confirm it.
MASS_WITHDRAWAL_SHARE = 0.2
MASS_WITHDRAWAL_MIN = 5


def _confirmed_withdrawals(
    session: Session, run: CrawlRun, candidates: list[SnapshotEntry], live: int
) -> list[SnapshotEntry]:
    """The withdrawals to record now: all of them, unless there are suspiciously many; then only
    those the previous complete run had already stopped seeing, the rest held (and said so)."""
    if len(candidates) <= max(MASS_WITHDRAWAL_MIN, MASS_WITHDRAWAL_SHARE * live):
        return candidates
    previous = session.scalars(
        select(CrawlRun.id)
        .where(
            CrawlRun.source_id == run.source_id,
            CrawlRun.id < run.id,
            CrawlRun.status == "succeeded",
            CrawlRun.complete.is_(True),
        )
        .order_by(CrawlRun.id.desc())
    ).first()
    missing_before = (
        set() if previous is None else absent_since(session, [c.response_id for c in candidates], previous)
    )
    confirmed = [c for c in candidates if c.response_id in missing_before]
    held = len(candidates) - len(confirmed)
    if held:
        cause = (
            f"{len(candidates)} of {live} responses are missing from the listing: {held} not marked "
            "withdrawn until the next complete crawl confirms it (a listing gone wrong looks the same)"
        )
        record_problems(session, run.id, [ProblemRecord("withdrawal", None, cause)])
        log.warning("run %s of %s: %s", run.id, run.source_id, cause)
    return confirmed


def _refresh_search(session: Session, run: CrawlRun, assessed: set[int]) -> None:
    """Bring the search index up to date for this source; a failure here never undoes the diff.

    Besides the responses just assessed, any whose index row is behind (an earlier failure, a
    crash between storing and diffing) is rebuilt, so the index heals itself on the next run.
    """
    try:
        with session.begin_nested():
            refresh_index(session, sorted(assessed | set(stale_responses(session, run.source_id))))
    except Exception:
        log.exception("run %s of %s: the search index could not be updated", run.id, run.source_id)


def record_changes(
    session: Session, run: CrawlRun, classifiers: Mapping[str, TopicClassifier], notify_changed: bool = False
) -> RunDiff:
    """Diff ``run`` against the source's earlier state, classify, and queue notifications.

    A response that cannot be classified is recorded as a problem of the run and tried again at
    the source's next diff; the rest of the diff goes ahead.
    """
    before = snapshot_before(session, run.source_id, run.id)
    after = snapshot_of_run(session, run.source_id, run.id)
    later = session.scalars(
        select(CrawlRun.id).where(CrawlRun.source_id == run.source_id, CrawlRun.id > run.id)
    ).first()
    # Only the source's latest run can tell what is missing from the log now.
    complete = run.complete and run.status == "succeeded" and later is None
    diff = diff_snapshots(before, after, complete=complete)
    # A response the listing still names is not withdrawn, whatever happened to its page.
    still_listed = listed_in_run(session, run.source_id, run.id)
    diff = replace(diff, withdrawn=[e for e in diff.withdrawn if e.response_id not in still_listed])
    diff = replace(diff, withdrawn=_confirmed_withdrawals(session, run, diff.withdrawn, len(before)))
    baseline = is_baseline(session, run)
    queued, failed = 0, set()
    loaded = preload_versions(session, [entry.version_id for entry in diff.new + diff.changed])
    for event, entries in (("new", diff.new), ("changed", diff.changed)):
        for entry in entries:
            version = loaded[entry.version_id]
            done = _process(session, run, version, event, classifiers, not baseline, notify_changed)
            if done is None:
                failed.add(version.id)
            queued += done or 0
    # Verdicts and facts are written together here (a failure fails the diff, as one per version did).
    session.flush()
    retried = {v.response_id for v in unassessed_versions(session, run.source_id, run.id)}
    queued += _retry_unassessed(session, run, classifiers, failed, notify_changed)
    mark_withdrawn(session, [entry.response_id for entry in diff.withdrawn])
    _refresh_search(session, run, {e.response_id for e in diff.new + diff.changed} | retried)
    run.new_count, run.changed_count, run.withdrawn_count = (
        len(diff.new),
        len(diff.changed),
        len(diff.withdrawn),
    )
    run.diffed = True
    # At INFO the crawl's own end line says as much (monitor.service.crawls); this adds the messages.
    log.debug(
        "run %s of %s: %d new, %d changed, %d withdrawn, %d notifications%s%s",
        run.id,
        run.source_id,
        len(diff.new),
        len(diff.changed),
        len(diff.withdrawn),
        queued,
        " (baseline: nobody notified)" if baseline else "",
        f"; {len(failed)} could not be classified" if failed else "",
    )
    return diff
