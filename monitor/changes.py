"""What a crawl run changed, and what that means for subscribers.

``diff_snapshots`` is a pure function of two snapshots. ``record_changes`` applies it to a stored
run and, in the same transaction, classifies the new and changed versions and writes the outbox
rows, so a crash can never leave a change recorded without its notifications (or the reverse).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from monitor.classify import TopicClassifier, Verdict
from monitor.factstore import extract_and_store_facts, fact_lines
from monitor.messages import render_message
from storage.clock import utcnow
from storage.models import CrawlRun, ResponseVersion, Subscriber
from storage.outbox import OutgoingMessage, active_subscribers, enqueue
from storage.records import SnapshotEntry
from storage.responses import (
    list_versions,
    mark_withdrawn,
    save_topic_match,
    snapshot_before,
    snapshot_of_run,
)

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
    """The first run of a source that got as far as a diff is a silent baseline."""
    earlier = session.scalars(
        select(CrawlRun.id).where(
            CrawlRun.source_id == run.source_id, CrawlRun.id < run.id, CrawlRun.diffed.is_(True)
        )
    ).first()
    return earlier is None


def _classify(
    session: Session, version: ResponseVersion, classifiers: Mapping[str, TopicClassifier]
) -> dict[str, Verdict]:
    verdicts = {}
    for name, classifier in classifiers.items():
        # Councils often publish only a letter: what its text says counts as the response.
        letters = "\n".join(a.text for a in version.attachments if a.text)
        response_text = f"{version.response_text}\n{letters}" if letters else version.response_text
        verdict = classifier.classify(version.title, version.request_text, response_text)
        save_topic_match(
            session,
            version.id,
            name,
            verdict.matched,
            verdict.score,
            verdict.terms,
            verdict.snippets,
            classifier.version,
        )
        verdicts[name] = verdict
    return verdicts


def reclassify(session: Session, classifiers: Mapping[str, TopicClassifier]) -> dict[str, int]:
    """Score every stored response's current version again; nobody is notified about old responses.

    Returns how many versions now match each topic. Verdicts are recorded per classifier version,
    so the earlier ones stay as history.
    """
    counts = dict.fromkeys(classifiers, 0)
    for version in list_versions(session):
        verdicts = _classify(session, version, classifiers)
        extract_and_store_facts(session, version, verdicts)
        for name, verdict in verdicts.items():
            counts[name] += verdict.matched
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


def _enqueue_for_subscribers(
    session: Session,
    run: CrawlRun,
    version: ResponseVersion,
    event: str,
    verdicts: Mapping[str, Verdict],
    notify_changed: bool = False,
) -> int:
    queued = 0
    for subscriber in active_subscribers(session):
        verdict = _followed_verdict(subscriber, run, version, event, verdicts, notify_changed)
        if verdict is None:
            continue
        rendered = render_message(version, verdict, event, fact_lines(session, version.id))
        message = OutgoingMessage(
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
        queued += enqueue(session, message)
    return queued


def record_changes(
    session: Session, run: CrawlRun, classifiers: Mapping[str, TopicClassifier], notify_changed: bool = False
) -> RunDiff:
    """Diff ``run`` against the source's earlier state, classify, and queue notifications."""
    before = snapshot_before(session, run.source_id, run.id)
    after = snapshot_of_run(session, run.source_id, run.id)
    later = session.scalars(
        select(CrawlRun.id).where(CrawlRun.source_id == run.source_id, CrawlRun.id > run.id)
    ).first()
    # Only the source's latest run can tell what is missing from the log now.
    complete = run.complete and run.status == "succeeded" and later is None
    diff = diff_snapshots(before, after, complete=complete)
    baseline = is_baseline(session, run)
    queued = 0
    for event, entries in (("new", diff.new), ("changed", diff.changed)):
        for entry in entries:
            version = session.get_one(ResponseVersion, entry.version_id)
            verdicts = _classify(session, version, classifiers)
            extract_and_store_facts(session, version, verdicts)
            if not baseline:
                queued += _enqueue_for_subscribers(session, run, version, event, verdicts, notify_changed)
    mark_withdrawn(session, [entry.response_id for entry in diff.withdrawn])
    run.new_count, run.changed_count, run.withdrawn_count = (
        len(diff.new),
        len(diff.changed),
        len(diff.withdrawn),
    )
    run.diffed = True
    log.info(
        "run %s of %s: %d new, %d changed, %d withdrawn, %d notifications%s",
        run.id,
        run.source_id,
        len(diff.new),
        len(diff.changed),
        len(diff.withdrawn),
        queued,
        " (baseline: nobody notified)" if baseline else "",
    )
    return diff
