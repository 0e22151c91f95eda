"""What every endpoint reads (``WebContext``), and rendering a page."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from monitor.app import App


@dataclass
class WebContext:
    """What every endpoint reads: the open application and, under ``foiwatch run``, the scheduler's state."""

    app: App
    # returns the scheduler's problems in words (empty when all is well); None outside ``foiwatch run``
    liveness: Callable[[], list[str]] | None = None


def render(request: Request, template: str, status_code: int = 200, **values: Any) -> Response:
    env = request.app.state.templates
    body = env.get_template(template).render(request=request, **values)
    return Response(body, status_code=status_code, media_type="text/html; charset=utf-8")


def context_of(request: Request) -> WebContext:
    context: WebContext = request.app.state.context
    return context
