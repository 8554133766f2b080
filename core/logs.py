"""Structured logs: one JSON line per request, and the request id carried everywhere.

Every request gets an id (the proxy's ``X-Request-ID`` when it is a sane token, a new one
otherwise), returned in the ``X-Request-ID`` response header. The id sits in a context
variable that a logging filter copies onto every record, so whatever is logged while the
request runs carries it; work handed to Celery (bulk jobs, delayed operations) takes it
along in a message header and the worker sets it again while the task runs (the Celery
signals at the end), so the worker's lines carry the id of the request that started the work.
The in-process thread runner (``core.background``) passes the id to the pool thread and binds
it there the same way.
"""

import contextvars
import logging
import os
import re
import sys
import time
import uuid
from contextlib import contextmanager

from celery.signals import before_task_publish, setup_logging, task_postrun, task_prerun
from flask import Flask, g, request
from flask_login import user_loaded_from_request
from pythonjsonlogger.json import JsonFormatter

from core import metrics

REQUEST_ID_HEADER = "X-Request-ID"
_SANE_ID = re.compile(r"^[A-Za-z0-9._:-]{8,128}$")
_request_id: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "request_id", default=None)

request_log = logging.getLogger("vm.request")
task_log = logging.getLogger("vm.task")


def current_request_id() -> str | None:
    """The id of the request (or of the request that started this job), if any."""
    return _request_id.get()


@contextmanager
def bind_request_id(request_id: str | None):
    """Run a block (a background job) under the id of the request that started it."""
    token = _request_id.set(request_id)
    try:
        yield
    finally:
        _request_id.reset(token)


class RequestIdFilter(logging.Filter):
    """Put ``request_id`` on every record, so formatters and handlers can show it."""

    def filter(self, record):
        if not getattr(record, "request_id", None):
            record.request_id = _request_id.get()
        return True


def configure_logging(app: Flask) -> None:
    """JSON lines on stderr (``LOG_FORMAT=json``, the default) or plain text; once per process.

    Tests keep pytest's own capture: nothing is installed when the app is in testing mode.
    """
    if app.testing:
        return
    root = logging.getLogger()
    if any(getattr(h, "_vm_handler", False) for h in root.handlers):
        return
    install_handler(app.config.get("LOG_FORMAT", "json"), app.config.get("LOG_LEVEL", "INFO"))


def install_handler(log_format: str = "json", level: str = "INFO") -> None:
    """Replace the root handlers by one stderr handler in the chosen format."""
    handler = logging.StreamHandler(sys.stderr)
    handler._vm_handler = True
    handler.addFilter(RequestIdFilter())
    if log_format == "json":
        handler.setFormatter(JsonFormatter(
            "{asctime}{levelname}{name}{process}{message}", style="{",
            rename_fields={"asctime": "time", "levelname": "level", "name": "logger",
                           "process": "pid"}))
    else:
        handler.setFormatter(logging.Formatter(
            "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    # WeasyPrint reports each step and each page of every PDF at INFO: noise, and a JSON
    # line per page of a long report.
    logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)


def init_app(app: Flask) -> None:
    """Request id in and out, one log line and one latency observation per request."""
    configure_logging(app)
    for logger in (request_log, task_log, app.logger):
        if not any(isinstance(f, RequestIdFilter) for f in logger.filters):
            logger.addFilter(RequestIdFilter())

    @app.before_request
    def start_request():
        given = request.headers.get(REQUEST_ID_HEADER, "")
        g.request_id = given if _SANE_ID.match(given) else uuid.uuid4().hex
        g.request_started = time.perf_counter()
        g.request_id_token = _request_id.set(g.request_id)

    @app.after_request
    def finish_request(response):
        request_id = g.get("request_id")
        if request_id:
            response.headers[REQUEST_ID_HEADER] = request_id
        started = g.get("request_started")
        if started is None:
            return response
        seconds = time.perf_counter() - started
        endpoint = request.endpoint or "unrouted"
        metrics.observe_request(endpoint, request.method, response.status_code, seconds)
        user_id, company_id = _logged_identity()
        request_log.info(
            "%s %s %s", request.method, request.path, response.status_code,
            extra={"request_id": request_id, "user_id": user_id, "company_id": company_id,
                   "endpoint": endpoint, "method": request.method, "path": request.path,
                   "status": response.status_code, "duration_ms": round(seconds * 1000, 2),
                   "remote_addr": request.remote_addr})
        return response

    @app.teardown_request
    def forget_request_id(_exc):
        token = g.pop("request_id_token", None)
        if token is not None:
            try:
                _request_id.reset(token)
            except ValueError:  # reset from another context (streamed response): harmless
                _request_id.set(None)


@user_loaded_from_request.connect
def _remember_identity(_app, user=None, **_kwargs):
    """Keep the ids of the user this request authenticated as, read while the row is fresh:
    the request's commit expires the user, and the log line must not load it again."""
    g.log_identity = (user, getattr(user, "id", None), getattr(user, "company_id", None))


def _logged_identity() -> tuple[int | None, int | None]:
    """(user id, company id) of the user Flask-Login holds for this request; never a query
    of its own when that user is the one the request authenticated as."""
    user = g.get("_login_user")
    known = g.get("log_identity")
    if known is not None and known[0] is user:
        return known[1], known[2]
    # Another user (signed in by this very request) or none.
    user_id = getattr(user, "id", None) if getattr(user, "is_authenticated", False) else None
    return user_id, (getattr(user, "company_id", None) if user_id else None)


# --- Celery: the same log format in workers and beat, the request id across the queue -------


@setup_logging.connect
def _celery_logging(**_kwargs):
    """Workers and beat log like the web processes instead of Celery's own format."""
    install_handler(os.environ.get("LOG_FORMAT", "json"), os.environ.get("LOG_LEVEL", "INFO"))


@before_task_publish.connect
def _send_request_id(headers=None, **_kwargs):
    request_id = _request_id.get()
    if request_id and headers is not None:
        headers.setdefault("request_id", request_id)


@task_prerun.connect
def _bind_task_request_id(task=None, task_id=None, args=None, **_kwargs):
    request_id = getattr(task.request, "request_id", None) or \
        (getattr(task.request, "headers", None) or {}).get("request_id")
    _request_id.set(request_id)
    task_log.info("task %s started", task.name, extra=_task_fields(task, task_id, args))


@task_postrun.connect
def _forget_task_request_id(task=None, task_id=None, args=None, state=None, **_kwargs):
    task_log.info("task %s %s", task.name, (state or "").lower(),
                  extra={**_task_fields(task, task_id, args), "state": state})
    _request_id.set(None)


def _task_fields(task, task_id, args) -> dict:
    fields = {"task": task.name, "task_id": task_id}
    if args and len(args) == 2:  # background work: (kind, object id)
        fields.update(work=args[0], object_id=args[1])
    return fields
