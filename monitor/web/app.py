"""foiwatch's read side as a web application: pages, JSON API, Atom feeds, health and metrics.

A Starlette application over the database, read-only. ``foiwatch serve`` runs it alone;
``foiwatch run`` runs it beside the scheduler and tells it how the scheduler is doing
(``liveness``), which ``/healthz`` reports. Endpoints are plain functions: Starlette runs them
in its thread pool, each with its own database session.
"""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy.exc import SQLAlchemyError
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Receive, Scope, Send

from storage.db import DatabaseUnavailable

from . import api, feeds, operations, pages
from .context import WebContext, render
from .render import build_environment

log = logging.getLogger(__name__)

# No scripts, no outside resources, no framing: scraped text cannot run anything here.
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; "
    "base-uri 'none'; frame-ancestors 'none'"
)
SECURITY_HEADERS = [
    (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
]


class SecurityHeaders:
    """Adds the security headers to every response that does not set its own policy."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Any) -> None:
            if message["type"] == "http.response.start":
                present = {name.lower() for name, _ in message.get("headers", [])}
                extra = [(n, v) for n, v in SECURITY_HEADERS if n not in present]
                message["headers"] = list(message.get("headers", [])) + extra
            await send(message)

        await self.app(scope, receive, with_headers)


def database_gone(request: Request, exc: Exception) -> Response:
    """A database that stops answering is a 503 saying so (JSON for the API), never a bare 500."""
    log.error("%s %s: the database failed: %s", request.method, request.url.path, exc)
    message = "the database cannot be read just now; try again shortly (GET /healthz says why)"
    if request.url.path.startswith("/api/"):
        return JSONResponse({"error": message}, status_code=503)
    if request.url.path.startswith("/feeds/"):
        return PlainTextResponse(message, status_code=503)
    return render(
        request, "error.html.j2", 503, heading="Database unavailable", message=message, suggestions=[]
    )


def create_app(context: WebContext) -> Starlette:
    """The web application over ``context.app``'s database."""
    routes = [
        Route("/", pages.latest, name="latest"),
        Route("/search", pages.search, name="search"),
        Route("/responses/{response_id:int}", pages.response, name="response"),
        Route("/authorities/{name:path}", pages.authority, name="authority"),
        Route("/sources", pages.sources, name="sources"),
        Route("/archive/{copy_id:int}", pages.archived_copy, name="archived_copy"),
        Route("/api/responses", api.responses, name="api_responses"),
        Route("/api/responses/{response_id:int}", api.response, name="api_response"),
        Route("/feeds/search.atom", feeds.search, name="feed_search"),
        Route("/feeds/topic/{topic}.atom", feeds.topic, name="feed_topic"),
        Route("/feeds/authority/{name:path}.atom", feeds.authority, name="feed_authority"),
        Route("/healthz", operations.healthz, name="healthz"),
        Route("/metrics", operations.metrics, name="metrics"),
        Mount("/static", app=StaticFiles(packages=[("monitor.web", "static")]), name="static"),
    ]
    web = Starlette(
        routes=routes,
        middleware=[Middleware(SecurityHeaders)],
        exception_handlers={SQLAlchemyError: database_gone, DatabaseUnavailable: database_gone},
    )
    web.state.context = context

    def url_path_for(route: str, /, **params: Any) -> str:
        return str(web.url_path_for(route, **params))

    web.state.templates = build_environment(url_path_for)
    return web
