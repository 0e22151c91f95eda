"""The whole configuration folder: sources, topics, subscribers and settings, validated together."""

from __future__ import annotations

import ipaddress
import logging
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator

from crawler.config import (
    CrawlerSettings,
    SourceConfig,
    default_config_dir,
    load_crawler_settings,
    load_sources,
    parse_schedule,
)
from crawler.yamlconf import ConfigError, ConfigValueError, check_unique, read_yaml, validate
from monitor.notify.apprise_urls import check_apprise_url

log = logging.getLogger(__name__)
Weight = Annotated[float, Field(gt=0, le=1)]
_LABEL = r"[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_HOST_NAME = re.compile(rf"(?=.{{1,253}}$){_LABEL}(\.{_LABEL})*")


def _usable_by_apprise(url: str) -> str:
    check_apprise_url(url)
    return url


# Checked one by one, so an error points at the line of the bad URL, not of the list.
AppriseUrl = Annotated[str, AfterValidator(_usable_by_apprise)]


class OtherSense(BaseModel):
    """Another meaning of some of a topic's terms, shown by a cue word in the same sentence."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    terms: Annotated[list[str], Field(min_length=1)]
    cues: Annotated[list[str], Field(min_length=1)]


class Context(BaseModel):
    """A weak term that means the topic when its sentence holds a cue; it then counts at ``weight``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    terms: Annotated[list[str], Field(min_length=1)]
    cues: Annotated[list[str], Field(min_length=1)]
    weight: Weight


class PassingMention(BaseModel):
    """When mentions are too few and too far from the title to count as the text's subject."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    min_words: Annotated[int, Field(ge=0)] = 150
    max_mentions: Annotated[int, Field(ge=1)] = 2
    max_share: Annotated[float, Field(ge=0, le=1)] = 0.1  # of the text's sentences
    factor: Weight = 0.5  # the score is multiplied by this


class TopicConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    label: str = ""
    threshold: Annotated[float, Field(gt=0, le=1)] = 0.5
    terms: dict[str, Weight]
    vendors: list[str] = []
    vendor_weight: Weight = 0.4
    exclusions: dict[str, Weight] = {}
    other_senses: dict[str, OtherSense] = {}
    # name (completing "“cameras” here means ...") -> the context that raises a weak term
    contexts: dict[str, Context] = {}
    passing: PassingMention | None = None

    @field_validator("terms")
    @classmethod
    def _some_terms(cls, value: dict[str, float]) -> dict[str, float]:
        if not value:
            raise ValueError("a topic needs at least one term")
        return value


class TopicsFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    topics: dict[str, TopicConfig]


class SubscriberConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: Annotated[str, Field(min_length=1)]
    urls: list[AppriseUrl] = []
    # an apprise configuration file (relative paths are relative to the configuration folder)
    apprise_config: str | None = None
    tags: list[str] = []  # which entries of the apprise configuration to notify
    topics: list[str] = ["cctv"]
    authorities: list[str] = []
    enabled: bool = True
    admin: bool = False  # also told when a source breaks (see settings.yaml "health")
    sources: list[str] = []  # only these source ids (default: all)
    terms: list[str] = []  # only responses mentioning one of these words or phrases
    cadence: Literal["immediate", "daily", "weekly"] = "immediate"
    updates: bool = False  # also told when a followed response changes

    @model_validator(mode="after")
    def _somewhere_to_send(self) -> SubscriberConfig:
        if not self.urls and not self.apprise_config:
            raise ValueError("give 'urls' (apprise URLs) or 'apprise_config' (an apprise configuration file)")
        return self


class SubscribersFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    subscribers: list[SubscriberConfig] | None = []


class ServiceSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    default_schedule: str = "every 6 hours"
    jitter_seconds: Annotated[int, Field(ge=0)] = 300
    misfire_grace_seconds: Annotated[int, Field(gt=0)] = 3600
    delivery_interval_seconds: Annotated[int, Field(gt=0)] = 60
    crawl_timeout_seconds: Annotated[int, Field(gt=0)] = 3600
    # crawls running at once, each in a process of its own (sources on one host still take turns);
    # read at start (docs/sizing.md says how many a number of sources needs)
    max_concurrent_crawls: Annotated[int, Field(gt=0, le=256)] = 4
    # a source's first crawl after it is added starts within this many seconds (spreads the load)
    first_crawl_within_seconds: Annotated[int, Field(ge=0)] = 30
    # no schedule may poll a source more often than this
    min_interval_seconds: Annotated[int, Field(gt=0)] = 60
    # the web pages, API and feeds (foiwatch serve; foiwatch run serves them too unless web is false)
    host: str = "127.0.0.1"
    port: Annotated[int, Field(ge=0, le=65535)] = 8080  # 0: any free port (said in the log)
    web: bool = True
    # crawl run records older than this many days are deleted (0: kept for ever), but never one a
    # stored response or version points at, nor a source's latest successful run
    keep_runs_days: Annotated[int, Field(ge=0)] = 365

    @field_validator("host")
    @classmethod
    def _host(cls, value: str) -> str:
        try:
            ipaddress.ip_address(value)
        except ValueError:
            if not _HOST_NAME.fullmatch(value):
                raise ValueError(
                    f"{value!r} is neither an IP address nor a host name; use 127.0.0.1 (this machine only) "
                    "or 0.0.0.0 (every interface)"
                ) from None
        return value

    @field_validator("default_schedule")
    @classmethod
    def _schedule(cls, value: str) -> str:
        parse_schedule(value)
        return value

    @model_validator(mode="after")
    def _default_not_too_often(self) -> ServiceSettings:
        seconds = interval_seconds(self.default_schedule)
        if seconds is not None and seconds < self.min_interval_seconds:
            raise ValueError(
                f"default_schedule polls every {seconds:g} s, more often than min_interval_seconds "
                f"({self.min_interval_seconds})"
            )
        return self


def interval_seconds(schedule: str) -> float | None:
    """Seconds between runs of an ``every N ...`` schedule; None for cron (at most once a minute)."""
    trigger = parse_schedule(schedule)
    if trigger["trigger"] != "interval":
        return None
    units = {"seconds": 1, "minutes": 60, "hours": 3600, "days": 86400}
    return float(sum(float(str(trigger.get(unit, 0))) * factor for unit, factor in units.items()))


class NotificationSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    max_attempts: Annotated[int, Field(gt=0)] = 8
    backoff_base_seconds: Annotated[float, Field(gt=0)] = 60
    backoff_cap_seconds: Annotated[float, Field(gt=0)] = 21600
    timeout_seconds: Annotated[float, Field(gt=0)] = 30
    # digests go out at this local time (Europe/London); weekly ones on this day
    digest_time: Annotated[str, Field(pattern=r"^([01]\d|2[0-3]):[0-5]\d$")] = "08:00"
    digest_weekday: Literal["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"] = (
        "monday"
    )


class HealthSettings(BaseModel):
    """When a source counts as broken, and when admins hear about it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    alert_after_runs: Annotated[int, Field(gt=0)] = 3
    history_runs: Annotated[int, Field(gt=0)] = 5
    min_listed_ratio: Annotated[float, Field(gt=0, le=1)] = 0.5
    min_field_ratio: Annotated[float, Field(gt=0, le=1)] = 0.5


class ArchiveSettings(BaseModel):
    """The evidence archive: original bytes of the pages and attachments behind each new version."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    enabled: bool = True
    # copies fetched longer ago than this are forgotten and their bytes removed; 0 keeps them all
    retention_days: Annotated[int, Field(ge=0)] = 0


class LoggingSettings(BaseModel):
    """How the service and the commands log (``--log-format`` on the command line wins)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    format: Literal["text", "json"] = "text"


def _node_url(url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigValueError(f"{url!r} is not a Scrapyd address", "use one such as http://127.0.0.1:6800")
    if parts.username or parts.password:
        raise ConfigValueError(
            "a Scrapyd address may not carry credentials (they would be shown and logged with it)",
            "give them as executor.username and executor.password",
        )
    return url.rstrip("/")


# Checked one by one, so an error points at the line of the bad address.
NodeUrl = Annotated[str, AfterValidator(_node_url)]


class ExecutorSettings(BaseModel):
    """Where crawls run: ``local`` (a subprocess beside the service) or ``scrapyd`` (the least busy
    of ``urls``, through Scrapyd's JSON API; see ``monitor.service.scrapyd``)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: Literal["local", "scrapyd"] = "local"
    urls: list[NodeUrl] = []
    project: Annotated[str, Field(pattern=r"^[A-Za-z0-9_.-]+$")] = "foiwatch"
    # HTTP basic authentication, if the nodes ask for it (Scrapyd's username and password); the
    # password may come from FOIWATCH_SCRAPYD_PASSWORD instead of this file
    username: str | None = None
    password: SecretStr | None = None
    # how often a crawl's node is asked how the job stands
    poll_seconds: Annotated[float, Field(gt=0)] = 5.0
    # a node that does not answer for this long during a crawl is taken for dead: the run fails
    lost_after_seconds: Annotated[float, Field(gt=0)] = 60.0
    request_timeout_seconds: Annotated[float, Field(gt=0)] = 10.0

    @model_validator(mode="after")
    def _nodes_named(self) -> ExecutorSettings:
        if self.kind == "scrapyd" and not self.urls:
            raise ConfigValueError(
                "the scrapyd executor needs at least one node",
                "list the nodes' addresses under executor.urls, e.g. [http://127.0.0.1:6800]",
            )
        return self


class SettingsFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    crawler: dict[str, object] = {}
    service: ServiceSettings = ServiceSettings()
    notifications: NotificationSettings = NotificationSettings()
    health: HealthSettings = HealthSettings()
    archive: ArchiveSettings = ArchiveSettings()
    logging: LoggingSettings = LoggingSettings()
    executor: ExecutorSettings = ExecutorSettings()


@dataclass(frozen=True)
class Config:
    directory: Path
    sources: list[SourceConfig]
    topics: dict[str, TopicConfig]
    subscribers: list[SubscriberConfig]
    crawler: CrawlerSettings
    service: ServiceSettings
    notifications: NotificationSettings
    health: HealthSettings
    archive: ArchiveSettings = ArchiveSettings()
    logging: LoggingSettings = LoggingSettings()
    executor: ExecutorSettings = ExecutorSettings()

    def source(self, source_id: str) -> SourceConfig:
        for source in self.sources:
            if source.id == source_id:
                return source
        known = ", ".join(s.id for s in self.sources) or "none"
        raise ConfigError(
            self.directory / "sources.yaml", None, f"no source {source_id!r}", f"known: {known}"
        )


def _load_topics(directory: Path) -> dict[str, TopicConfig]:
    file = directory / "topics.yaml"
    data, lines = read_yaml(file)
    return validate(file, data or {}, lines, TopicsFile).topics


def _load_subscribers(directory: Path, topics: dict[str, TopicConfig]) -> list[SubscriberConfig]:
    file = directory / "subscribers.yaml"
    if not file.exists():
        return []
    data, lines = read_yaml(file)
    subscribers = validate(file, data or {}, lines, SubscribersFile).subscribers or []
    check_unique(file, lines, ("subscribers",), "name", [s.name for s in subscribers], "subscriber")
    for index, subscriber in enumerate(subscribers):
        line = lines.get(("subscribers", index))
        for topic in subscriber.topics:
            if topic not in topics:
                raise ConfigError(
                    file,
                    line,
                    f"subscriber {subscriber.name!r} follows unknown topic {topic!r}",
                    f"use one of: {', '.join(sorted(topics))}",
                )
    return subscribers


def subscriber_location(directory: Path, name: str) -> str:
    """Where subscribers.yaml defines subscriber ``name``: ``file:line``, or the file when not found."""
    file = directory / "subscribers.yaml"
    data, lines = read_yaml(file)
    entries = data.get("subscribers") if isinstance(data, dict) else None
    for index, entry in enumerate(entries or []):
        if isinstance(entry, dict) and entry.get("name") == name:
            line = lines.get(("subscribers", index, "name"))
            return f"{file}:{line}" if line else str(file)
    return str(file)


def _load_settings(directory: Path) -> SettingsFile:
    file = directory / "settings.yaml"
    if not file.exists():
        return SettingsFile()
    data, lines = read_yaml(file)
    return validate(file, data or {}, lines, SettingsFile)


def _check_intervals(directory: Path, sources: list[SourceConfig], settings: ServiceSettings) -> None:
    """No source is polled more often than ``service.min_interval_seconds`` (politeness)."""
    file = directory / "sources.yaml"
    for index, source in enumerate(sources):
        seconds = interval_seconds(source.schedule) if source.schedule else None
        if seconds is not None and seconds < settings.min_interval_seconds:
            _, lines = read_yaml(file)
            raise ConfigError(
                file,
                lines.get(("sources", index, "schedule")) or lines.get(("sources", index)),
                f"source {source.id!r} would be crawled every {seconds:g} s",
                f"use 'every {max(1, settings.min_interval_seconds // 60)} minutes' or longer "
                "(service.min_interval_seconds in settings.yaml sets the floor)",
            )


def load_config(directory: Path | None = None) -> Config:
    """Load and validate every file of a configuration folder; raises ``ConfigError``."""
    directory = Path(directory) if directory else default_config_dir()
    if not directory.is_dir():
        raise ConfigError(
            directory, None, "configuration folder not found", "pass --config DIR with sources.yaml in it"
        )
    topics = _load_topics(directory)
    settings = _load_settings(directory)
    sources = load_sources(directory)
    _check_intervals(directory, sources, settings.service)
    return Config(
        directory=directory,
        sources=sources,
        topics=topics,
        subscribers=_load_subscribers(directory, topics),
        crawler=load_crawler_settings(directory),
        service=settings.service,
        notifications=settings.notifications,
        health=settings.health,
        archive=settings.archive,
        logging=settings.logging,
        executor=settings.executor,
    )


def check_executor(config: Config, database_url: str) -> None:
    """The scrapyd executor needs a database every node reaches: a SQLite file is on one machine.

    A SQLite file is refused unless every node is on this machine (loopback addresses), where it
    works but is said in the log; raises ``ConfigError`` at ``executor.kind`` otherwise.
    """
    executor = config.executor
    if executor.kind != "scrapyd" or not database_url.startswith("sqlite"):
        return
    if all(_is_loopback(url) for url in executor.urls):
        log.warning("the scrapyd nodes share a SQLite file: they must all run on this machine")
        return
    file = config.directory / "settings.yaml"
    _, lines = read_yaml(file)
    raise ConfigError(
        file,
        lines.get(("executor", "kind")),
        "executor.kind: scrapyd nodes on other machines cannot reach a SQLite database",
        "use PostgreSQL (--db or FOIWATCH_DATABASE_URL, e.g. postgresql+psycopg://user@host/foiwatch), "
        "the same URL in each node's FOIWATCH_DATABASE_URL",
    )


def _is_loopback(url: str) -> bool:
    host = urlsplit(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
