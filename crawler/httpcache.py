"""The HTTP cache's storage: one file per response, written whole or not at all.

Scrapy's ``FilesystemCacheStorage`` writes seven files for each response (meta twice, headers and body
of both request and response, extra data) into a folder of its own, in place: eight file operations a
page, and a crawl killed between them leaves a folder with a body but no headers, or the old body
beside new headers. foiwatch keeps what a response needs to be revalidated and served on a 304 (its
status, address, headers, body and Scrapy's extras) in one file, renamed into place once written.

Folders Scrapy's storage left (a cache made before) are still read; the first time a response is
stored again (a 304 refreshes it too) its one-file entry replaces the folder.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import shutil
from pathlib import Path
from time import time
from typing import Any

from scrapy import Spider
from scrapy.extensions.httpcache import FilesystemCacheStorage
from scrapy.http import Request, Response
from scrapy.utils.response import response_from_dict
from w3lib.http import headers_dict_to_raw, headers_raw_to_dict

ENTRY_SUFFIX = ".response"
_PARTIAL = ".partial"
# Scrapy's own fields of an entry; the rest of ``Response.to_dict()`` are the response's extras.
_OWN = frozenset({"url", "status", "headers", "body"})


class OneFileCacheStorage(FilesystemCacheStorage):
    """``FilesystemCacheStorage`` with one file per response (see the module's text)."""

    def entry_path(self, spider: Spider, request: Request) -> Path:
        return Path(self._get_request_path(spider, request) + ENTRY_SUFFIX)

    def _get_request_path(self, spider: Spider, request: Request) -> str:
        # Scrapy's own, joined as strings: building a Path for it cost about 0.1 ms a page (it is
        # asked four times a request). The fingerprint is Scrapy's, cached per request.
        key = self._fingerprinter.fingerprint(request).hex()
        return os.path.join(self.cachedir, spider.name, key[0:2], key)

    def store_response(self, spider: Spider, request: Request, response: Response) -> None:
        path = self.entry_path(spider, request)
        path.parent.mkdir(parents=True, exist_ok=True)
        entry = {
            "meta": {
                "url": request.url,
                "method": request.method,
                "status": response.status,
                "response_url": response.url,
                "timestamp": time(),
            },
            "headers": headers_dict_to_raw(response.headers),
            "body": response.body,
            "data": {k: v for k, v in response.to_dict().items() if k not in _OWN},
        }
        partial = path.with_name(f"{path.name}.{os.getpid()}{_PARTIAL}")
        try:
            with self._open(partial, "wb") as out:
                pickle.dump(entry, out, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(partial, path)
        except BaseException:
            with contextlib.suppress(OSError):
                partial.unlink()
            raise
        # The seven files Scrapy's storage kept for this request, superseded now: not kept twice.
        legacy = Path(self._get_request_path(spider, request))
        if legacy.is_dir():
            shutil.rmtree(legacy, ignore_errors=True)

    def retrieve_response(self, spider: Spider, request: Request) -> Response | None:
        path = self.entry_path(spider, request)
        try:
            if 0 < self.expiration_secs < time() - path.stat().st_mtime:
                return None  # expired
            with self._open(path, "rb") as stored:
                entry = pickle.load(stored)  # noqa: S301 (foiwatch's own file in its data folder)
        except FileNotFoundError:
            return super().retrieve_response(spider, request)  # a cache Scrapy's storage made
        except (OSError, EOFError, pickle.UnpicklingError, AttributeError, ValueError, TypeError):
            return None  # unreadable: fetched afresh, and stored whole again
        return _response(entry, request)


def _response(entry: dict[str, Any], request: Request) -> Response:
    meta = entry["meta"]
    request.meta["cache_timestamp"] = meta["timestamp"]
    data = {"url": meta["response_url"], "status": meta["status"], "body": entry["body"], **entry["data"]}
    data["headers"] = headers_raw_to_dict(entry["headers"])
    return response_from_dict(data)
