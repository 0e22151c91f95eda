"""One crawl at a time per host, across every crawl process and machine sharing the database.

Each crawl paces itself (download delay, concurrency per domain), but several sources can live on
one site: six WhatDoTheyKnow searches, two GOV.UK finders. Crawled at once they would multiply the
rate that site sees. A crawl therefore holds a lease on each of its hosts while it fetches; another
crawl of the same host waits its turn, so one crawl's limits are the host's limits.

A lease names its owner (``pid@machine``) and expires: a lease whose process died on this
machine is taken over at once, one from another machine when it expires.
"""

from __future__ import annotations

import os
import socket
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from storage.clock import utcnow
from storage.db import Database, affected_rows
from storage.models import HostLease
from storage.processes import owner_gone

POLL_SECONDS = 1.0


class HostBusy(RuntimeError):
    """A host stayed leased by other crawls for longer than this crawl would wait."""


def this_process() -> str:
    return f"{os.getpid()}@{socket.gethostname()}"


def try_acquire(session: Session, host: str, source_id: str, owner: str, ttl: timedelta) -> bool:
    """Take ``host``'s lease if it is free, expired, or held by a process that died here."""
    now = utcnow()
    try:
        with session.begin_nested():
            session.add(
                HostLease(host=host, owner=owner, source_id=source_id, acquired_at=now, expires_at=now + ttl)
            )
        return True
    except IntegrityError:
        pass
    current = session.get(HostLease, host, populate_existing=True)
    if current is None:
        return False  # released between the two statements: the next poll takes it
    dead = current.expires_at < now or owner_gone(current.owner) is True
    if not dead:
        return False
    taken = session.execute(
        update(HostLease)
        .where(
            HostLease.host == host, HostLease.owner == current.owner, HostLease.source_id == current.source_id
        )
        .values(owner=owner, source_id=source_id, acquired_at=now, expires_at=now + ttl)
    )
    return affected_rows(taken) == 1


def release(session: Session, hosts: Iterable[str], source_id: str, owner: str) -> None:
    session.execute(
        delete(HostLease).where(
            HostLease.host.in_(list(hosts)), HostLease.owner == owner, HostLease.source_id == source_id
        )
    )


def holders(session: Session) -> list[HostLease]:
    return list(session.scalars(select(HostLease).order_by(HostLease.host)))


@contextmanager
def host_leases(
    database: Database,
    hosts: Iterable[str],
    source_id: str,
    ttl: timedelta,
    wait: timedelta,
    stopping: Callable[[], bool] = lambda: False,
) -> Iterator[None]:
    """Hold every one of ``hosts`` (in a fixed order, so two crawls never wait on each other) for
    the duration; raises ``HostBusy`` after ``wait`` without them, or when ``stopping`` says so."""
    owner, held = this_process(), []
    deadline = time.monotonic() + wait.total_seconds()
    try:
        for host in sorted(set(hosts)):
            while True:
                with database.session() as session:
                    if try_acquire(session, host, source_id, owner, ttl):
                        break
                    busy = session.get(HostLease, host)
                if stopping() or time.monotonic() >= deadline:
                    who = f" by the crawl of {busy.source_id}" if busy is not None else ""
                    raise HostBusy(f"{host} stayed busy{who}; this crawl waits for the next run")
                time.sleep(POLL_SECONDS)
            held.append(host)
        yield
    finally:
        if held:
            with database.session() as session:
                release(session, held, source_id, owner)
