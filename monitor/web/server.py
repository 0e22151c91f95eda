"""Serving the web application with uvicorn: alone (``foiwatch serve``) or beside the scheduler."""

from __future__ import annotations

import logging
import socket
import threading
import time

import uvicorn

from .app import create_app
from .context import WebContext

log = logging.getLogger(__name__)


class AddressInUse(RuntimeError):
    """The web server's address cannot be used; the message says which and what to do."""


def bind(host: str, port: int) -> socket.socket:
    """A listening socket, bound before uvicorn starts so a taken port is a clear error, not a log line."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise AddressInUse(
            f"cannot serve on {host}:{port}: {exc.strerror or exc}; choose another with --port "
            "(or service.port in settings.yaml)"
        ) from exc
    sock.listen(128)
    sock.set_inheritable(True)
    return sock


def build_server(context: WebContext, log_level: str = "warning") -> uvicorn.Server:
    config = uvicorn.Config(
        create_app(context),
        log_level=log_level,
        access_log=False,
        proxy_headers=False,
        server_header=False,
        timeout_graceful_shutdown=5,
    )
    return uvicorn.Server(config)


def serve_forever(context: WebContext, host: str, port: int) -> None:
    """``foiwatch serve``: until SIGINT or SIGTERM."""
    sock = bind(host, port)
    server = build_server(context)
    log.info("serving on http://%s:%d/", host, sock.getsockname()[1])
    server.run(sockets=[sock])


class BackgroundServer:
    """The web application in a thread of ``foiwatch run``; ``stop`` ends it."""

    def __init__(self, context: WebContext, host: str, port: int) -> None:
        self.socket = bind(host, port)
        self.server = build_server(context)
        self.thread = threading.Thread(target=self._run, name="web", daemon=True)
        self.host, self.port = host, self.socket.getsockname()[1]

    def _run(self) -> None:
        try:
            self.server.run(sockets=[self.socket])
        except Exception:
            log.exception("the web server stopped")

    def start(self, timeout: float = 15.0) -> None:
        """Start serving; returns once the server accepts requests (or has failed, said in the log)."""
        self.thread.start()
        deadline = time.monotonic() + timeout
        while not self.server.started and self.thread.is_alive() and time.monotonic() < deadline:
            time.sleep(0.02)
        log.info("web pages on http://%s:%d/", self.host, self.port)

    def alive(self) -> bool:
        return self.thread.is_alive()

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
        self.socket.close()
