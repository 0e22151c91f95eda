"""Host leases on a real database: one crawl per host at a time, dead holders taken over."""

from __future__ import annotations

import subprocess
import sys
from datetime import timedelta

import pytest
from freezegun import freeze_time

from storage.db import Database
from storage.host_leases import HostBusy, holders, host_leases, release, this_process, try_acquire

TTL = timedelta(minutes=10)
HOST = "www.whatdotheyknow.com"


def _try(database: Database, owner: str, source: str, host: str = HOST) -> bool:
    with database.session() as session:
        return try_acquire(session, host, source, owner, TTL)


def test_a_host_has_one_holder_until_it_lets_go(database: Database) -> None:
    me = this_process()
    assert _try(database, me, "wdtk-cctv")
    assert not _try(database, me, "wdtk-anpr")  # another crawl of this very process waits too
    assert _try(database, me, "gov-uk", host="www.gov.uk")  # other hosts are free
    with database.session() as session:
        release(session, [HOST], "wdtk-anpr", me)  # only the holder's release counts
    assert not _try(database, me, "wdtk-anpr")
    with database.session() as session:
        release(session, [HOST], "wdtk-cctv", me)
    assert _try(database, me, "wdtk-anpr")


def test_a_lease_of_a_dead_process_is_taken_over_at_once(database: Database) -> None:
    finished = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True
    )
    dead = f"{finished.stdout.strip()}@{this_process().split('@', 1)[1]}"
    assert _try(database, dead, "wdtk-cctv")
    assert _try(database, this_process(), "wdtk-anpr")
    with database.session() as session:
        assert [(lease.source_id, lease.owner) for lease in holders(session)] == [
            ("wdtk-anpr", this_process())
        ]


def test_a_lease_from_another_machine_is_taken_over_when_it_expires(database: Database) -> None:
    other = "4242@another-machine"
    with freeze_time("2026-11-26 08:00:00"):
        assert _try(database, other, "wdtk-cctv")
    with freeze_time("2026-11-26 08:09:00"):
        assert not _try(database, this_process(), "wdtk-anpr")
    with freeze_time("2026-11-26 08:10:01"):
        assert _try(database, this_process(), "wdtk-anpr")


def test_waiting_for_a_busy_host_gives_up_with_its_holder_named(database: Database) -> None:
    assert _try(database, "4242@another-machine", "wdtk-cctv")
    busy = pytest.raises(HostBusy, match="www.whatdotheyknow.com stayed busy by the crawl of wdtk-cctv")
    with busy, host_leases(database, [HOST], "wdtk-anpr", TTL, wait=timedelta(seconds=0)):
        pass
    gov = host_leases(database, ["www.gov.uk", "data.gov.uk"], "gov-uk", TTL, wait=timedelta(seconds=0))
    with gov, database.session() as session:
        assert sorted(lease.host for lease in holders(session)) == ["data.gov.uk", "www.gov.uk", HOST]
    with database.session() as session:
        assert [lease.host for lease in holders(session)] == [HOST]  # given back on the way out
