"""Which process owns a row (a running crawl, a message being sent, the service), and is it alive?

An owner is ``"<pid>@<host>"``. On the same host a dead pid means the owner is gone for certain;
on another host only time can tell, so callers fall back to an age limit there.
"""

from __future__ import annotations

import os
import socket


def this_process() -> str:
    return f"{os.getpid()}@{socket.gethostname()}"


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def owner_gone(owner: str | None) -> bool | None:
    """True when the owner certainly died, False when it is alive, None when this host cannot tell."""
    if not owner or "@" not in owner:
        return None
    pid, _, host = owner.partition("@")
    if host != socket.gethostname() or not pid.isdigit():
        return None
    return not pid_alive(int(pid))
