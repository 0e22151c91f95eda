"""Crawls on Scrapyd nodes, through Scrapyd's JSON API (``daemonstatus.json``, ``schedule.json``,
``listjobs.json``, ``cancel.json``, ``addversion.json``).

The scheduler stays single: each due crawl is scheduled on the least busy node that answers, as the
``foiwatch`` spider (``crawler.spiders.job``) with the job as its one argument, and watched until it
ends. The crawl writes into the shared database and closes its run itself. A node that stops
answering for ``executor.lost_after_seconds``, or forgets the job (restarted), leaves the run failed
with a cause naming it; it answers no more, so the next crawl goes elsewhere.
"""

from __future__ import annotations

import base64
import contextlib
import json
import logging
import os
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.error import HTTPError, URLError
from urllib.parse import urlencode, urlsplit
from urllib.request import Request, urlopen

from monitor.config import ExecutorSettings
from monitor.service.executors import STOP_GRACE_SECONDS, CrawlJob, RunFailure
from storage.clock import utcnow

log = logging.getLogger(__name__)
SPIDER = "foiwatch"
PASSWORD_ENV = "FOIWATCH_SCRAPYD_PASSWORD"
# Polls in a row a job must be missing from its node before it counts as gone: a job is always in
# one of the node's lists, but one look is not worth a failed run.
MISSING_POLLS = 2


class NodeUnreachable(Exception):
    """The node did not answer (refused, timed out, not Scrapyd)."""


class NodeRefused(Exception):
    """The node answered with an error; ``str()`` is its message."""


@dataclass(frozen=True)
class Node:
    """One Scrapyd server. ``name`` (its address, no credentials) is what runs record and logs show."""

    url: str
    username: str | None = None
    password: str | None = None
    timeout: float = 10.0

    @property
    def name(self) -> str:
        parts = urlsplit(self.url)
        return f"{parts.netloc.rsplit('@', 1)[-1]}{parts.path}"

    def call(
        self, endpoint: str, params: Mapping[str, str] | None = None, post: bool = False
    ) -> dict[str, Any]:
        """One API call; raises ``NodeUnreachable`` or ``NodeRefused``. Never shows the password."""
        body = urlencode(params or {}).encode() if post else None
        query = f"?{urlencode(params)}" if params and not post else ""
        headers = {"Content-Type": "application/x-www-form-urlencoded"} if post else {}
        return self._send(Request(f"{self.url}/{endpoint}{query}", data=body, headers=headers), endpoint)

    def upload(self, endpoint: str, fields: Mapping[str, str], name: str, content: bytes) -> dict[str, Any]:
        """A multipart POST of ``fields`` and one file (``addversion.json``'s egg)."""
        boundary = uuid.uuid4().hex
        parts = [
            f'--{boundary}\r\nContent-Disposition: form-data; name="{key}"\r\n\r\n{value}\r\n'.encode()
            for key, value in fields.items()
        ]
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{name}.egg"\r\n'
            "Content-Type: application/octet-stream\r\n\r\n".encode()
            + content
            + f"\r\n--{boundary}--\r\n".encode()
        )
        headers = {"Content-Type": f"multipart/form-data; boundary={boundary}"}
        return self._send(Request(f"{self.url}/{endpoint}", data=b"".join(parts), headers=headers), endpoint)

    def _send(self, request: Request, endpoint: str) -> dict[str, Any]:
        if self.username is not None:
            pair = f"{self.username}:{self.password or ''}".encode()
            request.add_header("Authorization", "Basic " + base64.b64encode(pair).decode())
        try:
            with urlopen(request, timeout=self.timeout) as answer:
                data = json.loads(answer.read())
        except HTTPError as exc:
            if exc.code == 401:
                raise NodeRefused(
                    "it refused our username and password (executor.username and .password)"
                ) from None
            raise NodeUnreachable(f"{endpoint} answered HTTP {exc.code}") from None
        except (URLError, OSError) as exc:
            reason = exc.reason if isinstance(exc, URLError) else exc
            raise NodeUnreachable(f"does not answer: {reason}") from None
        except ValueError:
            raise NodeUnreachable(f"{endpoint} did not answer JSON: is it Scrapyd?") from None
        if not isinstance(data, dict):
            raise NodeUnreachable(f"{endpoint} did not answer a JSON object: is it Scrapyd?")
        if data.get("status") != "ok":
            raise NodeRefused(_last_line(str(data.get("message") or data)))
        return data

    def load(self) -> int:
        """Crawls running and waiting on the node, all projects together."""
        status = self.call("daemonstatus.json")
        return int(status.get("running", 0)) + int(status.get("pending", 0))

    def job_state(self, project: str, job_id: str) -> tuple[str | None, str | None]:
        """Where the job stands (pending, running, finished; None: the node does not know it) and
        the address of its log."""
        jobs = self.call("listjobs.json", {"project": project})
        for state in ("pending", "running", "finished"):
            for job in jobs.get(state) or []:
                if job.get("id") == job_id:
                    log_url = job.get("log_url")
                    return state, f"{self.url}{log_url}" if log_url else None
        return None, None

    def cancel(self, project: str, job_id: str, signal: str = "INT") -> None:
        self.call("cancel.json", {"project": project, "job": job_id, "signal": signal}, post=True)


def _last_line(message: str) -> str:
    """A node's error as one line: a failure to list the project's spiders comes as a whole
    traceback, whose last line says what is wrong (a module missing on the node...)."""
    lines = [line.strip() for line in message.splitlines() if line.strip()]
    return (lines[-1] if lines else message)[:500]


@dataclass
class JobWatch:
    """What the polls of one job on its node have seen so far."""

    node: Node
    job_id: str
    # the source's own crawl log beside the service: it is told where the node keeps this crawl's
    log_file: Path
    silent_since: float | None = None
    missing: int = 0
    log_url: str | None = None

    def look(self, project: str, lost_after: float) -> tuple[bool, RunFailure | None]:
        """One poll: whether the job has ended and, if so, why the run failed should the crawl
        have left it open (a job that finished normally closed its run itself)."""
        try:
            state, log_url = self.node.job_state(project, self.job_id)
        except (NodeUnreachable, NodeRefused) as exc:
            self.silent_since = self.silent_since or time.monotonic()
            if time.monotonic() - self.silent_since < lost_after:
                return False, None
            lost = (
                f"Scrapyd node {self.node.name} stopped answering during the crawl ({lost_after:g} s: {exc})"
            )
            return True, RunFailure(lost, executor=True)
        self.silent_since = None
        self.missing = self.missing + 1 if state is None else 0
        if log_url and not self.log_url:
            self.log_url = log_url
            self._note(f"job {self.job_id} on Scrapyd node {self.node.name}; its log: {log_url}")
        if self.missing >= MISSING_POLLS:
            vanished = f"the job vanished from Scrapyd node {self.node.name} (was Scrapyd restarted?)"
            return True, RunFailure(vanished, executor=True)
        if state == "finished":
            where = f"; its log: {self.log_url}" if self.log_url else ""
            # A crawl that failed to start there (other code, another database) or crashed: the
            # node's log says which, and it may be the site's doing, so it counts as the site's.
            ended = f"the crawl on Scrapyd node {self.node.name} ended without recording a result{where}"
            return True, RunFailure(ended)
        return False, None

    def _note(self, line: str) -> None:
        with contextlib.suppress(OSError):
            self.log_file.parent.mkdir(parents=True, exist_ok=True)
            with self.log_file.open("a", encoding="utf-8") as log_file:
                log_file.write(f"{utcnow():%Y-%m-%d %H:%M:%S} [foiwatch] INFO: {line}\n")


def nodes_of(settings: ExecutorSettings) -> list[Node]:
    """The configured nodes; the password from settings.yaml, else from ``FOIWATCH_SCRAPYD_PASSWORD``."""
    password = settings.password.get_secret_value() if settings.password else os.environ.get(PASSWORD_ENV)
    return [Node(url, settings.username, password, settings.request_timeout_seconds) for url in settings.urls]


def by_load(nodes: list[Node]) -> tuple[list[Node], list[str]]:
    """The nodes that answer, least busy first (ties in the configured order), and why the others
    were left out."""
    loads: list[tuple[int, int, Node]] = []
    skipped = []
    for index, node in enumerate(nodes):
        try:
            loads.append((node.load(), index, node))
        except (NodeUnreachable, NodeRefused) as exc:
            log.warning("Scrapyd node %s skipped: %s", node.name, exc)
            skipped.append(f"{node.name} {exc}")
    return [node for _, _, node in sorted(loads, key=lambda entry: entry[:2])], skipped


class ScrapydExecutor:
    """Schedules each crawl on the least busy node and waits for it (see the module's docstring)."""

    def __init__(self, settings: ExecutorSettings, stopping: threading.Event) -> None:
        self.settings = settings
        # set by ``stop_all_crawls``: waits between polls end at once, so a stop is quick
        self.stopping = stopping

    def run(
        self, job: CrawlJob, timeout: float, log_file: Path, placed: Callable[[str], None]
    ) -> RunFailure | None:
        ready, skipped = by_load(nodes_of(self.settings))
        refusals = list(skipped)
        job_id = f"run-{job.run_id}-{uuid.uuid4().hex[:12]}"
        arguments = {"project": self.settings.project, "spider": SPIDER, "jobid": job_id}
        # The crawl looks at its run as often as this looks at the crawl.
        arguments["job"] = json.dumps(job.for_node(self.settings.poll_seconds))
        for node in ready:
            try:
                node.call("schedule.json", arguments, post=True)
            except (NodeUnreachable, NodeRefused) as exc:
                log.warning("Scrapyd node %s did not take the crawl of %s: %s", node.name, job.source.id, exc)
                refusals.append(f"{node.name} {exc}")
                continue
            placed(node.name)
            log.info("crawl of %s scheduled on Scrapyd node %s as job %s", job.source.id, node.name, job_id)
            return self._watch(JobWatch(node, job_id, log_file), job.source.id, timeout)
        if not refusals:
            return RunFailure("no Scrapyd node is configured", executor=True)
        return RunFailure("no Scrapyd node took the crawl: " + "; ".join(refusals), executor=True)

    def _watch(self, watch: JobWatch, source_id: str, timeout: float) -> RunFailure | None:
        """Poll the node until the job ends; why the run failed, should the crawl have left it open."""
        deadline = time.monotonic() + timeout
        node = watch.node
        try:
            while True:
                if self.stopping.is_set():
                    self._cancel(node, watch.job_id)
                    return RunFailure(f"stopped on Scrapyd node {node.name}")
                if time.monotonic() > deadline:
                    log.error("crawl of %s exceeded %ss on %s; cancelling it", source_id, timeout, node.name)
                    self._cancel(node, watch.job_id)
                    return RunFailure(
                        f"cancelled on Scrapyd node {node.name} after {timeout:g} s (crawl_timeout_seconds)"
                    )
                ended, failure = watch.look(self.settings.project, self.settings.lost_after_seconds)
                if ended:
                    return failure
                self.stopping.wait(self.settings.poll_seconds)
        except BaseException:
            # Ctrl-C or SIGTERM on `foiwatch crawl`: the job goes too.
            self._cancel(node, watch.job_id)
            raise

    def _cancel(self, node: Node, job_id: str) -> None:
        """Ask the crawl to close (SIGINT: it records what it did), then kill it if it lingers, and
        wait (as long again) for the node to see it gone, so a stop leaves no crawl behind."""
        try:
            node.cancel(self.settings.project, job_id)
            if self._ended(node, job_id):
                return
            node.cancel(self.settings.project, job_id, "KILL")
            if not self._ended(node, job_id):
                log.warning("job %s on Scrapyd node %s was killed but still runs there", job_id, node.name)
        except (NodeUnreachable, NodeRefused) as exc:
            log.warning("job %s on Scrapyd node %s could not be cancelled: %s", job_id, node.name, exc)

    def _ended(self, node: Node, job_id: str) -> bool:
        """Whether the node sees the job finished (or forgot it) within ``STOP_GRACE_SECONDS``."""
        give_up = time.monotonic() + STOP_GRACE_SECONDS
        while time.monotonic() < give_up:
            if node.job_state(self.settings.project, job_id)[0] in ("finished", None):
                return True
            time.sleep(min(self.settings.poll_seconds, 0.2))
        return False
