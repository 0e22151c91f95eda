"""``foiwatch serve``: the web pages, JSON API and feeds, read-only over the database."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from monitor.web.context import WebContext
from monitor.web.server import AddressInUse, serve_forever

if TYPE_CHECKING:
    from monitor.cli.common import Context


@click.command()
@click.option("--host", default=None, help="Address to listen on (default: service.host, 127.0.0.1).")
@click.option(
    "--port", type=click.IntRange(1, 65535), default=None, help="Port (default: service.port, 8080)."
)
@click.pass_obj
def serve(obj: Context, host: str | None, port: int | None) -> None:
    """Serve the web pages, JSON API and Atom feeds (read-only) until stopped."""
    app = obj.app(reads=True)
    host = host or app.config.service.host
    port = port or app.config.service.port
    click.echo(f"foiwatch: serving {app.data_dir} on http://{host}:{port}/ (Ctrl-C stops)")
    try:
        serve_forever(WebContext(app), host, port)
    except AddressInUse as exc:
        raise click.ClickException(str(exc)) from exc
