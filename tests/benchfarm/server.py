"""The farm's HTTP server: its own process on 127.0.0.1, so its CPU is never counted as foiwatch's.

Files are served as ``monitor.demo.localsite.LocalSite`` maps them (``/a/?page=2`` is
``a/index@page=2.html``, ``/a?page=1`` is ``a@page=1``), from memory once read (re-read when
the file changes), with ETag and Last-Modified, answering conditional requests with 304. Every
request is counted by path and status; ``GET /__stats`` returns the counts as JSON (``?reset=1``
also clears them) and is not itself counted.

``python -m tests.benchfarm.server ROOT`` prints the port on its first line, then serves until killed.
"""

from __future__ import annotations

import hashlib
import json
import mimetypes
import subprocess
import sys
import threading
from collections import Counter
from email.utils import formatdate, parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlsplit
from urllib.request import urlopen


class FarmFiles:
    """Path to (body, ETag, Last-Modified), cached by file name, size and mtime."""

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()
        self._cache: dict[Path, tuple[tuple[int, int], bytes, str, float]] = {}
        self._lock = threading.Lock()

    def find(self, raw_path: str) -> Path | None:
        parts = urlsplit(raw_path)
        target = self.root / unquote(parts.path).lstrip("/")
        if parts.path.endswith("/"):
            target = target / (f"index@{unquote(parts.query)}.html" if parts.query else "index.html")
        elif parts.query:
            target = target.parent / f"{target.name}@{unquote(parts.query)}"
        if ".." in target.parts:
            return None
        return target if target.is_file() else None

    def read(self, file: Path) -> tuple[bytes, str, float]:
        stat = file.stat()
        stamp = (stat.st_mtime_ns, stat.st_size)
        with self._lock:
            cached = self._cache.get(file)
        if cached is None or cached[0] != stamp:
            body = file.read_bytes()
            etag = '"' + hashlib.sha256(body).hexdigest()[:20] + '"'
            cached = (stamp, body, etag, stat.st_mtime)
            with self._lock:
                self._cache[file] = cached
        return cached[1], cached[2], cached[3]


class FarmServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128

    def __init__(self, root: Path) -> None:
        self.files = FarmFiles(root)
        self.counts: Counter[tuple[str, int]] = Counter()
        self.counts_lock = threading.Lock()
        super().__init__(("127.0.0.1", 0), FarmHandler)

    def count(self, path: str, status: int) -> None:
        with self.counts_lock:
            self.counts[(path, status)] += 1

    def stats(self, reset: bool) -> list[dict[str, object]]:
        with self.counts_lock:
            rows = [{"path": p, "status": s, "count": n} for (p, s), n in sorted(self.counts.items())]
            if reset:
                self.counts.clear()
        return rows


class FarmHandler(BaseHTTPRequestHandler):
    server: FarmServer
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        if self.path.startswith("/__stats"):
            body = json.dumps(self.server.stats("reset=1" in self.path)).encode()
            self._send(200, body, {"Content-Type": "application/json"})
            return
        file = self.server.files.find(self.path)
        if file is None:
            self.server.count(self.path, 404)
            self._send(404, b"404\n", {"Content-Type": "text/plain"})
            return
        body, etag, mtime = self.server.files.read(file)
        validators = {"ETag": etag, "Last-Modified": formatdate(mtime, usegmt=True)}
        if self._not_modified(etag, mtime):
            self.server.count(self.path, 304)
            self._send(304, b"", validators)
            return
        self.server.count(self.path, 200)
        name = file.name.split("@", 1)[0]
        # a name without a suffix is a page, as on sites whose addresses have none (Barnet's)
        kind = mimetypes.guess_type(name)[0] or ("application/octet-stream" if "." in name else "text/html")
        if kind.startswith("text/"):
            kind += "; charset=utf-8"
        self._send(200, body, {"Content-Type": kind, **validators})

    def _not_modified(self, etag: str, mtime: float) -> bool:
        if self.headers.get("If-None-Match"):
            return etag in self.headers["If-None-Match"]
        since = self.headers.get("If-Modified-Since")
        if not since:
            return False
        try:
            return parsedate_to_datetime(since).timestamp() >= int(mtime)
        except (TypeError, ValueError):
            return False

    def _send(self, status: int, body: bytes, headers: dict[str, str]) -> None:
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        if status != 304:
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if body:
            self.wfile.write(body)


class FarmProcess:
    """``with FarmProcess(root) as farm:`` the server running in a child process; ``farm.stats()``."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._process: subprocess.Popen[str] | None = None
        self.port = 0

    def __enter__(self) -> FarmProcess:
        command = [sys.executable, "-m", "tests.benchfarm.server", str(self.root)]
        self._process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
        assert self._process.stdout is not None
        self.port = int(self._process.stdout.readline())
        return self

    def __exit__(self, *exc: object) -> None:
        if self._process is not None:
            self._process.terminate()
            self._process.wait(10)

    @property
    def pid(self) -> int:
        assert self._process is not None
        return self._process.pid

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stats(self, reset: bool = False) -> Counter[tuple[str, int]]:
        """Requests served since the last reset, by (path, status)."""
        with urlopen(f"{self.base_url}/__stats{'?reset=1' if reset else ''}", timeout=30) as answer:
            rows = json.loads(answer.read())
        return Counter({(r["path"], r["status"]): r["count"] for r in rows})

    def reset(self) -> None:
        self.stats(reset=True)


def main() -> None:
    server = FarmServer(Path(sys.argv[1]))
    print(server.server_address[1], flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
