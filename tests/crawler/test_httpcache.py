"""The HTTP cache's one-file storage: what a revalidation needs comes back whole, a damaged or
half-written entry is never served, and a cache made by Scrapy's own storage is still read."""

from __future__ import annotations

from pathlib import Path

import pytest
from scrapy import Spider
from scrapy.extensions.httpcache import FilesystemCacheStorage
from scrapy.http import HtmlResponse, Request, Response
from scrapy.settings import Settings
from scrapy.utils.test import get_crawler

from crawler.httpcache import OneFileCacheStorage

URL = "http://127.0.0.1:9/foi/disclosure-log/"
BODY = "<html><body><h1>Disclosure log</h1><p>Caf\u00e9 CCTV</p></body></html>".encode()


def _storage(cls: type[FilesystemCacheStorage], tmp_path: Path) -> tuple[FilesystemCacheStorage, Spider]:
    crawler = get_crawler(Spider, {"HTTPCACHE_DIR": str(tmp_path / "httpcache")})
    spider = Spider("police_soh")
    spider.crawler = crawler
    storage = cls(Settings({"HTTPCACHE_DIR": str(tmp_path / "httpcache")}))
    storage.open_spider(spider)
    return storage, spider


def _response() -> HtmlResponse:
    headers = {"ETag": '"v1"', "Last-Modified": "Tue, 03 Nov 2026 10:00:00 GMT", "Content-Type": "text/html"}
    return HtmlResponse(URL, status=200, headers=headers, body=BODY, encoding="utf-8", request=Request(URL))


def _same(got: Response | None, sent: Response) -> None:
    assert got is not None
    assert (type(got), got.url, got.status, got.body) == (type(sent), sent.url, sent.status, sent.body)
    assert got.headers.getlist("ETag") == sent.headers.getlist("ETag")
    assert got.headers.get("Last-Modified") == sent.headers.get("Last-Modified")


def test_a_stored_response_comes_back_whole_from_one_file(tmp_path: Path) -> None:
    storage, spider = _storage(OneFileCacheStorage, tmp_path)
    request = Request(URL)
    storage.store_response(spider, request, _response())
    files = [p for p in (tmp_path / "httpcache").rglob("*") if p.is_file()]
    assert [p.suffix for p in files] == [".response"]
    again = Request(URL)
    _same(storage.retrieve_response(spider, again), _response())
    assert again.meta["cache_timestamp"] > 0


def test_a_cache_scrapy_made_is_still_read_then_replaced(tmp_path: Path) -> None:
    old, spider = _storage(FilesystemCacheStorage, tmp_path)
    old.store_response(spider, Request(URL), _response())
    storage, spider = _storage(OneFileCacheStorage, tmp_path)
    _same(storage.retrieve_response(spider, Request(URL)), _response())
    storage.store_response(spider, Request(URL), _response())
    files = [p for p in (tmp_path / "httpcache").rglob("*") if p.is_file()]
    assert [p.suffix for p in files] == [".response"]  # Scrapy's seven files are gone
    _same(storage.retrieve_response(spider, Request(URL)), _response())


def test_nothing_cached_is_nothing(tmp_path: Path) -> None:
    storage, spider = _storage(OneFileCacheStorage, tmp_path)
    assert storage.retrieve_response(spider, Request(URL)) is None


@pytest.mark.parametrize("damage", ["empty", "truncated", "garbage", "not a pickle"])
def test_a_damaged_entry_is_not_served(tmp_path: Path, damage: str) -> None:
    storage, spider = _storage(OneFileCacheStorage, tmp_path)
    storage.store_response(spider, Request(URL), _response())
    entry = storage.entry_path(spider, Request(URL))
    whole = entry.read_bytes()
    damaged = {"empty": b"", "truncated": whole[:40], "garbage": b"\x80\x05garbage", "not a pickle": BODY}
    entry.write_bytes(damaged[damage])
    assert storage.retrieve_response(spider, Request(URL)) is None


def test_a_write_that_fails_half_way_leaves_the_old_entry(tmp_path: Path) -> None:
    storage, spider = _storage(OneFileCacheStorage, tmp_path)
    storage.store_response(spider, Request(URL), _response())

    class Unpicklable(HtmlResponse):
        def to_dict(self, **kwargs: object) -> dict[str, object]:
            return {**super().to_dict(), "flags": [lambda: None]}  # pickle fails on a lambda

    broken = Unpicklable(URL, body=b"<p>new</p>", encoding="utf-8", request=Request(URL))
    with pytest.raises(Exception, match="pickle|lambda"):
        storage.store_response(spider, Request(URL), broken)
    _same(storage.retrieve_response(spider, Request(URL)), _response())
    assert not list((tmp_path / "httpcache").rglob("*.partial"))
