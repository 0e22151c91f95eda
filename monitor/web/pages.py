"""The HTML pages: latest, search, response (with diffs), authority, sources, archived copies."""

from __future__ import annotations

import time
from urllib.parse import quote, urlencode

from starlette.requests import Request
from starlette.responses import Response

from monitor.query.choices import search_choices
from monitor.query.responses import authority_overview, compare_versions, response_detail
from monitor.query.search import (
    SORTS,
    Filters,
    QueryError,
    UnknownValue,
    check_filters,
    known_topics,
    search_responses,
)
from monitor.service.status import SourceStatus, service_status
from storage.archive import ArchiveError, open_copy

from .context import context_of, render
from .params import search_request


def _topics(request: Request) -> list[str]:
    return list(context_of(request).app.config.topics)


def latest(request: Request) -> Response:
    """New responses of a topic (the first configured one, CCTV, unless ?topic=), newest found first."""
    context = context_of(request)
    configured = _topics(request)
    try:
        wanted = search_request(request.query_params, default_sort="found")
        topic = wanted.filters.topic or (configured[0] if configured else None)
        with context.app.database.session() as session:
            filters = check_filters(session, Filters(topic=topic), configured)
            page = search_responses(session, filters, wanted.page, wanted.per_page, sort="found")
            topics = known_topics(session, configured)
    except UnknownValue as exc:
        return _unknown(request, exc)
    except QueryError as exc:
        return render(
            request, "error.html.j2", 400, heading="Cannot show that", message=str(exc), suggestions=[]
        )
    feed = (
        request.app.url_path_for("feed_topic", topic=filters.topic) if filters.topic else "/feeds/search.atom"
    )
    params = {"topic": filters.topic or ""}
    configured_topic = context.app.config.topics.get(filters.topic or "")
    label = (configured_topic.label if configured_topic else "") or filters.topic or ""
    return render(
        request,
        "latest.html.j2",
        page=page,
        topic=filters.topic,
        label=label,
        topics=topics,
        feed_url=feed,
        params=params,
    )


def search(request: Request) -> Response:
    context = context_of(request)
    configured = _topics(request)
    error, page, elapsed = None, None, None
    with context.app.database.session() as session:
        choices = search_choices(session, configured)
        try:
            wanted = search_request(request.query_params)
            filters = check_filters(session, wanted.filters, configured)
            if request.query_params:
                started = time.perf_counter()
                page = search_responses(session, filters, wanted.page, wanted.per_page, wanted.sort)
                elapsed = round((time.perf_counter() - started) * 1000)
        except QueryError as exc:
            error, filters = str(exc), Filters(q=request.query_params.get("q", "")[:500])
            wanted = None
    params = wanted.params() if wanted else {}
    query = urlencode(params)
    return render(
        request,
        "search.html.j2",
        400 if error else 200,
        filters=filters,
        choices=choices,
        sorts=SORTS,
        sort=wanted.sort if wanted else "relevance",
        page=page,
        error=error,
        elapsed_ms=elapsed,
        params=params,
        feed_url=f"{request.app.url_path_for('feed_search')}?{query}",
        api_url=f"{request.app.url_path_for('api_responses')}?{query}",
    )


def response(request: Request) -> Response:
    context = context_of(request)
    response_id = int(request.path_params["response_id"])
    view = "side" if request.query_params.get("view") == "side" else "unified"
    comparison, diff_error = None, None
    with context.app.database.session() as session:
        detail = response_detail(session, response_id)
        if detail is None:
            return render(
                request,
                "error.html.j2",
                404,
                heading="No such response",
                message=f"foiwatch holds no response with id {response_id}.",
                suggestions=[],
            )
        if len(detail.versions) > 1:
            try:
                first, second = _version_pair(request)
                comparison = compare_versions(session, response_id, first, second)
            except QueryError as exc:
                diff_error = str(exc)
    return render(
        request,
        "response.html.j2",
        detail=detail,
        comparison=comparison,
        diff_error=diff_error,
        view=view,
    )


def _version_pair(request: Request) -> tuple[int | None, int | None]:
    first, second = request.query_params.get("from", ""), request.query_params.get("to", "")
    if not first and not second:
        return None, None
    if not (first.isdigit() and second.isdigit()):
        raise QueryError("choose two version numbers to compare")
    return int(first), int(second)


def authority(request: Request) -> Response:
    context = context_of(request)
    name = request.path_params["name"]
    try:
        with context.app.database.session() as session:
            overview = authority_overview(session, name)
    except UnknownValue as exc:
        return _unknown(request, exc)
    feed = request.app.url_path_for("feed_authority", name=quote(overview.name, safe=""))
    return render(request, "authority.html.j2", overview=overview, feed_url=feed)


def sources(request: Request) -> Response:
    """Each source's schedule, last run (with the cause of a failure in words), next run and health."""
    status = service_status(context_of(request).app)
    return render(request, "sources.html.j2", status=status, sources=sorted(status.sources, key=_attention))


def _attention(source: SourceStatus) -> tuple[int, float]:
    """Sources in trouble first, then the most recently run; those never run last."""
    if source.last_run is None:
        return (2, 0.0)
    return (0 if source.health != "healthy" else 1, -source.last_run.started_at.timestamp())


# An archived page is evidence, shown as fetched: no script of it runs, nothing it names is loaded.
ARCHIVE_POLICY = "sandbox; default-src 'none'; img-src data:; style-src 'unsafe-inline'"


def archived_copy(request: Request) -> Response:
    """The original bytes of an archived page or attachment, as fetched, with scripts disabled."""
    context = context_of(request)
    copy_id = int(request.path_params["copy_id"])
    try:
        with context.app.database.session() as session:
            copy = open_copy(session, context.app.data_dir, copy_id)
    except ArchiveError as exc:
        return render(
            request,
            "error.html.j2",
            410,
            heading="Archived copy unreadable",
            message=str(exc),
            suggestions=[],
        )
    if copy is None:
        return render(
            request,
            "error.html.j2",
            404,
            heading="No archived copy",
            message=f"foiwatch holds no archived copy {copy_id}.",
            suggestions=[],
        )
    filename = copy.url.rstrip("/").rsplit("/", 1)[-1] or "page"
    headers = {
        "Content-Security-Policy": ARCHIVE_POLICY,
        "Content-Disposition": f"inline; filename*=UTF-8''{quote(filename)}",
        "X-Archived-From": copy.url.encode("ascii", "replace").decode(),
        "X-Archived-At": copy.fetched_at.isoformat(),
        "X-Archived-SHA256": copy.sha256,
    }
    return Response(copy.body, media_type=copy.content_type or "application/octet-stream", headers=headers)


def _unknown(request: Request, exc: UnknownValue) -> Response:
    suggestions = []
    for value in exc.suggestions:
        if exc.kind == "authority":
            href = request.app.url_path_for("authority", name=quote(value, safe=""))
        else:
            href = f"{request.url.path}?{urlencode({**request.query_params, exc.kind: value})}"
        suggestions.append({"href": href, "label": value})
    return render(
        request,
        "error.html.j2",
        404,
        heading=f"Unknown {exc.kind}",
        message=str(exc),
        suggestions=suggestions,
    )
