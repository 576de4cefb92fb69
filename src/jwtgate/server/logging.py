"""Structured logs: one JSON object per line, on stderr.

Only what the code puts in a record's ``extra`` and the message are written; nothing here reads
requests, so a password, token, refresh token or client secret can only reach the log if some
code passes one explicitly, and none does (the tests capture every line of a full flow and
search it for the secrets used).
"""

from __future__ import annotations

import logging
import sys
from datetime import UTC, datetime
from typing import Any

import orjson

__all__ = ["JsonFormatter", "configure_logging"]

_STANDARD = frozenset(
    logging.LogRecord("", 0, "", 0, "", None, None).__dict__.keys()
    | {"message", "asctime", "color_message"}
)


class JsonFormatter(logging.Formatter):
    """Format a record as one JSON line: time, level, logger, message and the extra fields."""

    def format(self, record: logging.LogRecord) -> str:
        """The record as a JSON object on one line; exception text only as the type name."""
        out: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in record.__dict__.items():
            if key not in _STANDARD and not key.startswith("_"):
                out[key] = value
        if record.exc_info and record.exc_info[0] is not None:
            # The type only: an exception's message may quote its input.
            out["exception"] = record.exc_info[0].__qualname__
        return orjson.dumps(out, default=str).decode()


def configure_logging(level: str | int = "INFO") -> None:
    """Send every log record (jwtgate's and uvicorn's) to stderr as JSON lines.

    Records skip what no line shows (the logging HOWTO's "Optimization"): the caller's file and
    line, thread, process and process name, about a third of the cost of an access line.
    """
    logging._srcfile = None  # no caller lookup (a walk up the stack per record)
    logging.logThreads = False
    logging.logProcesses = False
    logging.logMultiprocessing = False
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    for existing in list(root.handlers):
        root.removeHandler(existing)
    root.addHandler(handler)
    root.setLevel(level)
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logger = logging.getLogger(name)
        logger.handlers.clear()
        logger.propagate = True
