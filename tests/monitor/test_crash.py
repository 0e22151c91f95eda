"""The crash test: ``foiwatch run`` killed with SIGKILL at random moments, cycle after cycle.

Each cycle the site publishes new CCTV responses, the service is started, and it is killed at a
random moment: while starting, crawling, diffing or sending. At the end a last service runs until
the outbox is empty. Counted on SQLite and PostgreSQL: responses lost (must be 0), and messages
repeated, which may only happen to a message whose own send a kill interrupted, at most once per
such kill. The receiver tells repeats apart by the message's ``id``.

Marked ``crash``: it runs in ``make test`` and CI (about two minutes per database on two cores);
``pytest -m "not crash"`` leaves it out while you work.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.exc import OperationalError, ProgrammingError

from monitor.demo.localsite import LocalSite, Receiver
from storage.db import Database
from storage.models import Notification
from storage.outbox import SENDING, message_id
from tests.conftest import write_config
from tests.sitefarm import FarmSite

CYCLES = 20
PER_CYCLE = 2
SEED = 20261126
SOURCES = ("north-police", "south-police")

pytestmark = [pytest.mark.crash, pytest.mark.timeout(900)]


def _wait_for(condition: Callable[[], bool], timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return False


def _start(config: Path, data: Path, database_url: str) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-m", "monitor.cli.main", "--config", str(config), "--data-dir", str(data)]
    log = (data / "service.log").open("ab")
    return subprocess.Popen(
        [*command, "--db", database_url, "run"],
        stdout=log,
        stderr=subprocess.STDOUT,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )


def _sending(database: Database) -> list[str]:
    """Message ids of rows a kill left in ``sending``: sends it may have interrupted."""
    try:
        with database.session() as session:
            rows = session.scalars(select(Notification).where(Notification.status == SENDING))
            return [message_id(row) for row in rows]
    except (OperationalError, ProgrammingError):  # killed before its tables existed
        return []


def test_sigkill_at_random_moments_loses_nothing(tmp_path: Path, database_url: str) -> None:
    rng = random.Random(SEED)
    (tmp_path / "site").mkdir()
    data = tmp_path / "data"
    data.mkdir()
    farm = FarmSite(tmp_path / "site")
    published: list[str] = []
    number = 0
    with LocalSite(farm.root) as site, Receiver(delay_seconds=0.4) as receiver:
        for source in SOURCES:
            number += 1
            farm.publish(source, number, cctv=True)  # the baseline: nobody is told about these
        config = write_config(
            tmp_path / "config",
            [
                {
                    "id": source,
                    "platform": "police_soh",
                    "authority": source,
                    "url": site.url(farm.log_path(source)),
                    "schedule": "every 2 seconds",
                }
                for source in SOURCES
            ],
            [{"name": "live", "urls": [receiver.apprise_url("json")], "topics": ["cctv"]}],
            crawler={"full_crawl_every_hours": 0},
            service={
                "jitter_seconds": 0,
                "first_crawl_within_seconds": 0,
                "min_interval_seconds": 1,
                "delivery_interval_seconds": 1,
            },
            notifications={"timeout_seconds": 5, "max_attempts": 100},
        )
        # The baseline: the logs as they stand are history, read once before the crashes begin.
        baseline = subprocess.run(
            [sys.executable, "-m", "monitor.cli.main", "--config", str(config), "--data-dir", str(data)]
            + ["--db", database_url, "crawl"],
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert baseline.returncode == 0, baseline.stdout + baseline.stderr
        database = Database(database_url)
        interrupted: Counter[str] = Counter()
        kills_in_delivery = 0
        for _cycle in range(CYCLES):
            for _ in range(PER_CYCLE):
                number += 1
                source = SOURCES[number % len(SOURCES)]
                published.append(farm.publish(source, number, cctv=True).title)
            service = _start(config, data, database_url)
            time.sleep(rng.uniform(0.5, 7.0))
            service.send_signal(signal.SIGKILL)
            service.wait()
            in_flight = _sending(database)
            kills_in_delivery += bool(in_flight)
            interrupted.update(in_flight)
        # A last service runs until every published response has been told, then stops.
        service = _start(config, data, database_url)
        titles = lambda: {json.loads(b)["title"].rsplit(": ", 1)[-1] for b in receiver.received}  # noqa: E731
        _wait_for(lambda: set(published) <= titles(), timeout=120)
        service.send_signal(signal.SIGTERM)
        service.wait(timeout=30)
        database.dispose()
    payloads = [json.loads(body) for body in receiver.received]
    received = Counter(payload["id"] for payload in payloads)
    by_title = Counter(payload["title"].rsplit(": ", 1)[-1] for payload in payloads)
    lost = [title for title in published if title not in by_title]
    repeats = {mid: count - 1 for mid, count in received.items() if count > 1}
    unexplained = {mid: extra for mid, extra in repeats.items() if extra > interrupted[mid]}
    print(
        f"\ncrash test ({database_url.split(':')[0]}): {CYCLES} cycles, {CYCLES} kills, "
        f"{kills_in_delivery} during delivery, {len(published)} responses published, "
        f"{len(lost)} lost, {sum(repeats.values())} repeated "
        f"(allowed: {sum(interrupted.values())} interrupted sends), seed {SEED}"
    )
    assert lost == []
    assert unexplained == {}
    assert set(by_title) == set(published)  # nobody was told about anything else (the baseline)
