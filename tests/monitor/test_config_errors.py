"""subscribers.yaml and settings.yaml mistakes are caught at load time, with file, line and fix.

Apprise URLs are checked by apprise itself, and no message or log line repeats a URL's secrets.
"""

from __future__ import annotations

import logging
import shutil
from pathlib import Path

import apprise
import pytest

from crawler.yamlconf import ConfigError
from monitor.config import load_config
from monitor.notify.apprise_urls import check_apprise_url
from tests.conftest import REPO, write_config

SECRET = "s3cretTok3n"
SUBSCRIBERS_HEAD = "subscribers:\n  - name: desk\n    urls:\n      - json://127.0.0.1:9/hook\n"


def _load_error(config: Path) -> ConfigError:
    with pytest.raises(ConfigError) as caught:
        load_config(config)
    return caught.value


@pytest.mark.parametrize(
    ("url", "problem", "fix"),
    [
        (
            f"slack://{SECRET}",
            "url slack://**** is not a slack:// URL apprise can read",
            "write it as apprise documents slack:// URLs (https://github.com/caronc/apprise/wiki)",
        ),
        (
            f"discord://{SECRET}",
            "url discord://**** is not a discord:// URL apprise can read",
            "write it as apprise documents discord:// URLs",
        ),
        (
            f"mailto://user:{SECRET}@",
            "url mailto://**** is not a mailto:// URL apprise can read",
            "write it as apprise documents mailto:// URLs",
        ),
        (
            f"slak://user:{SECRET}@hooks.example.org/",
            "url slak://**** names a service apprise does not know",
            "use one of the services listed at https://github.com/caronc/apprise/wiki",
        ),
        (
            f"{SECRET}@example.org",
            "a url is not an apprise URL (it has no 'scheme://' part)",
            "write it as an apprise URL such as mailto://user:password@example.org or json://host/path",
        ),
    ],
    ids=["slack-one-token", "discord-no-webhook-id", "mailto-no-host", "unknown-scheme", "no-scheme"],
)
def test_a_url_apprise_cannot_use_is_reported_at_its_line_without_its_secret(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, url: str, problem: str, fix: str
) -> None:
    config = write_config(tmp_path / "config", [])
    (config / "subscribers.yaml").write_text(f"{SUBSCRIBERS_HEAD}      - {url}\n", encoding="utf-8")
    with caplog.at_level(logging.DEBUG):
        error = _load_error(config)
    assert error.file == config / "subscribers.yaml"
    assert error.line == 5
    assert error.problem == f"subscribers.0.urls.1: {problem}"
    assert fix in (error.fix or "")
    assert SECRET not in str(error)
    # apprise logs the URLs it fails to load; those records must not reach the operator's log
    assert SECRET not in caplog.text


@pytest.mark.parametrize(
    "url",
    [
        "json://127.0.0.1:9",
        "json://127.0.0.1:9/hook",
        "mailto://user:app-password@example.org?to=newsroom@example.org",
        "slack://T1JJ3T3L2/A1BRTD4JD/TIiajkdnlazkcOXrIdevi7FQ",
    ],
)
def test_a_url_apprise_can_use_loads(tmp_path: Path, url: str) -> None:
    config = write_config(tmp_path / "config", [], subscribers=[{"name": "desk", "urls": [url]}])
    assert load_config(config).subscribers[0].urls == [url]


def test_apprise_still_logs_outside_the_load_time_check(caplog: pytest.LogCaptureFixture) -> None:
    """Delivery problems logged by apprise stay visible: only the check itself is silenced."""
    with pytest.raises(ValueError):
        check_apprise_url("discord://only-one-token")
    with caplog.at_level(logging.ERROR, logger="apprise"):
        assert apprise.Apprise.instantiate("discord://only-one-token", suppress_exceptions=True) is None
    assert "Could not load Discord URL" in caplog.text


@pytest.mark.parametrize(
    ("subscribers_yaml", "line", "first"),
    [
        (f"{SUBSCRIBERS_HEAD}  - name: desk\n    urls: [json://127.0.0.1:9/other]\n", 5, 2),
        (
            f"{SUBSCRIBERS_HEAD}  - name: news\n    urls: [json://127.0.0.1:9/n]\n"
            "  - urls: [json://127.0.0.1:9/again]\n    name: desk\n",
            8,
            2,
        ),
    ],
    ids=["second-entry", "name-not-first-key"],
)
def test_a_duplicate_subscriber_name_points_at_the_duplicate(
    tmp_path: Path, subscribers_yaml: str, line: int, first: int
) -> None:
    config = write_config(tmp_path / "config", [])
    (config / "subscribers.yaml").write_text(subscribers_yaml, encoding="utf-8")
    error = _load_error(config)
    assert error.file == config / "subscribers.yaml"
    assert error.line == line
    assert error.problem == f"subscriber name 'desk' appears twice (first at line {first})"
    assert error.fix == "give each subscriber a unique name"


@pytest.mark.parametrize(
    ("schedule", "problem"),
    [
        ("61 * * * *", "minute '61' is not valid (minute takes 0-59)"),
        ("every 0 hours", "the interval must be at least 1 hour"),
        ("weekly", "is neither 'every N minutes|hours|days' nor a 5-field cron expression"),
    ],
)
def test_a_bad_default_schedule_is_reported_in_settings_yaml(
    tmp_path: Path, schedule: str, problem: str
) -> None:
    config = write_config(tmp_path / "config", [])
    (config / "settings.yaml").write_text(
        f"service:\n  jitter_seconds: 10\n  default_schedule: '{schedule}'\n", encoding="utf-8"
    )
    error = _load_error(config)
    assert error.file == config / "settings.yaml"
    assert error.line == 3
    assert error.problem.startswith(f"service.default_schedule: schedule '{schedule}'")
    assert problem in error.problem
    assert error.fix == "use a 5-field cron expression such as '0 6 * * *' or 'every 6 hours'"


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        ("port: -1", "service.port: "),
        ("port: 70000", "service.port: "),
        ("host: 'not a host!'", "'not a host!' is neither an IP address nor a host name"),
        ("keep_runs_days: -1", "service.keep_runs_days: "),
        ("logging_format: json", "service.logging_format: "),
    ],
)
def test_service_address_and_retention_are_checked(tmp_path: Path, line: str, problem: str) -> None:
    config = write_config(tmp_path / "config", [])
    (config / "settings.yaml").write_text(f"service:\n  jitter_seconds: 10\n  {line}\n", encoding="utf-8")
    error = _load_error(config)
    assert (error.file, error.line) == (config / "settings.yaml", 3)
    assert problem in error.problem


def test_service_address_and_retention_defaults(tmp_path: Path) -> None:
    (tmp_path / "bare").mkdir()
    (tmp_path / "bare" / "sources.yaml").write_text("sources: []\n", encoding="utf-8")
    shutil.copy(REPO / "config" / "topics.yaml", tmp_path / "bare" / "topics.yaml")
    service = load_config(tmp_path / "bare").service  # no settings.yaml: the defaults
    assert (service.host, service.port, service.keep_runs_days) == ("127.0.0.1", 8080, 365)
    shipped = load_config(None)
    assert (shipped.service.host, shipped.service.port, shipped.logging.format) == ("127.0.0.1", 8080, "text")
