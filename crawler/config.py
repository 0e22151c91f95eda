"""Crawler configuration: ``sources.yaml`` and the ``crawler`` section of ``settings.yaml``.

The shipped configuration lives in the repository's ``config/`` folder and is installed with the
package as ``foiwatch_config``, so it is found from a checkout and from an installed wheel alike.
"""

from __future__ import annotations

import importlib
import os
import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Literal

from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from pydantic import BaseModel, ConfigDict, Field, field_validator

from crawler.yamlconf import ConfigError, ConfigValueError, check_unique, read_yaml, validate


@dataclass(frozen=True)
class Platform:
    """Where a platform's spider lives, and the pydantic model of its per-source ``options``."""

    spider: str
    options: str = "crawler.platforms.base.NoOptions"
    description: str = ""
    # hosts every source of the platform may fetch from besides its own (GOV.UK's asset host)
    hosts: tuple[str, ...] = ()


# Platform id -> spider and options model, as dotted paths imported only when needed: an explicit
# table, not a registry built by metaclasses. Options models live in crawler.platforms.* (no Scrapy).
PLATFORMS: dict[str, Platform] = {
    "police_soh": Platform(
        "crawler.spiders.police_soh.PoliceSohSpider",
        "crawler.platforms.base.ListDetailOptions",
        "police forces on the Single Online Home site shell",
    ),
    "alaveteli": Platform(
        "crawler.spiders.alaveteli.AlaveteliSpider",
        "crawler.platforms.alaveteli.AlaveteliOptions",
        "WhatDoTheyKnow and other Alaveteli sites: Atom feeds, request pages and their JSON",
    ),
    "govuk": Platform(
        "crawler.spiders.govuk.GovukSpider",
        "crawler.platforms.govuk.GovukOptions",
        "GOV.UK FOI releases: search API and content API",
        ("assets.publishing.service.gov.uk",),
    ),
    "html_log": Platform(
        "crawler.spiders.html_log.HtmlLogSpider",
        "crawler.platforms.html_log.HtmlLogOptions",
        "council disclosure logs described in YAML: listing, link pattern, pagination, field patterns",
    ),
    "page_per_response": Platform(
        "crawler.spiders.page_per_response.PagePerResponseSpider",
        "crawler.platforms.page_per_response.PagePerResponseOptions",
        "one page per response with question and answer headings (ONS, TfL, The National Archives)",
    ),
    "feed": Platform(
        "crawler.spiders.feed.FeedSpider",
        "crawler.platforms.feed.FeedOptions",
        "RSS or Atom disclosure logs",
    ),
    "data_file": Platform(
        "crawler.spiders.data_file.DataFileSpider",
        "crawler.platforms.data_file.DataFileOptions",
        "CSV or XLSX disclosure logs with a per-source column map",
    ),
    "icasework": Platform(
        "crawler.spiders.icasework.IcaseworkSpider",
        "crawler.platforms.icasework.IcaseworkOptions",
        "Civica iCasework getcases API (XML or JSON)",
    ),
}


def options_model(platform: str) -> type[BaseModel]:
    module, _, name = PLATFORMS[platform].options.rpartition(".")
    model = getattr(importlib.import_module(module), name)
    assert isinstance(model, type) and issubclass(model, BaseModel)
    return model


_EVERY = re.compile(r"^every\s+(\d+)\s*(second|minute|hour|day)s?$", re.IGNORECASE)
_SLUG = re.compile(r"^[a-z0-9][a-z0-9_-]{0,99}$")
_HOST = re.compile(r"^[A-Za-z0-9.-]+(:\d{1,5})?$")


def default_config_dir() -> Path:
    """``FOIWATCH_CONFIG`` if set, else the configuration shipped with the package."""
    env = os.environ.get("FOIWATCH_CONFIG")
    if env:
        return Path(env)
    return Path(str(resources.files("foiwatch_config")))


SCHEDULE_FIX = "use a 5-field cron expression such as '0 6 * * *' or 'every 6 hours'"
# The five crontab fields in order, each with the values APScheduler 3 takes (its weeks start on Monday).
_CRON_FIELDS = {
    "minute": "0-59",
    "hour": "0-23",
    "day": "1-31",
    "month": "1-12 or jan-dec",
    "day_of_week": "0-7 or sun-sat, 0 and 7 being Sunday as in crontab",
}
_WEEKDAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat", "sun")


def crontab_weekdays(value: str) -> str:
    """A crontab day-of-week field (0 and 7 are Sunday) in APScheduler 3's terms, whose numbers
    start at Monday: numeric days and ranges become names (``1-5`` is ``mon,tue,wed,thu,fri``,
    ``0-6`` every day), so a schedule runs on the days crontab would run it."""

    def days(match: re.Match[str]) -> str:
        first, last, step = int(match.group(1)), int(match.group(2) or match.group(1)), match.group(3)
        picked = range(first, last + 1, int(step) if step else 1)
        return ",".join(dict.fromkeys(_WEEKDAYS[day] for day in picked))

    return re.sub(r"(?<![/\d])([0-7])(?:-([0-7]))?(?:/(\d+))?(?!\d)", days, value)


def parse_schedule(text: str) -> dict[str, object]:
    """Turn ``every 6 hours`` or a five-field cron expression into APScheduler trigger arguments.

    Each value is checked by APScheduler itself, so what passes here cannot fail when the service
    schedules it; a bad one raises ``ConfigValueError`` saying which field is wrong and why. Seconds
    are accepted; ``service.min_interval_seconds`` (60 by default) keeps real sources from being
    polled that often.
    """
    text = text.strip()
    match = _EVERY.match(text)
    if match:
        return _interval(text, int(match.group(1)), match.group(2).lower())
    fields = text.split()
    if len(fields) != len(_CRON_FIELDS):
        raise ConfigValueError(
            f"schedule {text!r} is neither 'every N minutes|hours|days' nor a 5-field cron expression",
            SCHEDULE_FIX,
        )
    cron = dict(zip(_CRON_FIELDS, fields, strict=True))
    cron["day_of_week"] = crontab_weekdays(cron["day_of_week"])
    for name, value in cron.items():
        _check_cron_field(text, name, value)
    return {"trigger": "cron", **cron}


def _interval(text: str, amount: int, unit: str) -> dict[str, object]:
    if amount <= 0:
        raise ConfigValueError(f"schedule {text!r}: the interval must be at least 1 {unit}", SCHEDULE_FIX)
    trigger = {f"{unit}s": amount}
    try:
        IntervalTrigger(timezone="UTC", **trigger)
    except (ValueError, OverflowError) as exc:
        raise ConfigValueError(f"schedule {text!r}: the interval is too long", SCHEDULE_FIX) from exc
    return {"trigger": "interval", **trigger}


def _check_cron_field(text: str, name: str, value: str) -> None:
    try:
        CronTrigger(timezone="UTC", **{name: value})
    except ValueError as exc:
        # APScheduler names the value but not the field: say which field, and what it takes.
        reason = re.sub(r"^Error validating expression '[^']*': ", "", str(exc))
        label = name.replace("_", " ")
        raise ConfigValueError(
            f"schedule {text!r}: {label} {value!r} is not valid ({label} takes {_CRON_FIELDS[name]}): "
            f"{reason}",
            SCHEDULE_FIX,
        ) from exc


class SourceConfig(BaseModel):
    """One disclosure log to watch."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: Annotated[str, Field(min_length=1)]
    platform: str
    authority: Annotated[str, Field(min_length=1)]
    url: str
    schedule: str | None = None
    enabled: bool = True
    may_be_empty: bool = False
    max_pages: Annotated[int, Field(gt=0)] = 200
    # other hosts this source may fetch from (a CDN for its letters), as host or host:port
    allowed_hosts: list[str] = []
    options: dict[str, Any] = {}
    # What the address rests on: a stored copy of the log or its pages, or a landing page from which
    # the crawl finds the log itself. Shown to operators; required of police sources by the tests.
    basis: str | None = None

    @field_validator("id")
    @classmethod
    def _slug(cls, value: str) -> str:
        if not _SLUG.match(value):
            raise ValueError(f"id {value!r} must be lower-case letters, digits, '-' or '_'")
        return value

    @field_validator("platform")
    @classmethod
    def _known_platform(cls, value: str) -> str:
        if value not in PLATFORMS:
            raise ValueError(f"unknown platform {value!r}; known platforms: {', '.join(sorted(PLATFORMS))}")
        return value

    @field_validator("url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if not re.match(r"^https?://[^/\s]+", value):
            raise ValueError(f"url {value!r} must be an absolute http(s) address")
        return value

    @field_validator("allowed_hosts")
    @classmethod
    def _host_names(cls, value: list[str]) -> list[str]:
        for host in value:
            if not _HOST.match(host):
                raise ValueError(f"{host!r} is not a host name such as cdn.example.gov.uk (or host:port)")
        return [host.lower() for host in value]

    @field_validator("schedule")
    @classmethod
    def _valid_schedule(cls, value: str | None) -> str | None:
        if value is not None:
            parse_schedule(value)
        return value


class SourcesFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    sources: list[SourceConfig] = []


class CrawlerSettings(BaseModel):
    """Politeness and limits, from the ``crawler`` section of ``settings.yaml``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    contact: Annotated[str, Field(min_length=3)] = "foiwatch-operator@example.org"
    download_delay: Annotated[float, Field(ge=0)] = 2.0
    concurrent_requests_per_domain: Annotated[int, Field(gt=0)] = 2
    autothrottle_target_concurrency: Annotated[float, Field(gt=0)] = 1.0
    download_timeout: Annotated[int, Field(gt=0)] = 60
    max_download_bytes: Annotated[int, Field(gt=0)] = 20_000_000
    retry_times: Annotated[int, Field(ge=0)] = 2
    http_cache: bool = True
    # How long a site's robots.txt is used without asking again when the site gives no freshness of
    # its own (RFC 9309 allows up to 24 hours; 0: ask at every crawl). Needs http_cache.
    robots_txt_cache_hours: Annotated[float, Field(ge=0, le=24)] = 24.0
    full_crawl_every_hours: Annotated[float, Field(ge=0)] = 24.0
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"

    def user_agent(self) -> str:
        from crawler import __version__

        return f"foiwatch/{__version__} (FOI disclosure-log monitor; contact: {self.contact})"


def load_sources(config_dir: Path) -> list[SourceConfig]:
    """Read and validate ``sources.yaml``; raises ``ConfigError`` naming file, line and fix."""
    file = config_dir / "sources.yaml"
    data, lines = read_yaml(file)
    if data is None:
        return []
    if not isinstance(data, dict):
        raise ConfigError(
            file, 1, "expected a mapping with a 'sources:' list", "start the file with 'sources:'"
        )
    sources = validate(file, data, lines, SourcesFile).sources
    check_unique(file, lines, ("sources",), "id", [s.id for s in sources], "source")
    for index, source in enumerate(sources):
        # Each platform checks its own options, so a mistake there is reported at its line too.
        validate(
            file, source.options, lines, options_model(source.platform), root=("sources", index, "options")
        )
    return sources


def source_options(source: SourceConfig) -> BaseModel:
    """The source's ``options`` as its platform's validated model."""
    return options_model(source.platform).model_validate(source.options)


def load_crawler_settings(config_dir: Path) -> CrawlerSettings:
    file = config_dir / "settings.yaml"
    if not file.exists():
        return CrawlerSettings()
    data, lines = read_yaml(file)
    section = (data or {}).get("crawler", {}) if isinstance(data, dict) else {}
    return validate(file, section or {}, lines, CrawlerSettings, root=("crawler",))
