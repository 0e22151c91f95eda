"""``foiwatch scrapyd``: the Scrapyd nodes of ``executor: {kind: scrapyd}``: deploy, jobs."""

from __future__ import annotations

import sys

import click
from rich.table import Table

from monitor.cli.common import Context, add_row, console
from monitor.config import ExecutorSettings, load_config


def _executor(obj: Context) -> ExecutorSettings:
    config = load_config(obj.config_dir)
    if config.executor.kind != "scrapyd":
        raise click.UsageError(
            f"{config.directory / 'settings.yaml'} does not name Scrapyd nodes: "
            "set executor: {kind: scrapyd, urls: [http://127.0.0.1:6800]}"
        )
    return config.executor


@click.group()
def scrapyd() -> None:
    """The Scrapyd nodes crawls run on (executor.kind: scrapyd in settings.yaml)."""


@scrapyd.command()
@click.pass_obj
def deploy(obj: Context) -> None:
    """Upload the project to every node (addversion.json); exit status 1 if any node took nothing."""
    from monitor.service.deploy import deploy as deploy_to

    settings = _executor(obj)
    results = deploy_to(settings)
    for result in results:
        if result.error:
            click.echo(f"{result.node}: not deployed: {result.error}")
        else:
            deployed = f"{settings.project} version {result.version} deployed"
            click.echo(f"{result.node}: {deployed} ({result.spiders} spiders)")
    if any(result.error for result in results):
        sys.exit(1)


@scrapyd.command()
@click.pass_obj
def jobs(obj: Context) -> None:
    """Every node's jobs of the project: pending, running and recently finished."""
    from monitor.service.scrapyd import NodeRefused, NodeUnreachable, nodes_of

    settings = _executor(obj)
    table = Table("node", "state", "job", "started", "finished")
    for node in nodes_of(settings):
        try:
            listed = node.call("listjobs.json", {"project": settings.project})
        except (NodeUnreachable, NodeRefused) as exc:
            add_row(table, node.name, f"unavailable: {exc}", "", "", "")
            continue
        for state in ("pending", "running", "finished"):
            for job in listed.get(state) or []:
                add_row(
                    table,
                    node.name,
                    state,
                    job.get("id", ""),
                    job.get("start_time") or "",
                    job.get("end_time") or "",
                )
    console.print(table)
