"""A small HTTP server on 127.0.0.1 serving saved pages, for the demo and the tests.

URL to file: ``/a/b/`` is ``a/b/index.html``; ``/a/b/?page=2`` is ``a/b/index@page=2.html``;
``/api/x.json?q=cctv`` is ``api/x.json@q=cctv`` if that file exists, else ``api/x.json``.
It answers conditional requests (ETag and Last-Modified) with 304 like a real site, 500 for any
path containing ``server-error``, and keeps a log of the requests it served.

``site.faults[path]`` makes one path misbehave as real sites do (see ``FAULTS``): an error status
(``"503"``, sent with ``Retry-After: 120``), a response that never comes (``"hang"``), a connection
reset, a truncated body, a redirect loop, a body larger than any sane page.
"""

from __future__ import annotations

import contextlib
import hashlib
import mimetypes
import socket
import struct
import threading
import time
from dataclasses import dataclass, field
from email.utils import formatdate, parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlsplit

mimetypes.add_type("application/atom+xml", ".atom")
mimetypes.add_type("application/rss+xml", ".rss")
mimetypes.add_type("application/json", ".json")


FAULTS = ("500", "502", "503", "404", "410", "hang", "reset", "truncate", "redirect-loop", "huge")
HUGE_BYTES = 30_000_000


@dataclass(frozen=True)
class ServedRequest:
    path: str
    status: int
    user_agent: str
    conditional: bool
    # when it arrived (time.monotonic)
    at: float = field(default_factory=time.monotonic)


class LocalSite:
    """``with LocalSite(root) as site: site.url('/path/')``; ``site.root`` may be switched live.

    ``site.overlays`` are folders searched before ``root``: a later state of a site is its new and
    changed files laid over the earlier one.
    """

    def __init__(self, root: Path, last_modified: float = 1_700_000_000.0, host: str = "127.0.0.1") -> None:
        self.root = Path(root)
        self.overlays: list[Path] = []
        self.last_modified = last_modified
        self.requests: list[ServedRequest] = []
        self.overrides: dict[str, int] = {}
        # path -> one of FAULTS
        self.faults: dict[str, str] = {}
        # path -> where it redirects (302), anywhere
        self.redirects: dict[str, str] = {}
        self._closing = threading.Event()
        # file name -> Content-Type, for tests of sites that send odd or wrong types
        self.content_types: dict[str, str] = {}
        # path -> more headers sent with its 200 and 304 answers (e.g. Cache-Control)
        self.headers: dict[str, dict[str, str]] = {}
        self._lock = threading.Lock()
        # any loopback address: 127.0.0.2 is "another host" for tests of the source-host guard
        self._server = ThreadingHTTPServer((host, 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        assert isinstance(host, str)  # a bound AF_INET socket's name; typeshed also allows bytes
        return f"http://{host}:{port}"

    def url(self, path: str) -> str:
        return self.base_url + path

    def __enter__(self) -> LocalSite:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._closing.set()
        self._server.shutdown()
        self._server.server_close()

    def paths(self, status: int | None = None) -> list[str]:
        with self._lock:
            return [r.path for r in self.requests if status is None or r.status == status]

    def file_for(self, raw_path: str) -> Path | None:
        for root in [*self.overlays, self.root]:
            found = self._file_in(root, raw_path)
            if found is not None:
                return found
        return None

    @staticmethod
    def _file_in(root: Path, raw_path: str) -> Path | None:
        parts = urlsplit(raw_path)
        relative = unquote(parts.path).lstrip("/")
        target = root / relative
        if parts.path.endswith("/") or not parts.path:
            target = target / (f"index@{unquote(parts.query)}.html" if parts.query else "index.html")
        elif parts.query and (target.parent / f"{target.name}@{unquote(parts.query)}").is_file():
            target = target.parent / f"{target.name}@{unquote(parts.query)}"
        try:
            resolved = target.resolve()
            resolved.relative_to(root.resolve())
        except (ValueError, OSError):
            return None
        return resolved if resolved.is_file() else None

    def _record(self, request: ServedRequest) -> None:
        with self._lock:
            self.requests.append(request)

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        site = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: object) -> None:  # quiet
                pass

            def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
                conditional = bool(self.headers.get("If-None-Match") or self.headers.get("If-Modified-Since"))
                fault = site.faults.get(urlsplit(self.path).path)
                if fault is not None and self._misbehave(fault, conditional):
                    return
                target = site.redirects.get(urlsplit(self.path).path)
                if target is not None:
                    site._record(
                        ServedRequest(self.path, 302, self.headers.get("User-Agent", ""), conditional)
                    )
                    self.send_response(302)
                    self.send_header("Location", target)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                status = site.overrides.get(urlsplit(self.path).path)
                if status is None and "server-error" in self.path:
                    status = 500
                file = site.file_for(self.path) if status is None else None
                if status is None and file is None:
                    status = 404
                if status is not None:
                    self._send_plain(status, conditional)
                    return
                assert file is not None
                body = file.read_bytes()
                etag = '"' + hashlib.sha256(body).hexdigest()[:20] + '"'
                modified = formatdate(site.last_modified, usegmt=True)
                extra = site.headers.get(urlsplit(self.path).path, {})
                if self._not_modified(etag):
                    self.send_response(304)
                    self.send_header("ETag", etag)
                    for header, value in extra.items():
                        self.send_header(header, value)
                    self.end_headers()
                    site._record(
                        ServedRequest(self.path, 304, self.headers.get("User-Agent", ""), conditional)
                    )
                    return
                name = file.name.split("@", 1)[0]
                content_type = (
                    site.content_types.get(name)
                    or mimetypes.guess_type(name)[0]
                    or "application/octet-stream"
                )
                if content_type.startswith("text/") and "charset" not in content_type:
                    content_type += "; charset=utf-8"
                self.send_response(200)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.send_header("ETag", etag)
                self.send_header("Last-Modified", modified)
                for header, value in extra.items():
                    self.send_header(header, value)
                self.end_headers()
                self.wfile.write(body)
                site._record(ServedRequest(self.path, 200, self.headers.get("User-Agent", ""), conditional))

            def _misbehave(self, fault: str, conditional: bool) -> bool:
                """Act out ``fault``; False when the page is then served normally (``truncate``)."""
                record = ServedRequest(self.path, 0, self.headers.get("User-Agent", ""), conditional)
                if fault.isdigit():
                    site._record(ServedRequest(self.path, int(fault), record.user_agent, conditional))
                    body = f"{fault}\n".encode()
                    self.send_response(int(fault))
                    if fault == "503":
                        self.send_header("Retry-After", "120")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                    return True
                site._record(record)
                if fault == "hang":
                    site._closing.wait(600)
                elif fault == "reset":
                    # SO_LINGER 0: close() sends a TCP reset, as a crashed server or a proxy does.
                    self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                    self.connection.close()
                elif fault == "truncate":
                    self.send_response(200)
                    self.send_header("Content-Type", "text/html; charset=utf-8")
                    self.send_header("Content-Length", "100000")
                    self.end_headers()
                    self.wfile.write(b"<html><body><main><h1>Half a page")
                    self.wfile.flush()
                    self.close_connection = True
                elif fault == "redirect-loop":
                    self.send_response(302)
                    parts = urlsplit(self.path)
                    hop = int(parts.query.rsplit("hop=", 1)[-1]) + 1 if "hop=" in parts.query else 1
                    self.send_header("Location", f"{parts.path}?hop={hop % 2}")
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                elif fault == "huge":
                    self.send_response(200)
                    self.send_header("Content-Type", "text/html; charset=utf-8")
                    self.send_header("Content-Length", str(HUGE_BYTES))
                    self.end_headers()
                    chunk = b"<p>" + b"x" * 65_530 + b"</p>"
                    with contextlib.suppress(OSError):
                        for _ in range(HUGE_BYTES // len(chunk) + 1):
                            self.wfile.write(chunk)
                return True

            def _not_modified(self, etag: str) -> bool:
                if self.headers.get("If-None-Match"):
                    return etag in self.headers["If-None-Match"]
                since = self.headers.get("If-Modified-Since")
                if since:
                    try:
                        return parsedate_to_datetime(since).timestamp() >= site.last_modified
                    except (TypeError, ValueError):
                        return False
                return False

            def _send_plain(self, status: int, conditional: bool) -> None:
                body = f"{status}\n".encode()
                self.send_response(status)
                self.send_header("Content-Type", "text/plain; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
                site._record(
                    ServedRequest(self.path, status, self.headers.get("User-Agent", ""), conditional)
                )

        return Handler


class Receiver:
    """An HTTP endpoint on 127.0.0.1 that records what apprise's json:// or form:// posts to it.

    ``fail_first`` makes the first N posts answer 500, to show retries end in one delivery.
    """

    def __init__(self, fail_first: int = 0, delay_seconds: float = 0.0) -> None:
        self.fail_first = fail_first
        # answer only after this long: a sender can be killed between our receipt and its record
        self.delay_seconds = delay_seconds
        self.arrived = threading.Event()
        self.received: list[bytes] = []
        self.attempts = 0
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    def apprise_url(self, scheme: str = "json") -> str:
        return f"{scheme}://127.0.0.1:{self.port}/notify"

    def __enter__(self) -> Receiver:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: object) -> None:
                pass

            def do_POST(self) -> None:  # noqa: N802
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with receiver._lock:
                    receiver.attempts += 1
                    failing = receiver.attempts <= receiver.fail_first
                    if not failing:
                        receiver.received.append(body)
                receiver.arrived.set()
                if receiver.delay_seconds:
                    time.sleep(receiver.delay_seconds)
                self.send_response(500 if failing else 200)
                self.send_header("Content-Length", "0")
                self.end_headers()

        return Handler
