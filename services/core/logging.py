"""structlog, configured once per process: JSON in production, console on a tty.

Context (request id, event id, entity, connection, record) is bound with
``structlog.contextvars.bound_contextvars`` per request and per message, so every line
of one unit of work carries it.
"""
from __future__ import annotations

import logging
import sys
from functools import partial

import structlog

_SECRET_KEYS = {"client_secret", "secret", "password", "token", "access_token",
                "authorization", "api_key", "jwt_secret", "webhook_secret"}


def info_on(name: str):
    """A check of whether ``name``'s INFO lines are written, asked without building an event:
    ``if info_on(): log.info(..., fields...)`` gathers a line's fields only when it is written."""
    return partial(logging.getLogger(name).isEnabledFor, logging.INFO)


def _redact(_logger, _name, event_dict):
    for key in list(event_dict):
        if key.lower() in _SECRET_KEYS:
            event_dict[key] = "***"
    return event_dict


def configure_logging(fmt: str = "auto", level: str = "INFO") -> None:
    if fmt == "auto":
        fmt = "console" if sys.stderr.isatty() else "json"
    shared = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        _redact,
    ]
    renderer = (structlog.dev.ConsoleRenderer() if fmt == "console"
                else structlog.processors.JSONRenderer())
    structlog.configure(
        processors=[structlog.stdlib.filter_by_level, *shared,
                    structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        # a below-level call returns at once (no processors, no DropEvent raised and caught):
        # the hot paths' info lines cost nothing at WARNING
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level.upper())),
        cache_logger_on_first_use=True,
    )
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=shared,
        processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                    structlog.processors.format_exc_info, renderer],
    ))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for noisy in ("aiormq", "aio_pika", "aiohttp.access"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
