"""Apprise URLs checked by apprise itself, without letting apprise log their secrets.

Apprise logs a URL it cannot load ("Could not load Discord URL: discord://<token>"), and its own
masking misses some tokens. A URL checked at load time, or redacted for a log line, must not be
written out whole, so apprise's log records are dropped while this module asks it about a URL.
"""

from __future__ import annotations

import logging
import re
from contextvars import ContextVar
from typing import TYPE_CHECKING

from crawler.yamlconf import ConfigValueError

if TYPE_CHECKING:
    from apprise.plugins.base import NotifyBase

APPRISE_SERVICES = "https://github.com/caronc/apprise/wiki"
_SCHEME = re.compile(r"^([a-z][a-z0-9+.\-]*)://", re.IGNORECASE)
# A context variable, not a logger switch: other threads' apprise records (deliveries) still show.
_asking_apprise: ContextVar[bool] = ContextVar("asking_apprise", default=False)


class _DropWhileAsking(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return not _asking_apprise.get()


_DROP_WHILE_ASKING = _DropWhileAsking()


def load_apprise_url(url: str) -> NotifyBase | None:
    """Apprise's plugin for ``url``, or None if apprise cannot use it; apprise logs nothing meanwhile."""
    import apprise  # slow to import: only commands that meet a URL pay for it

    logging.getLogger("apprise").addFilter(_DROP_WHILE_ASKING)  # adding the same filter again is a no-op
    token = _asking_apprise.set(True)
    try:
        return apprise.Apprise.instantiate(url, suppress_exceptions=True)
    finally:
        _asking_apprise.reset(token)


def check_apprise_url(url: str) -> None:
    """Raise ``ConfigValueError`` unless apprise can use ``url``; the message shows its scheme only."""
    import apprise

    match = _SCHEME.match(url)
    if not match:
        raise ConfigValueError(
            "a url is not an apprise URL (it has no 'scheme://' part)",
            "write it as an apprise URL such as mailto://user:password@example.org or json://host/path",
        )
    scheme = match.group(1).lower()
    services = apprise.NotificationManager()
    if scheme not in services:
        raise ConfigValueError(
            f"url {scheme}://**** names a service apprise does not know",
            f"use one of the services listed at {APPRISE_SERVICES}",
        )
    if not services[scheme].enabled:
        raise ConfigValueError(
            f"url {scheme}://**** needs a package that apprise's {scheme}:// service is missing",
            f"install what `apprise --details` lists for {scheme}://, or use another service",
        )
    if load_apprise_url(url) is None:
        raise ConfigValueError(
            f"url {scheme}://**** is not a {scheme}:// URL apprise can read",
            f"write it as apprise documents {scheme}:// URLs ({APPRISE_SERVICES})",
        )
