"""Atom feeds: of any search (``/feeds/search.atom?q=…``), of a topic, of an authority.

Entries are the responses' current versions, newest found first; an entry's id names its
version, so a changed response reaches feed readers again. Scraped text is escaped by the
template and cleared of characters XML forbids.
"""

from __future__ import annotations

from urllib.parse import quote, urlencode

from starlette.requests import Request
from starlette.responses import Response

from monitor.query.search import QueryError, UnknownValue, check_filters, search_responses

from .context import context_of
from .params import search_request

FEED_ITEMS = 50
ATOM = "application/atom+xml; charset=utf-8"


def _feed(request: Request, title: str, html_path: str, **fixed: str) -> Response:
    context = context_of(request)
    try:
        wanted = search_request(request.query_params, default_sort="found", **fixed)
        with context.app.database.session() as session:
            filters = check_filters(session, wanted.filters, list(context.app.config.topics))
            page = search_responses(session, filters, 1, FEED_ITEMS, sort="found")
    except UnknownValue as exc:
        return Response(str(exc), status_code=404, media_type="text/plain; charset=utf-8")
    except QueryError as exc:
        return Response(str(exc), status_code=400, media_type="text/plain; charset=utf-8")
    base = str(request.base_url).rstrip("/")
    updated = max((item.updated_at for item in page.items), default=None)
    body = request.app.state.templates.get_template("feed.atom.j2").render(
        title=title,
        feed_id=f"{base}{request.url.path}?{urlencode(wanted.params())}",
        self_url=str(request.url),
        html_url=f"{base}{html_path}",
        updated=updated,
        items=page.items,
        base=base,
    )
    return Response(body, media_type=ATOM)


def search(request: Request) -> Response:
    try:
        wanted = search_request(request.query_params)
    except QueryError as exc:
        return Response(str(exc), status_code=400, media_type="text/plain; charset=utf-8")
    described = ", ".join(f"{k} {v}" for k, v in wanted.params().items())
    html = f"{request.app.url_path_for('search')}?{urlencode(wanted.params())}"
    return _feed(request, f"foiwatch: {described or 'all responses'}", html)


def topic(request: Request) -> Response:
    name = request.path_params["topic"]
    html = f"{request.app.url_path_for('latest')}?{urlencode({'topic': name})}"
    return _feed(request, f"foiwatch: new {name} responses", html, topic=name)


def authority(request: Request) -> Response:
    name = request.path_params["name"]
    html = str(request.app.url_path_for("authority", name=quote(name, safe="")))
    return _feed(request, f"foiwatch: {name}", html, authority=name)
