"""Source discovery from a real-shaped all-authorities.csv, and ``sources check``."""

from __future__ import annotations

from pathlib import Path

import yaml
from click.testing import CliRunner

from monitor.cli.main import main
from monitor.demo.localsite import LocalSite
from monitor.sources.discover import discover, place, read_authorities
from tests.conftest import FIXTURES, write_config

CSV = FIXTURES / "discover" / "all-authorities.csv"


def test_discovery_places_each_log_by_its_address() -> None:
    found = discover(read_authorities(CSV))
    platforms = {c.authority: c.platform for c in found.candidates}
    assert platforms["Metropolitan Police Service"] == "police_soh"
    assert platforms["Cleveland Police"] == "police_soh"
    assert platforms["Office for National Statistics"] == "page_per_response"
    assert platforms["Transport for London"] == "page_per_response"
    assert platforms["Camden Borough Council"] == "data_file"
    assert platforms["Leicestershire County Council"] == "data_file"
    assert platforms["Liverpool City Council"] == "icasework"
    assert platforms["Home Office"] == "govuk"
    assert platforms["Example District Council"] == "feed"
    assert platforms["Hastings Borough Council"] == "html_log"
    unplaced = {u.authority: u.reason for u in found.unplaced}
    assert unplaced["Scottish Borders Council"] == "not a web page address"  # a PDF
    assert unplaced["Somewhere Town Council"] == "no platform recognises this address"
    assert found.rows_without_log == 1
    ids = [c.id for c in found.candidates]
    assert len(ids) == len(set(ids)) and "essex-police-2" in ids


def test_confidence_follows_how_specific_the_address_is() -> None:
    soh = place("https://www.essex.police.uk/foi-ai/essex-police/disclosure-log/")
    council = place("https://www.hastings.gov.uk/my-council/freedom-of-information/")
    assert soh is not None and council is not None
    assert soh[1] > council[1]
    assert place("https://example.org/about-us") is None


def test_discover_command_writes_valid_source_yaml(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["sources", "discover", str(CSV)])
    assert result.exit_code == 0, result.output
    yaml_text = result.stdout
    entries = yaml.safe_load(yaml_text)["sources"]
    assert all(entry["enabled"] is False for entry in entries)
    assert "# confidence 0.95: police Single Online Home address" in yaml_text
    assert "Somewhere Town Council: http://somewhere-tc.org.uk/minutes.html" in yaml_text
    # The candidates load as a configuration as they are.
    config = write_config(tmp_path / "config", entries)
    where = ["--config", str(config), "--data-dir", str(tmp_path / "d")]
    created = CliRunner().invoke(main, [*where, "db", "upgrade"])  # `sources list` creates no database
    assert created.exit_code == 0, created.output
    listed = CliRunner().invoke(main, [*where, "sources", "list"])
    assert listed.exit_code == 0, listed.output


def test_discover_rejects_a_file_that_is_not_the_authorities_list(tmp_path: Path) -> None:
    other = tmp_path / "other.csv"
    other.write_text("a,b\n1,2\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["sources", "discover", str(other)])
    assert result.exit_code != 0 and "no 'Disclosure log' column" in result.output


def test_sources_check_reports_without_storing(tmp_path: Path, soh_site: LocalSite) -> None:
    config = write_config(
        tmp_path / "config",
        [
            {
                "id": "met",
                "platform": "police_soh",
                "authority": "Metropolitan Police Service",
                "url": soh_site.url("/foi-ai/metropolitan-police/disclosure-log/"),
            },
            {
                "id": "empty",
                "platform": "police_soh",
                "authority": "Empty",
                "url": soh_site.url("/foi-ai/empty-police/disclosure-log/"),
            },
        ],
    )
    data = tmp_path / "data"
    result = CliRunner().invoke(main, ["--config", str(config), "--data-dir", str(data), "sources", "check"])
    assert result.exit_code == 1, result.output  # the empty log is reported as failing
    # One line a source: address, status, responses listed, fields filled, what to fix.
    met = next(line for line in result.output.splitlines() if line.startswith("met "))
    assert "succeeded" in met and "listed 4 " in met and "filled 100%" in met and "fix: nothing" in met
    empty = next(line for line in result.output.splitlines() if line.startswith("empty "))
    assert "failed" in empty and "listed 0" in empty and "fix: no response links found" in empty
    assert not (data / "foiwatch.sqlite3").exists()
    assert f"{'/foi-ai/metropolitan-police/disclosure-log/'}?page=2" not in soh_site.paths()
