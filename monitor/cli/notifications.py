"""``foiwatch notifications`` (the outbox) and ``foiwatch notify test`` (a channel, now)."""

from __future__ import annotations

import click
from rich.table import Table

from monitor.cli.common import Context, add_row, console, id_column


@click.group()
def notifications() -> None:
    """The notification outbox."""


@notifications.command("list")
@click.option("--failed", is_flag=True, help="Only failed and dead notifications.")
@click.option("--limit", default=50, show_default=True)
@click.pass_obj
def notifications_list(obj: Context, failed: bool, limit: int) -> None:
    """List notifications with their status, attempts and last error (secrets redacted).

    ``id`` is what ``notifications retry`` takes, ``subscriber`` what the ``subscribers`` commands
    take, ``response`` what ``responses show`` takes.
    """
    from storage.outbox import DEAD, FAILED, list_notifications, subscriber_names

    app = obj.app(reads=True)
    table = Table(
        id_column("id"),
        "created",
        id_column("subscriber"),
        "event",
        id_column("response"),
        "status",
        "attempts",
        "title",
        "last error",
    )
    with app.database.session() as session:
        rows = list_notifications(session, statuses={FAILED, DEAD} if failed else None, limit=limit)
        names = subscriber_names(session)
        for row in rows:
            add_row(
                table,
                row.id,
                f"{row.created_at:%Y-%m-%d %H:%M}",
                names.get(row.subscriber_id, row.subscriber_id),
                row.event,
                row.response_id,
                row.status,
                row.attempts,
                row.title,
                row.last_error,
            )
    console.print(table)


@notifications.command("deliver")
@click.pass_obj
def notifications_deliver(obj: Context) -> None:
    """Send every due notification now (the service does this every minute)."""
    from monitor.notify.deliver import deliver_pending

    app = obj.app()
    report = deliver_pending(app.database, app.config.notifications)
    click.echo(f"{report.sent} sent, {report.failed} to retry, {report.dead} dead")


@notifications.command("retry")
@click.argument("notification_ids", nargs=-1, type=int)
@click.pass_obj
def notifications_retry(obj: Context, notification_ids: tuple[int, ...]) -> None:
    """Requeue dead notifications (or the given ids) and try to deliver them now."""
    from monitor.notify.deliver import deliver_pending
    from storage.outbox import requeue_dead

    app = obj.app()
    with app.database.session() as session:
        count = requeue_dead(session, notification_ids)
    report = deliver_pending(app.database, app.config.notifications)
    click.echo(f"requeued {count}; {report.sent} sent, {report.failed} to retry, {report.dead} dead")


@click.group()
def notify() -> None:
    """Check notification channels."""


@notify.command("test")
@click.argument("subscriber")
@click.pass_obj
def notify_test(obj: Context, subscriber: str) -> None:
    """Send a test message to SUBSCRIBER's URLs now and report the result (nothing is queued)."""
    from monitor.notify.deliver import redact_url, send
    from storage.outbox import SubscriberError, find_subscriber

    app = obj.app()
    # The database holds both kinds: subscribers.yaml's (synced by open_app) and `subscribers add`'s.
    with app.database.session() as session:
        try:
            chosen = find_subscriber(session, subscriber)
        except SubscriberError as exc:
            raise click.ClickException(f"{exc} (see `foiwatch subscribers list`)") from exc
        urls, apprise_config, tags = list(chosen.urls), chosen.apprise_config, list(chosen.tags)
    ok, error = send(
        urls,
        "[foiwatch] test message",
        "This is a test from foiwatch. If you can read it, notifications reach you.",
        app.config.notifications.timeout_seconds,
        apprise_config=apprise_config,
        tags=tags,
    )
    targets = ", ".join([redact_url(url) for url in urls] + ([apprise_config] if apprise_config else []))
    if not ok:
        raise click.ClickException(f"test message to {targets} failed: {error}")
    click.echo(f"test message delivered to {targets}")
