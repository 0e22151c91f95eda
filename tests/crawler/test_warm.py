"""The crawl fork server's imports: a crawl forked from it imports nothing it could have shared.

Whatever a crawl imports after the fork is paid again by every crawl (Scrapy loads even the
components foiwatch turns off; a reader may import a parser on first use). So a whole crawl of real
saved pages on 127.0.0.1 is run in a fresh interpreter that has imported ``crawler.warm``, and the
modules it imported on the way are listed.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml

from crawler.run import DATABASE_VARIABLE
from monitor.app import open_app
from monitor.demo.localsite import LocalSite
from storage.runs import start_run
from tests.conftest import FIXTURES, write_config

# Each crawl installs Twisted's reactor itself (a fork must not inherit one); ``resource`` and the
# codecs (``encodings.*`` and their C modules, by the charsets met) are the standard library's,
# loaded on first use.
ALLOWED = {"twisted.internet.reactor", "resource"}

_CRAWL = """
import json, sys
from pathlib import Path
import crawler.warm
from crawler.config import CrawlerSettings, SourceConfig
from crawler.run import crawl, software_versions
job = json.loads(sys.argv[1])
before = set(sys.modules)
source, settings = SourceConfig(**job["source"]), CrawlerSettings(**job["crawler"])
status = crawl(source, settings, Path(job["data_dir"]), job["database"], job["run_id"], "full")
imported = sorted(set(sys.modules) - before)
read = software_versions.cache_info().misses
print(json.dumps({"status": status, "imported": imported, "versions_read": read}))
"""


def _crawl_after_warm_up(tmp_path: Path, source: dict[str, Any]) -> tuple[dict[str, Any], str]:
    """A crawl in a process that imported ``crawler.warm`` first: its report and its log."""
    database = f"sqlite:///{tmp_path / 'foiwatch.sqlite3'}"
    app = open_app(write_config(tmp_path / "config", [source]), database, tmp_path / "data")
    with app.database.session() as session:
        run_id = start_run(session, source["id"], "full").id
    app.database.dispose()
    crawler = app.config.crawler.model_dump(mode="json")
    data_dir = str(tmp_path / "data")
    job = {"source": source, "crawler": crawler, "data_dir": data_dir, "database": database, "run_id": run_id}
    done = subprocess.run([sys.executable, "-c", _CRAWL, json.dumps(job)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.splitlines()[-1])
    assert result["status"] == 0, done.stderr[-3000:]
    return result, done.stderr


def _imported_by_crawl(tmp_path: Path, source: dict[str, Any]) -> set[str]:
    result, _ = _crawl_after_warm_up(tmp_path, source)
    codecs = ("encodings.", "_codecs_", "_multibytecodec")
    return {name for name in result["imported"] if not name.startswith(codecs)}


def test_a_police_log_crawl_imports_nothing_after_the_warm_up(tmp_path: Path) -> None:
    with LocalSite(FIXTURES / "police_soh/discovery") as site:
        url = site.url("/foi-ai/dyfed-powys-police/")
        source = {"id": "force", "platform": "police_soh", "authority": "Dyfed-Powys Police", "url": url}
        imported = _imported_by_crawl(tmp_path, source)
    extra = sorted(imported - ALLOWED)
    assert not extra, f"imported after the warm-up: {', '.join(extra)}"


def test_a_council_log_crawl_with_its_letters_imports_nothing_after_the_warm_up(tmp_path: Path) -> None:
    sites = FIXTURES / "html_log"
    barnet = yaml.safe_load((sites / "expected.yaml").read_text(encoding="utf-8"))["sources"]["barnet"]
    with LocalSite(sites / "barnet") as site:
        source = {
            "id": "barnet",
            "platform": "html_log",
            "authority": "Barnet Council",
            "url": site.url(barnet["start"]),
            "options": {**barnet["options"], "fetch_attachments": True},
        }
        imported = _imported_by_crawl(tmp_path, source)
    extra = sorted(imported - ALLOWED)
    assert not extra, f"imported after the warm-up: {', '.join(extra)}"


def test_the_warm_up_configures_the_database_mappings_a_crawl_would() -> None:
    """SQLAlchemy configures its mappers on a process's first query; the fork server does it once."""
    script = (
        "import crawler.warm\n"
        "from storage.models import Base\n"
        "mappers = list(Base.registry.mappers)\n"
        "print(len(mappers), all(m.configured for m in mappers))\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    count, configured = done.stdout.split()
    assert int(count) > 10 and configured == "True"


def _warmed_modules(env: dict[str, str]) -> set[str]:
    script = "import sys, json, crawler.warm\nprint(json.dumps(sorted(sys.modules)))\n"
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True, env=env)
    return set(json.loads(done.stdout))


def test_the_warm_up_imports_the_postgresql_driver_only_for_postgresql_or_an_unknown_database() -> None:
    env = {k: v for k, v in os.environ.items() if k != DATABASE_VARIABLE}
    assert "psycopg" in _warmed_modules(env)
    assert "psycopg" in _warmed_modules({**env, DATABASE_VARIABLE: "postgresql+psycopg"})
    on_sqlite = _warmed_modules({**env, DATABASE_VARIABLE: "sqlite"})
    assert "psycopg" not in on_sqlite and "sqlalchemy.dialects.sqlite.pysqlite" in on_sqlite
    # Scrapy's extensions foiwatch turns off are not even imported: remote control's web server is aiohttp's.
    assert not {"aiohttp", "scrapy.extensions.remote_control", "scrapy.extensions.telnet"} & on_sqlite


def test_a_crawl_logs_the_versions_the_warm_up_read(tmp_path: Path) -> None:
    """Scrapy would read ten packages' metadata at every crawl's start; the warm-up reads it once."""
    with LocalSite(FIXTURES / "police_soh/discovery") as site:
        url = site.url("/foi-ai/dyfed-powys-police/")
        source = {"id": "force", "platform": "police_soh", "authority": "Dyfed-Powys Police", "url": url}
        result, log = _crawl_after_warm_up(tmp_path, source)
    assert result["versions_read"] == 1
    assert log.count("Versions: lxml ") == 1 and "Twisted " in log
