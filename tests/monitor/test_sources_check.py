"""``foiwatch sources check``: what a listing page's links were taken for, and one line per source."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from monitor.cli.main import main
from monitor.demo.localsite import LocalSite
from tests.conftest import FIXTURES, write_config

LISTINGS = FIXTURES / "listings"
ONS_LISTING = "/aboutus/transparencyandgovernance/freedomofinformationfoi/publishedrequests"
PATTERN = "/freedomofinformationfoi/(?!publishedrequests)[a-z0-9]+$"
REDIRECTS: dict[str, str] = json.loads((LISTINGS / "ons_redir" / "redirects.json").read_text("utf-8"))


def _ons_site() -> LocalSite:
    site = LocalSite(FIXTURES / "page_per_response" / "ons")
    site.overlays.append(LISTINGS / "ons_redir")
    site.redirects.update(REDIRECTS)
    return site


def _source(source_id: str, url: str, pattern: str) -> dict[str, object]:
    return {
        "id": source_id,
        "platform": "page_per_response",
        "authority": "Office for National Statistics",
        "url": url,
        "options": {"link_pattern": pattern},
    }


def _check(tmp_path: Path, sources: list[dict[str, object]], *args: str) -> tuple[int, list[str]]:
    config = write_config(tmp_path / "config", sources)
    result = CliRunner().invoke(
        main, ["--config", str(config), "--data-dir", str(tmp_path / "d"), "sources", "check", *args]
    )
    return result.exit_code, result.output.splitlines()


def test_check_shows_each_link_accepted_or_rejected_with_why(tmp_path: Path) -> None:
    with _ons_site() as site:
        token = next(iter(REDIRECTS))
        site.redirects[token] = "/economy"  # a result that leads outside the log
        code, lines = _check(tmp_path, [_source("ons", site.url(ONS_LISTING), PATTERN)], "ons")
    assert code == 0, lines
    assert lines[0].startswith(f"ons  {site.url(ONS_LISTING)}  succeeded  listed 2")
    accepted = [line for line in lines if line.startswith("    + ")]
    rejected = [line for line in lines if line.startswith("    - ")]
    assert sum("response (via redirect): " in line for line in accepted) == 2
    assert any(line.startswith("    - navigation (outside the main content): ") for line in rejected)
    leads_elsewhere = [line for line in rejected if site.url(token) in line]
    assert leads_elsewhere and f"does not match link_pattern r'{PATTERN}'" in leads_elsewhere[0]
    assert any(line.startswith("  sample: FOI/2022/") for line in lines)


def test_check_all_prints_one_line_per_source_with_what_to_fix(tmp_path: Path) -> None:
    with _ons_site() as site:
        sources = [
            _source("ons", site.url(ONS_LISTING), PATTERN),
            _source("ons-wrong-pattern", site.url(ONS_LISTING), "/foi/[0-9]+$"),
        ]
        code, lines = _check(tmp_path, sources, "--all")
    assert code == 1  # one source fails its check
    assert len(lines) == 2
    good, wrong = lines
    assert good.startswith(f"ons  {site.url(ONS_LISTING)}  succeeded  listed 3  filled ")
    assert good.endswith("fix: nothing")
    assert wrong.startswith(f"ons-wrong-pattern  {site.url(ONS_LISTING)}  failed  listed 0  filled -")
    assert "fix: link_pattern matches none of" in wrong
