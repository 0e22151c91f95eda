"""``foiwatch subscribers``: list, add, remove and mute the people told about new responses."""

from __future__ import annotations

import click
from rich.table import Table

from monitor.cli.common import ConfigValueRefused, Context, add_row, console, id_column, resolved


@click.group()
def subscribers() -> None:
    """Subscribers: from subscribers.yaml, or managed here."""


@subscribers.command("list")
@click.pass_obj
def subscribers_list(obj: Context) -> None:
    """Subscribers with their channels (secrets hidden), topics, filters and cadence."""
    from monitor.notify.deliver import redact_url
    from storage.outbox import list_subscribers

    app = obj.app()
    table = Table(id_column("name"), "from", "urls", "topics", "filters", "cadence", "state")
    with app.database.session() as session:
        for s in list_subscribers(session):
            filters = "; ".join(
                f"{label}: {', '.join(values)}"
                for label, values in (
                    ("authorities", s.authorities),
                    ("sources", s.sources),
                    ("terms", s.terms),
                )
                if values
            )
            state = (
                "removed"
                if not s.active
                else (f"muted until {s.muted_until:%Y-%m-%d %H:%M}" if s.muted_until else "active")
            )
            add_row(
                table,
                s.name,
                s.origin,
                "\n".join(redact_url(u) for u in s.urls),
                ", ".join(s.topics),
                filters,
                s.cadence + (" +updates" if s.updates else "") + (" admin" if s.admin else ""),
                state,
            )
    console.print(table)


@subscribers.command("add")
@click.argument("name")
@click.option("--url", "urls", multiple=True, required=True, help="apprise URL (repeatable).")
@click.option("--topic", "topics", multiple=True, help="Topic to follow (repeatable; default cctv).")
@click.option("--authority", "authorities", multiple=True, help="Only this authority (repeatable).")
@click.option("--source", "sources_", multiple=True, help="Only this source id (repeatable).")
@click.option("--term", "terms", multiple=True, help="Only responses mentioning this (repeatable).")
@click.option("--cadence", type=click.Choice(["immediate", "daily", "weekly"]), default="immediate")
@click.option("--updates", is_flag=True, help="Also tell when a followed response changes.")
@click.option("--admin", is_flag=True, help="Also tell when a source breaks.")
@click.pass_obj
def subscribers_add(
    obj: Context,
    name: str,
    urls: tuple[str, ...],
    topics: tuple[str, ...],
    authorities: tuple[str, ...],
    sources_: tuple[str, ...],
    terms: tuple[str, ...],
    cadence: str,
    updates: bool,
    admin: bool,
) -> None:
    """Add a subscriber (kept in the database; subscribers.yaml is not changed).

    Each --url is checked by apprise first: one it cannot use is refused with exit status 2 and
    nothing is stored (the message shows the URL's scheme, never its secrets).
    """
    from crawler.yamlconf import ConfigValueError
    from monitor.config import SubscriberConfig
    from monitor.notify.apprise_urls import check_apprise_url
    from storage.outbox import SubscriberError, SubscriberRow, add_subscriber

    for url in urls:
        try:
            check_apprise_url(url)
        except ConfigValueError as exc:
            raise ConfigValueRefused(f"invalid --url: {exc}; fix: {exc.fix}") from exc
    app = obj.app()
    try:
        checked = SubscriberConfig(name=name, urls=list(urls), topics=list(topics) or ["cctv"])
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc
    topics_ = tuple(resolved("topic", t, app.config.topics, "--topic") or t for t in checked.topics)
    known_sources = [s.id for s in app.config.sources]
    sources_ = tuple(resolved("source", s, known_sources, "--source") or s for s in sources_)
    row = SubscriberRow(
        name,
        urls,
        topics_,
        authorities,
        True,
        admin,
        sources_,
        terms,
        cadence,
        updates,
        origin="cli",
    )
    with app.database.session() as session:
        try:
            add_subscriber(session, row)
        except SubscriberError as exc:
            raise click.ClickException(str(exc)) from exc
    click.echo(f"added subscriber {name}")


@subscribers.command("remove")
@click.argument("name")
@click.pass_obj
def subscribers_remove(obj: Context, name: str) -> None:
    """Stop notifying a subscriber; undelivered messages are closed, history is kept."""
    from monitor.config import subscriber_location
    from storage.outbox import SubscriberError, remove_subscriber

    app = obj.app()
    if any(s.name == name for s in app.config.subscribers):
        # Every command syncs subscribers.yaml again, so removing its subscriber here would not last.
        raise click.ClickException(
            f"subscriber {name!r} is defined in {subscriber_location(app.config.directory, name)}; "
            "remove it there or set `enabled: false`"
        )
    with app.database.session() as session:
        try:
            closed = remove_subscriber(session, name)
        except SubscriberError as exc:
            raise click.ClickException(str(exc)) from exc
    click.echo(f"removed subscriber {name} ({closed} undelivered messages closed)")


@subscribers.command("mute")
@click.argument("name")
@click.option("--for", "duration", default="7d", show_default=True, help="How long: 12h, 7d, 2w.")
@click.option("--off", is_flag=True, help="Unmute now.")
@click.pass_obj
def subscribers_mute(obj: Context, name: str, duration: str, off: bool) -> None:
    """Queue nothing for a subscriber for a while (responses published meanwhile are not sent)."""
    import re
    from datetime import timedelta

    from storage.clock import utcnow
    from storage.outbox import SubscriberError, mute_subscriber

    match = re.fullmatch(r"(\d+)\s*([hdw])", duration.strip().lower())
    if not off and not match:
        raise click.BadParameter("use a number and h, d or w, e.g. 12h, 7d, 2w", param_hint="--for")
    until = None
    if not off and match:
        hours = int(match.group(1)) * {"h": 1, "d": 24, "w": 168}[match.group(2)]
        until = utcnow() + timedelta(hours=hours)
    app = obj.app()
    with app.database.session() as session:
        try:
            mute_subscriber(session, name, until)
        except SubscriberError as exc:
            raise click.ClickException(str(exc)) from exc
    click.echo(f"unmuted {name}" if until is None else f"muted {name} until {until:%Y-%m-%d %H:%M} UTC")
