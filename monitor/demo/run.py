"""``foiwatch demo``: the whole loop on this machine, no internet and no set-up needed.

A local site on 127.0.0.1 serves a sample disclosure log (built from the seed responses and some
non-CCTV ones). foiwatch crawls it once (the silent baseline), the site then "publishes" four more
responses, foiwatch crawls again, and the notifications a subscriber receives are printed, as
delivered for real through apprise to a local JSON endpoint.
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import sys
import tempfile
from importlib import resources
from pathlib import Path

import click

from crawler.yamlconf import ConfigError
from monitor.app import open_app
from monitor.config import ServiceSettings, load_config
from monitor.demo.localsite import LocalSite, Receiver
from monitor.notify.deliver import deliver_pending
from monitor.service.crawls import CrawlSummary, crawl_source

LOG_PATH = "/foi-ai/demo-constabulary/disclosure-log/"
# Marks a data folder as the demo's own, so a later demo may start it afresh.
DEMO_MARK = ".foiwatch-demo"


def _write_config(directory: Path, start_url: str, subscriber_url: str) -> None:
    shipped = Path(str(resources.files("foiwatch_config")))
    shutil.copy(shipped / "topics.yaml", directory / "topics.yaml")
    (directory / "sources.yaml").write_text(
        "sources:\n"
        "  - id: demo-constabulary\n"
        "    platform: police_soh\n"
        "    authority: Demo Constabulary\n"
        f"    url: {start_url}\n",
        encoding="utf-8",
    )
    (directory / "subscribers.yaml").write_text(
        f"subscribers:\n  - name: demo-newsroom\n    urls: ['{subscriber_url}']\n    topics: [cctv]\n",
        encoding="utf-8",
    )
    (directory / "settings.yaml").write_text(
        "crawler:\n  contact: demo@localhost\n  download_delay: 0\n  log_level: WARNING\n", encoding="utf-8"
    )


def _print_summary(label: str, summary: CrawlSummary) -> None:
    s = summary
    click.echo(
        f"{label}: {s.status}, {s.pages} pages, {s.items} responses read, "
        f"{s.new} new, {s.changed} changed, {s.errors} errors"
    )


def fresh_demo_folder(directory: Path) -> None:
    """Empty a folder the demo made before (the demo starts from nothing every time), or make one.

    A folder holding a database the demo did not make is never touched: ``ClickException``.
    """
    database = directory / "foiwatch.sqlite3"
    if database.exists() and not (directory / DEMO_MARK).exists():
        raise click.ClickException(
            f"{directory} holds a foiwatch database that is not the demo's; give the demo a folder of its "
            "own with --data-dir"
        )
    for name in ("foiwatch.sqlite3", "foiwatch.sqlite3-wal", "foiwatch.sqlite3-shm"):
        (directory / name).unlink(missing_ok=True)
    for folder in ("httpcache", "logs", "links"):
        shutil.rmtree(directory / folder, ignore_errors=True)
    directory.mkdir(parents=True, exist_ok=True)
    (directory / DEMO_MARK).write_text("made by `foiwatch demo`, which empties it when run again\n")


def browse_hint(data_dir: Path | None, config_dir: Path | None = None) -> str:
    """How to read what the demo stored in a browser: the ``serve`` command and the address, on the
    host and port of ``service`` in the settings ``serve`` will read."""
    if data_dir is None:
        return (
            "What the demo stored went with its temporary folder. To browse it, keep it:\n"
            "  foiwatch --data-dir DIR demo\n  foiwatch --data-dir DIR serve"
        )
    try:
        service = load_config(config_dir).service
    except ConfigError:
        service = ServiceSettings()  # `serve` will say what is wrong with the configuration
    host = "127.0.0.1" if service.host in ("0.0.0.0", "::") else service.host
    shown = f"[{host}]" if ":" in host else host
    config = f"--config {shlex.quote(str(config_dir))} " if config_dir else ""
    return (
        "Browse what it stored:\n"
        f"  {_command()} {config}--data-dir {shlex.quote(str(data_dir.resolve()))} serve\n"
        f"then open http://{shown}:{service.port}/"
    )


def _command() -> str:
    """How to call foiwatch from here: by its path when it is not on PATH (``make demo`` from a
    checkout runs it from .venv/bin, which a newcomer's shell does not search)."""
    beside = Path(sys.executable).parent / "foiwatch"
    if shutil.which("foiwatch") == str(beside) or not beside.exists():
        return "foiwatch"
    return shlex.quote(os.path.relpath(beside) if beside.is_relative_to(Path.cwd()) else str(beside))


def run_demo(data_dir: Path | None = None, config_dir: Path | None = None) -> int:
    """Run the demo; returns the exit status (0 when the baseline was silent and alerts arrived).

    With ``data_dir`` what it stored stays there to browse (``config_dir`` only names the settings
    the printed ``serve`` command will read); without, it goes with a temporary folder.
    """
    site_root = Path(str(resources.files("monitor.demo") / "site"))
    with tempfile.TemporaryDirectory(prefix="foiwatch-demo-") as scratch:
        work = Path(scratch)
        (work / "config").mkdir()
        with LocalSite(site_root / "phase1") as site, Receiver() as receiver:
            _write_config(work / "config", site.url(LOG_PATH), receiver.apprise_url())
            if data_dir is not None:
                fresh_demo_folder(data_dir)
            app = open_app(work / "config", None, data_dir or work / "data")
            source = app.config.sources[0]
            click.echo(f"Serving a sample disclosure log at {site.url(LOG_PATH)}")
            _print_summary(
                "Baseline crawl", crawl_source(app.database, app.config, source, app.data_dir, "full")
            )
            deliver_pending(app.database, app.config.notifications)
            baseline_messages = len(receiver.received)
            click.echo(
                f"Notifications after the baseline crawl: {baseline_messages} (the first run is silent)"
            )

            site.overlays = [site_root / "phase2"]
            click.echo("\nThe site publishes four more responses (two about CCTV, two not) and corrects one.")
            _print_summary(
                "Second crawl", crawl_source(app.database, app.config, source, app.data_dir, "full")
            )
            report = deliver_pending(app.database, app.config.notifications)
            click.echo(f"Delivered {report.sent} notification(s) to the subscriber 'demo-newsroom':\n")
            for number, raw in enumerate(receiver.received[baseline_messages:], start=1):
                message = json.loads(raw)
                click.echo(f"--- notification {number} ---")
                click.echo(message.get("title", ""))
                click.echo(message.get("message", ""))
                click.echo("")
            app.database.dispose()
    click.echo(browse_hint(data_dir, config_dir))
    return 0 if baseline_messages == 0 and report.sent > 0 and report.failed == 0 else 1
