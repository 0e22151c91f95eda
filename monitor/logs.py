"""How foiwatch logs: lines of text (the default) or one JSON object per line for log collectors.

The command line picks the format (``--log-format``); without it, ``logging: {format: json}`` in
settings.yaml does, once the configuration is read. Only the handler installed here is touched,
so a test's or an embedding application's own logging is left alone.
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime
from typing import Any

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
# Fields crawl log lines carry (``extra=``); a JSON line includes those it has.
CONTEXT_FIELDS = ("source", "run_id", "mode", "status", "node")
_handler: logging.Handler | None = None
_chosen_on_command_line = False


class JsonFormatter(logging.Formatter):
    """One JSON object per record: time (UTC, ISO 8601), level, logger, message, and the source
    and run fields when the record has them; an exception's traceback as ``exception``."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for name in CONTEXT_FIELDS:
            value = getattr(record, name, None)
            if value is not None:
                entry[name] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


def _formatter(log_format: str) -> logging.Formatter:
    return JsonFormatter() if log_format == "json" else logging.Formatter(TEXT_FORMAT)


def configure_logging(log_format: str | None, verbose: bool = False) -> None:
    """Log to standard error at INFO (DEBUG if ``verbose``) as text or JSON; ``None`` means text
    until the settings say otherwise (see ``apply_settings``)."""
    global _handler, _chosen_on_command_line
    root = logging.getLogger()
    if any(handler is not _handler for handler in root.handlers):
        return  # someone else set logging up (a test runner, an embedding program): as basicConfig
    if _handler is not None:
        root.removeHandler(_handler)
    _handler = logging.StreamHandler(sys.stderr)
    _handler.setFormatter(_formatter(log_format or "text"))
    _chosen_on_command_line = log_format is not None
    root.addHandler(_handler)
    root.setLevel(logging.DEBUG if verbose else logging.INFO)
    for noisy in ("apscheduler.executors", "alembic"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def apply_settings(log_format: str) -> None:
    """The format settings.yaml asks for, unless the command line chose one (or nothing was set up)."""
    if _handler is not None and not _chosen_on_command_line:
        _handler.setFormatter(_formatter(log_format))
