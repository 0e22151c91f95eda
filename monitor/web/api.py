"""The JSON API. Paths and item keys are kept stable for other tools (the README lists them).

``GET /api/responses`` takes the search parameters (q, topic, authority, source, outcome,
exemption, vendor, from, to, since, sort, page, per_page) and answers
``{"items": [...], "total": N, "next": URL or null}``; ``GET /api/responses/{id}`` adds the texts,
verdicts, facts, attachments and versions.
"""

from __future__ import annotations

from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import JSONResponse

from monitor.query.responses import response_detail
from monitor.query.search import QueryError, UnknownValue, check_filters, search_responses

from .context import context_of
from .params import search_request


def _error(exc: QueryError, status: int) -> JSONResponse:
    body: dict[str, object] = {"error": str(exc)}
    if isinstance(exc, UnknownValue):
        body["suggestions"] = exc.suggestions
    return JSONResponse(body, status_code=status)


def responses(request: Request) -> JSONResponse:
    context = context_of(request)
    try:
        wanted = search_request(request.query_params, default_sort="found")
        with context.app.database.session() as session:
            filters = check_filters(session, wanted.filters, list(context.app.config.topics))
            page = search_responses(session, filters, wanted.page, wanted.per_page, wanted.sort)
    except UnknownValue as exc:
        return _error(exc, 404)
    except QueryError as exc:
        return _error(exc, 400)
    next_url = None
    if page.next_page:
        query = {**wanted.params(), "sort": wanted.sort, "page": page.next_page, "per_page": page.per_page}
        next_url = str(request.url.replace(query=urlencode(query)))
    return JSONResponse(
        {"items": [item.to_json() for item in page.items], "total": page.total, "next": next_url}
    )


def response(request: Request) -> JSONResponse:
    context = context_of(request)
    response_id = int(request.path_params["response_id"])
    with context.app.database.session() as session:
        detail = response_detail(session, response_id)
    if detail is None:
        return JSONResponse({"error": f"no response with id {response_id}"}, status_code=404)
    return JSONResponse(detail.to_json())
