"""One ``foiwatch run`` per database: the service holds a row, refreshed by a heartbeat.

Two services on one database would each crawl every source on its own clock and race on the
outbox; the second one is refused and told which process holds the database. A holder that died
(its pid is gone on this host, or its heartbeat stopped on another host) is taken over.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from storage.clock import utcnow
from storage.db import affected_rows
from storage.models import ServiceLock
from storage.processes import owner_gone

SERVICE = "service"
# A holder on another host whose heartbeat is older than this is taken to be dead.
HEARTBEAT_TIMEOUT = timedelta(minutes=3)


class ServiceRunning(RuntimeError):
    """Another live ``foiwatch run`` holds this database."""


def _owner(lock: ServiceLock) -> str:
    return f"{lock.pid}@{lock.host}"


def _holder_is_dead(lock: ServiceLock, now: datetime) -> bool:
    gone = owner_gone(_owner(lock))
    if gone is not None:
        return gone
    return now - lock.heartbeat_at > HEARTBEAT_TIMEOUT


def acquire(session: Session, pid: int, host: str) -> None:
    """Take the service lock or raise ``ServiceRunning`` naming its holder. Commits its own work."""
    now = utcnow()
    held = session.get(ServiceLock, SERVICE)
    if held is None:
        session.add(ServiceLock(name=SERVICE, pid=pid, host=host, started_at=now, heartbeat_at=now))
        try:
            session.commit()
            return
        except IntegrityError:
            session.rollback()
            held = session.get(ServiceLock, SERVICE, populate_existing=True)
            assert held is not None
    if (held.pid, held.host) != (pid, host) and not _holder_is_dead(held, now):
        raise ServiceRunning(
            f"foiwatch run is already serving this database: process {held.pid} on {held.host}, "
            f"started {held.started_at:%Y-%m-%d %H:%M} UTC "
            f"(last heartbeat {held.heartbeat_at:%H:%M:%S} UTC); "
            "stop it first, or use another --db / --data-dir"
        )
    # Take over from a dead holder, atomically: only if nobody else took it meanwhile.
    taken = session.execute(
        update(ServiceLock)
        .where(ServiceLock.name == SERVICE, ServiceLock.pid == held.pid, ServiceLock.host == held.host)
        .values(pid=pid, host=host, started_at=now, heartbeat_at=now)
        .execution_options(synchronize_session=False)
    )
    session.commit()
    if affected_rows(taken) != 1:
        raise ServiceRunning("another foiwatch run took this database at the same moment")


def heartbeat(session: Session, pid: int, host: str) -> bool:
    """Refresh the lock; False if this process no longer holds it."""
    result = session.execute(
        update(ServiceLock)
        .where(ServiceLock.name == SERVICE, ServiceLock.pid == pid, ServiceLock.host == host)
        .values(heartbeat_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    return affected_rows(result) == 1


def release(session: Session, pid: int, host: str) -> None:
    session.execute(
        delete(ServiceLock).where(
            ServiceLock.name == SERVICE, ServiceLock.pid == pid, ServiceLock.host == host
        )
    )


def holder(session: Session) -> ServiceLock | None:
    return session.scalars(select(ServiceLock).where(ServiceLock.name == SERVICE)).first()
