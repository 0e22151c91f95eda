"""SQLAlchemy models: what foiwatch keeps.

One logical FOI response (``Response``) has one or more ``ResponseVersion`` rows; a new version is
written only when the normalised content hash changes, so the history is complete and compact.
``Notification`` is an outbox: one row per subscriber and event, unique, so nothing is sent twice.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    false,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


class UTCDateTime(TypeDecorator[datetime]):
    """Stores naive UTC, returns aware UTC: SQLite keeps no time zone, PostgreSQL gets the same."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC)


class Base(DeclarativeBase):
    type_annotation_map = {datetime: UTCDateTime, dict[str, Any]: JSON, list[Any]: JSON}


class Source(Base):
    __tablename__ = "sources"

    id: Mapped[str] = mapped_column(String(100), primary_key=True)
    platform: Mapped[str] = mapped_column(String(50))
    authority: Mapped[str] = mapped_column(String(300))
    url: Mapped[str] = mapped_column(Text)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class CrawlRun(Base):
    """One crawl of one source. ``status`` is running, succeeded, failed or interrupted.

    ``complete`` means the run read the whole listing fresh and every listed response with it, so
    a response it did not see is no longer published: only such a run may infer a withdrawal.
    """

    __tablename__ = "crawl_runs"
    __table_args__ = (
        # At most one running crawl per source, enforced by the database itself.
        Index(
            "uq_crawl_runs_one_running",
            "source_id",
            unique=True,
            sqlite_where=text("status = 'running'"),
            postgresql_where=text("status = 'running'"),
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source_id: Mapped[str] = mapped_column(ForeignKey("sources.id"), index=True)
    started_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]
    status: Mapped[str] = mapped_column(String(20), default="running")
    mode: Mapped[str] = mapped_column(String(20), default="full")
    complete: Mapped[bool] = mapped_column(Boolean, default=False)
    pages_fetched: Mapped[int] = mapped_column(Integer, default=0)
    items: Mapped[int] = mapped_column(Integer, default=0)
    invalid_items: Mapped[int] = mapped_column(Integer, default=0)
    errors: Mapped[int] = mapped_column(Integer, default=0)
    new_count: Mapped[int] = mapped_column(Integer, default=0)
    changed_count: Mapped[int] = mapped_column(Integer, default=0)
    withdrawn_count: Mapped[int] = mapped_column(Integer, default=0)
    error_summary: Mapped[str | None] = mapped_column(Text)
    diffed: Mapped[bool] = mapped_column(Boolean, default=False)
    listed: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # field name -> how many stored items had it, e.g. {"reference": 12, "published": 11}
    fields_filled: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict, server_default="{}")
    health_problem: Mapped[str | None] = mapped_column(Text)
    # The address the log was read from: the source's URL, or the log found from its landing page.
    start_address: Mapped[str | None] = mapped_column(Text)
    pid: Mapped[int | None]
    host: Mapped[str | None] = mapped_column(String(255))
    # The Scrapyd node the crawl ran on (its address, without credentials); None: beside the service.
    node: Mapped[str | None] = mapped_column(String(300))
    # Failed for a reason that is not the site's (no crawl process, no Scrapyd node took the crawl,
    # its node was lost): says nothing about the source's health (monitor.service.health).
    executor_failed: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())


class SourceHealth(Base):
    """Whether a source's recent runs look right; an alert goes out once per unhealthy spell."""

    __tablename__ = "source_health"

    source_id: Mapped[str] = mapped_column(ForeignKey("sources.id"), primary_key=True)
    status: Mapped[str] = mapped_column(String(20), default="healthy")
    consecutive_bad: Mapped[int] = mapped_column(Integer, default=0)
    last_problem: Mapped[str | None] = mapped_column(Text)
    bad_since_run_id: Mapped[int | None] = mapped_column(ForeignKey("crawl_runs.id"))
    alerted_at: Mapped[datetime | None]
    updated_at: Mapped[datetime]


class Response(Base):
    """One logical FOI response, unique per source and key (normalised reference, else canonical URL)."""

    __tablename__ = "responses"
    __table_args__ = (
        UniqueConstraint("source_id", "key", name="uq_responses_source_key"),
        # a page is its response: looked up by address on every store
        Index("ix_responses_source_url", "source_id", "url"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source_id: Mapped[str] = mapped_column(ForeignKey("sources.id"), index=True)
    key: Mapped[str] = mapped_column(String(500))
    reference: Mapped[str | None] = mapped_column(String(200))
    url: Mapped[str] = mapped_column(Text)
    first_seen: Mapped[datetime]
    last_seen: Mapped[datetime]
    first_run_id: Mapped[int | None] = mapped_column(ForeignKey("crawl_runs.id"))
    last_run_id: Mapped[int | None] = mapped_column(ForeignKey("crawl_runs.id"))
    # the last run whose listing named this response, read or not (a 404, an unreadable page)
    last_listed_run_id: Mapped[int | None] = mapped_column(ForeignKey("crawl_runs.id"))
    withdrawn_at: Mapped[datetime | None]
    current_hash: Mapped[str] = mapped_column(String(64))

    versions: Mapped[list[ResponseVersion]] = relationship(
        back_populates="response", order_by="ResponseVersion.id", cascade="all, delete-orphan"
    )


class ResponseVersion(Base):
    __tablename__ = "response_versions"
    # A page's old addresses are looked up by address when a new response is stored (``_lookup``):
    # without this index that lookup read every version of the source. Hash on PostgreSQL: equality
    # is all it serves, and a btree entry cannot hold an address longer than about 2,700 bytes.
    __table_args__ = (Index("ix_response_versions_url", "url", postgresql_using="hash"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    response_id: Mapped[int] = mapped_column(ForeignKey("responses.id"), index=True)
    content_hash: Mapped[str] = mapped_column(String(64))
    authority: Mapped[str] = mapped_column(String(300))
    title: Mapped[str] = mapped_column(Text)
    url: Mapped[str] = mapped_column(Text)
    published: Mapped[date | None] = mapped_column(Date)
    # where ``published`` came from: storage.records.DATE_SOURCES; NULL on versions stored before 0006
    date_source: Mapped[str | None] = mapped_column(String(20))
    request_text: Mapped[str] = mapped_column(Text, default="")
    response_text: Mapped[str] = mapped_column(Text, default="")
    outcome: Mapped[str | None] = mapped_column(String(40))
    exemptions: Mapped[list[Any]] = mapped_column(JSON, default=list)
    first_seen: Mapped[datetime]
    last_seen: Mapped[datetime]
    first_run_id: Mapped[int | None] = mapped_column(ForeignKey("crawl_runs.id"), index=True)

    response: Mapped[Response] = relationship(back_populates="versions")
    attachments: Mapped[list[Attachment]] = relationship(
        back_populates="version", cascade="all, delete-orphan", order_by="Attachment.id"
    )
    topic_matches: Mapped[list[TopicMatch]] = relationship(
        back_populates="version", cascade="all, delete-orphan"
    )
    facts: Mapped[ResponseFacts | None] = relationship(viewonly=True)


class Attachment(Base):
    __tablename__ = "attachments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("response_versions.id"), index=True)
    url: Mapped[str] = mapped_column(Text)
    name: Mapped[str] = mapped_column(Text, default="")
    content_type: Mapped[str | None] = mapped_column(String(200))
    size: Mapped[int | None]
    text: Mapped[str | None] = mapped_column(Text)
    error: Mapped[str | None] = mapped_column(Text)

    version: Mapped[ResponseVersion] = relationship(back_populates="attachments")


class TopicMatch(Base):
    """A classifier's verdict on one version for one topic, kept per classifier version."""

    __tablename__ = "topic_matches"
    __table_args__ = (UniqueConstraint("version_id", "topic", "classifier_version", name="uq_topic_matches"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("response_versions.id"), index=True)
    topic: Mapped[str] = mapped_column(String(100), index=True)
    matched: Mapped[bool] = mapped_column(Boolean)
    score: Mapped[float] = mapped_column(Float)
    terms: Mapped[list[Any]] = mapped_column(JSON, default=list)
    snippets: Mapped[list[Any]] = mapped_column(JSON, default=list)
    classifier_version: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime]

    version: Mapped[ResponseVersion] = relationship(back_populates="topic_matches")


class Subscriber(Base):
    """A subscriber as configured; ``urls`` are apprise URLs and are never logged unredacted."""

    __tablename__ = "subscribers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    urls: Mapped[list[Any]] = mapped_column(JSON, default=list)
    topics: Mapped[list[Any]] = mapped_column(JSON, default=list)
    authorities: Mapped[list[Any]] = mapped_column(JSON, default=list)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # "config" rows mirror subscribers.yaml; rows added from the command line are left alone by it.
    origin: Mapped[str] = mapped_column(String(20), default="config")
    # admins are told when a source breaks (source health), whatever topics they follow
    admin: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # immediate, daily or weekly (digests go out at the configured local time)
    cadence: Mapped[str] = mapped_column(String(20), default="immediate", server_default="immediate")
    sources: Mapped[list[Any]] = mapped_column(JSON, default=list, server_default="[]")
    terms: Mapped[list[Any]] = mapped_column(JSON, default=list, server_default="[]")
    # also told when a followed response changes (text edited, attachment added)
    updates: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    muted_until: Mapped[datetime | None]
    # an apprise configuration file (YAML or text) instead of, or besides, urls; tags pick its entries
    apprise_config: Mapped[str | None] = mapped_column(Text)
    tags: Mapped[list[Any]] = mapped_column(JSON, default=list, server_default="[]")
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class ResponseFacts(Base):
    """Facts read from one version: vendors, camera counts and types, money, contract dates."""

    __tablename__ = "response_facts"

    version_id: Mapped[int] = mapped_column(ForeignKey("response_versions.id"), primary_key=True)
    facts: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # "|hikvision|axon|": lets `foiwatch facts --vendor` filter in SQL on any backend
    vendor_index: Mapped[str] = mapped_column(Text, default="", index=False)
    extractor_version: Mapped[str] = mapped_column(String(50))
    created_at: Mapped[datetime]


class Notification(Base):
    """Outbox row. ``status``: pending, sending, sent, failed (will retry) or dead (gave up)."""

    __tablename__ = "notifications"
    __table_args__ = (
        UniqueConstraint("subscriber_id", "event_key", name="uq_notifications_subscriber_event"),
        Index("ix_notifications_due", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    subscriber_id: Mapped[int] = mapped_column(ForeignKey("subscribers.id"), index=True)
    event_key: Mapped[str] = mapped_column(String(300))
    event: Mapped[str] = mapped_column(String(20))
    response_id: Mapped[int | None] = mapped_column(ForeignKey("responses.id"))
    version_id: Mapped[int | None] = mapped_column(ForeignKey("response_versions.id"))
    run_id: Mapped[int | None] = mapped_column(ForeignKey("crawl_runs.id"))
    topic: Mapped[str] = mapped_column(String(100))
    title: Mapped[str] = mapped_column(Text)
    body: Mapped[str] = mapped_column(Text)
    # the same message as HTML (scraped text escaped), for channels that show it (e-mail)
    body_html: Mapped[str | None] = mapped_column(Text)
    # a message folded into a digest points at the digest's row
    digest_id: Mapped[int | None] = mapped_column(ForeignKey("notifications.id"))
    status: Mapped[str] = mapped_column(String(20), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime]
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]
    # "pid@host" of the process sending it: a row left ``sending`` is requeued only once that
    # process is gone, so a slow send is never repeated by a second worker
    claimed_by: Mapped[str | None] = mapped_column(String(300))


class RunProblem(Base):
    """Something that went wrong in a run, in words: a page that failed, a link refused, a response
    that could not be classified. ``stage`` says where (listing, page, attachment, link, classify...)."""

    __tablename__ = "run_problems"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("crawl_runs.id"), index=True)
    stage: Mapped[str] = mapped_column(String(30))
    url: Mapped[str | None] = mapped_column(Text)
    cause: Mapped[str] = mapped_column(Text)
    response_id: Mapped[int | None] = mapped_column(ForeignKey("responses.id"))
    created_at: Mapped[datetime]


class ServiceLock(Base):
    """Which ``foiwatch run`` process serves this database; a second one is refused."""

    __tablename__ = "service_locks"

    name: Mapped[str] = mapped_column(String(50), primary_key=True)
    pid: Mapped[int]
    host: Mapped[str] = mapped_column(String(255))
    started_at: Mapped[datetime]
    heartbeat_at: Mapped[datetime]


class ResponseIndex(Base):
    """What search and the read side filter on: one row per response, from its current version.

    Derived data, rebuilt from the tables above at any time (``storage.search.refresh_index``). The
    words themselves are indexed beside it: an FTS5 table on SQLite, a ``tsvector`` column with a GIN
    index on PostgreSQL (migration 0008); neither is mapped here because neither is portable.
    The ``|a|b|`` columns hold lists that a LIKE can look into on both databases.
    """

    __tablename__ = "response_index"

    response_id: Mapped[int] = mapped_column(ForeignKey("responses.id", ondelete="CASCADE"), primary_key=True)
    version_id: Mapped[int] = mapped_column(Integer)
    version_count: Mapped[int] = mapped_column(Integer, default=1)
    source_id: Mapped[str] = mapped_column(String(100), index=True)
    authority: Mapped[str] = mapped_column(String(300), index=True)
    reference: Mapped[str | None] = mapped_column(String(200))
    title: Mapped[str] = mapped_column(Text)
    url: Mapped[str] = mapped_column(Text)
    published: Mapped[date | None] = mapped_column(Date, index=True)
    date_source: Mapped[str | None] = mapped_column(String(20))
    outcome: Mapped[str | None] = mapped_column(String(40))
    topics: Mapped[str] = mapped_column(Text, default="|")
    exemptions: Mapped[str] = mapped_column(Text, default="|")
    vendors: Mapped[str] = mapped_column(Text, default="|")
    # when the current version was first seen: a changed response counts as recent again
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)


class ArchivedCopy(Base):
    """The original bytes of a fetched page or attachment, kept as evidence of what it said.

    One row per version (or attachment of a version) whose fetch was archived; the bytes are the
    blob named ``sha256`` under ``<data-dir>/archive/`` (``storage.archive``), shared by every row
    with the same bytes. ``headers`` are the response's HTTP headers as ``[name, value]`` pairs.
    """

    __tablename__ = "archived_copies"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    url: Mapped[str] = mapped_column(Text)
    fetched_at: Mapped[datetime] = mapped_column(index=True)
    status: Mapped[int] = mapped_column(Integer)
    protocol: Mapped[str | None] = mapped_column(String(20))
    headers: Mapped[list[Any]] = mapped_column(JSON, default=list)
    content_type: Mapped[str | None] = mapped_column(String(200))
    size: Mapped[int] = mapped_column(Integer)
    source_id: Mapped[str] = mapped_column(ForeignKey("sources.id"), index=True)
    version_id: Mapped[int | None] = mapped_column(ForeignKey("response_versions.id"), index=True)
    attachment_id: Mapped[int | None] = mapped_column(ForeignKey("attachments.id"), index=True)


class HostLease(Base):
    """One crawl at a time per host (``storage.host_leases``): sources sharing a site, such as the
    WhatDoTheyKnow searches, take turns, so their requests never add up past one crawl's limits."""

    __tablename__ = "host_leases"

    host: Mapped[str] = mapped_column(String(300), primary_key=True)
    owner: Mapped[str] = mapped_column(String(300))  # "pid@machine" of the crawling process
    source_id: Mapped[str] = mapped_column(String(100))
    acquired_at: Mapped[datetime]
    expires_at: Mapped[datetime]
