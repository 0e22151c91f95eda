"""Delivery of the outbox through apprise: one ``notify()`` per message, its result checked.

A row is claimed (committed as ``sending``) before the send and marked ``sent`` right after, so a
crash loses nothing; at worst a message sent just before a crash is sent once more after it. Every
message carries a stable identity for receivers to drop such a repeat: the e-mail ``Message-ID``,
an ``id`` field in JSON, form and XML payloads. Failures are retried with exponential backoff;
after ``max_attempts`` the message is ``dead``.
"""

from __future__ import annotations

import contextvars
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qsl, quote, unquote, urlsplit

import apprise
import apprise.plugins.email.base as apprise_email
from apprise import AppriseResultStatus

from monitor.config import NotificationSettings
from monitor.notify.apprise_urls import load_apprise_url
from monitor.notify.digest import build_digests
from storage.db import Database
from storage.models import Subscriber
from storage.outbox import claim, due_ids, mark_failed, mark_sent, message_id, requeue_stale_sending

log = logging.getLogger(__name__)
_SECRET_MIN = 4


@dataclass(frozen=True)
class DeliveryReport:
    sent: int = 0
    failed: int = 0
    dead: int = 0


def redact_url(url: str) -> str:
    """An apprise URL with its secrets hidden, fit for logs and error columns."""
    plugin = load_apprise_url(url)
    if plugin is not None:
        try:
            return str(plugin.url(privacy=True))
        except Exception:  # a plugin that cannot render itself must not leak the original
            pass
    scheme = url.split("://", 1)[0]
    return f"{scheme}://****"


def _secrets_of(url: str) -> list[str]:
    parts = urlsplit(url)
    found = [parts.password or "", parts.username or ""]
    found += [segment for segment in parts.path.split("/") if len(segment) >= 8]
    found += [value for _, value in parse_qsl(parts.query) if len(value) >= _SECRET_MIN]
    return sorted(
        {unquote(s) for s in found if len(s) >= _SECRET_MIN} | {s for s in found if len(s) >= _SECRET_MIN},
        key=len,
        reverse=True,
    )


def redact_text(text: str, urls: list[str]) -> str:
    """``text`` with every URL and secret of ``urls`` replaced by its redacted form."""
    for url in urls:
        text = text.replace(url, redact_url(url))
        for secret in _secrets_of(url):
            text = re.sub(re.escape(secret), "****", text)
    return text


_HTML_SCHEMES = ("mailto", "mailtos", "email")
# apprise's generic webhooks take extra payload fields as ``:name=value`` URL parameters
_PAYLOAD_SCHEMES = ("json", "jsons", "form", "forms", "xml", "xmls")
_message_id: contextvars.ContextVar[str | None] = contextvars.ContextVar("foiwatch_message_id", default=None)
_apprise_make_msgid: Callable[..., str] | None = getattr(apprise_email, "make_msgid", None)


def _make_msgid(*args: Any, **kwargs: Any) -> str:
    """apprise builds each e-mail's Message-ID with ``make_msgid``: ours is the message's own id,
    the same on every attempt, so a mail client shows a repeat after a crash as one message."""
    ours = _message_id.get()
    if ours:
        return f"<{ours}@foiwatch>"
    assert _apprise_make_msgid is not None
    return _apprise_make_msgid(*args, **kwargs)


if _apprise_make_msgid is not None:
    apprise_email.make_msgid = _make_msgid  # type: ignore[attr-defined]


def with_message_id(url: str, identity: str) -> str:
    """The apprise URL with the message id added to its payload, for webhook schemes."""
    if url.split("://", 1)[0].lower() not in _PAYLOAD_SCHEMES:
        return url
    return f"{url}{'&' if '?' in url else '?'}:id={quote(identity, safe='')}"


def send(
    urls: list[str],
    title: str,
    body: str,
    timeout: float,
    body_html: str | None = None,
    apprise_config: str | None = None,
    tags: list[str] | None = None,
    identity: str | None = None,
) -> tuple[bool, str]:
    """Send one message to one subscriber's URLs; (delivered, error). Partial delivery is a failure.

    Subscribers with an e-mail channel get the HTML body (apprise turns it into text for any other
    channel they have); everyone else gets the plain-text body. ``identity`` is the message's
    stable id (see ``storage.outbox.message_id``).
    """
    token = _message_id.set(identity)
    try:
        return _send(urls, title, body, timeout, body_html, apprise_config, tags, identity)
    finally:
        _message_id.reset(token)


def _send(
    urls: list[str],
    title: str,
    body: str,
    timeout: float,
    body_html: str | None,
    apprise_config: str | None,
    tags: list[str] | None,
    identity: str | None,
) -> tuple[bool, str]:
    notifier = apprise.Apprise()
    for url in urls:
        if not notifier.add(with_message_id(url, identity) if identity else url):
            return False, f"invalid apprise URL {redact_url(url)}"
    if apprise_config:
        loaded = apprise.AppriseConfig()
        if not loaded.add(apprise_config) or not notifier.add(loaded):
            return False, f"apprise configuration {apprise_config} could not be read"
    html = body_html is not None and any(url.split("://", 1)[0].lower() in _HTML_SCHEMES for url in urls)
    result = notifier.notify(
        body=body_html if html and body_html is not None else body,
        title=title,
        body_format=apprise.NotifyFormat.HTML if html else apprise.NotifyFormat.TEXT,
        timeout=timeout,
        # with tags only the configuration's matching entries are told; no match is not a success
        tag=tags if tags else apprise.common.MATCH_ALL_TAG,
    )
    if result.status == AppriseResultStatus.SUCCESS:
        return True, ""
    problems = [f"{service.name}: {service.status.name.lower()}" for service in result if not service]
    messages = [entry.message for entry in result.logs() if entry.level in ("WARNING", "ERROR")]
    detail = "; ".join(problems + messages[-3:]) or "no details"
    return False, redact_text(f"{result.status.name.lower()}: {detail}", urls)


def backoff(attempts: int, settings: NotificationSettings) -> timedelta:
    seconds = min(settings.backoff_cap_seconds, settings.backoff_base_seconds * 2 ** max(attempts - 1, 0))
    return timedelta(seconds=seconds)


def deliver_pending(
    database: Database,
    settings: NotificationSettings,
    limit: int = 200,
    should_stop: Callable[[], bool] = lambda: False,
) -> DeliveryReport:
    """Send every due outbox row once (until ``should_stop`` says stop); returns what happened."""
    sent = failed = dead = 0
    with database.session() as session:
        build_digests(session, settings)
    with database.session() as session:
        requeue_stale_sending(session, older_than=timedelta(seconds=settings.timeout_seconds * 4 + 60))
        ids = due_ids(session, limit=limit)
    for notification_id in ids:
        if should_stop():
            break
        with database.session() as session:
            row = claim(session, notification_id)
            if row is None:
                continue
            subscriber = session.get_one(Subscriber, row.subscriber_id)
            urls, title, body, attempts = list(subscriber.urls), row.title, row.body, row.attempts
            identity = message_id(row)
            body_html = row.body_html
            apprise_config, tags = subscriber.apprise_config, list(subscriber.tags)
            active = subscriber.active
        if not active:
            ok, error = False, "subscriber is no longer configured"
            attempts = settings.max_attempts
        else:
            try:
                ok, error = send(
                    urls, title, body, settings.timeout_seconds, body_html, apprise_config, tags, identity
                )
            except Exception as exc:  # a plugin crash is one failed attempt, not a stopped service
                ok, error = False, redact_text(f"{type(exc).__name__}: {exc}", urls)
        with database.session() as session:
            if ok:
                mark_sent(session, notification_id)
                sent += 1
                continue
            retry = None if attempts >= settings.max_attempts else backoff(attempts, settings)
            mark_failed(session, notification_id, error, retry)
        if retry is None:
            dead += 1
            log.error("notification %d is dead after %d attempts: %s", notification_id, attempts, error)
        else:
            failed += 1
            log.warning(
                "notification %d failed (attempt %d), retrying in %s: %s",
                notification_id,
                attempts,
                retry,
                error,
            )
    return DeliveryReport(sent=sent, failed=failed, dead=dead)
