"""Background work: a registry from a job kind to the function that does it, and the runner
that calls it (inline, an in-process thread pool, or Celery workers).

A package names its background work with ``@background.job_kind("name")`` on a function
taking one id; it hands work over with ``background.submit("name", id)`` after its request
committed. The registry lives here, at the bottom, so services never import their runner and
the runner never imports a service: ``run`` looks the function up by kind.

Work is named by kind and id only: the function reloads everything from the database, so a
task can be retried or resumed by any process.

Runners (``OPERATIONS_EXECUTOR``): ``eager`` runs inline (tests), ``thread`` in a small pool
inside the web process (the default without a broker), ``celery`` sends a task to the queue
``CELERY_TASK_QUEUE`` (the default when ``CELERY_BROKER_URL`` is set). Either way the job runs
under the id of the request that submitted it (``core.logs``): a thread takes it as an
argument, a Celery task in its message header. The factory calls
``celery_init_app(app)`` (Flask's documented pattern) and the top-level ``worker.py`` is what
``celery -A worker worker`` loads.
"""

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from celery import Celery, Task
from flask import Flask, current_app

from core import logs
from core.extensions import db

TASK_NAME = "background.run"
_KINDS: dict[str, Callable[[int], None]] = {}
_pool: ThreadPoolExecutor | None = None


def job_kind(kind: str):
    """Decorator: register ``function(object_id)`` as the work of ``kind``."""

    def decorate(function):
        register(kind, function)
        return function

    return decorate


def register(kind: str, function: Callable[[int], None]) -> None:
    """Register the function doing the work of ``kind`` (one function per kind)."""
    known = _KINDS.get(kind)
    if known is not None and _qualname(known) != _qualname(function):
        raise ValueError(f"background kind {kind!r} is already {_qualname(known)}")
    _KINDS[kind] = function


def kinds() -> dict[str, Callable[[int], None]]:
    """The registered kinds (a copy)."""
    return dict(_KINDS)


def _qualname(function) -> str:
    return f"{function.__module__}.{function.__qualname__}"


def run(kind: str, object_id: int) -> None:
    """Do one piece of work in the current app context (the function commits its chunks)."""
    try:
        function = _KINDS[kind]
    except KeyError:
        raise ValueError(f"unknown background kind {kind!r}") from None
    function(object_id)


def mode(app: Flask | None = None) -> str:
    """``eager`` | ``thread`` | ``celery`` (or whatever a test configured)."""
    config = (app or current_app).config
    if config.get("OPERATIONS_EXECUTOR"):
        return config["OPERATIONS_EXECUTOR"]
    return "celery" if config.get("CELERY_BROKER_URL") else "thread"


def submit(kind: str, object_id: int) -> None:
    """Hand work to the configured runner (call after the request committed)."""
    if kind not in _KINDS:
        raise ValueError(f"unknown background kind {kind!r}")
    how = mode()
    if how == "eager":
        run(kind, object_id)
    elif how == "celery":
        current_app.extensions["celery"].send_task(TASK_NAME, (kind, object_id))
    elif how == "thread":
        app = current_app._get_current_object()
        # A pool thread has a context of its own: the request id goes along explicitly (as
        # Celery's message header carries it), never the request's whole context.
        _thread_pool().submit(_in_context, app, kind, object_id, logs.current_request_id())
    # Any other value (a test's "never") leaves the work for someone to resume.


def _thread_pool() -> ThreadPoolExecutor:
    global _pool
    if _pool is None:
        _pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="background")
    return _pool


def _in_context(app: Flask, kind: str, object_id: int, request_id: str | None = None) -> None:
    """Run one piece of work on a pool thread, under the id of the request that started it
    (its log lines and audit records carry it, as a Celery worker's do)."""
    fields = {"task": TASK_NAME, "work": kind, "object_id": object_id, "runner": "thread"}
    with logs.bind_request_id(request_id), app.app_context():
        logs.task_log.info("job %s started", kind, extra=fields)
        try:
            run(kind, object_id)
        except Exception:  # a background crash must be visible in the log, not lost
            logs.task_log.exception("job %s failed", kind, extra={**fields, "state": "FAILURE"})
            db.session.rollback()
        else:
            logs.task_log.info("job %s succeeded", kind, extra={**fields, "state": "SUCCESS"})
        finally:
            db.session.remove()


def celery_init_app(app: Flask) -> Celery:
    """Flask's Celery pattern: a Celery app whose tasks run inside this Flask app's context,
    stored as ``app.extensions["celery"]``. Tasks carry ids only and are acknowledged late,
    so a killed worker's task is delivered again and the work resumes where it stopped."""

    class FlaskTask(Task):
        def __call__(self, *args, **kwargs):
            with app.app_context():
                try:
                    return self.run(*args, **kwargs)
                finally:
                    db.session.remove()

    config = app.config
    celery = Celery(app.name, task_cls=FlaskTask, broker=config.get("CELERY_BROKER_URL"))
    celery.conf.update(
        task_default_queue=config.get("CELERY_TASK_QUEUE") or "operations",
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        task_ignore_result=True,
        broker_connection_retry_on_startup=True,
        broker_transport_options={
            "visibility_timeout": int(config.get("CELERY_VISIBILITY_TIMEOUT") or 3600)},
    )
    celery.task(name=TASK_NAME)(run)
    app.extensions["celery"] = celery
    return celery
