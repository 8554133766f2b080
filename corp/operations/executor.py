"""Where background work runs: an in-process thread pool by default, Celery workers when
``CELERY_BROKER_URL`` is set, or inline (``OPERATIONS_EXECUTOR = "eager"``, for tests).

Work is named by kind and id only ("job", 7): the runner reloads everything from the
database, so a task can be retried or resumed by any process.
"""

from concurrent.futures import ThreadPoolExecutor

from flask import current_app

_pool: ThreadPoolExecutor | None = None


def mode(app=None) -> str:
    """``eager`` | ``thread`` | ``celery``."""
    config = (app or current_app).config
    if config.get("OPERATIONS_EXECUTOR"):
        return config["OPERATIONS_EXECUTOR"]
    return "celery" if config.get("CELERY_BROKER_URL") else "thread"


def _pool_for() -> ThreadPoolExecutor:
    global _pool
    if _pool is None:
        _pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="operations")
    return _pool


def run(kind: str, object_id: int) -> None:
    """Run one piece of work in the current app context (commits its own transactions)."""
    from corp.operations import jobs, service

    log = current_app.logger
    log.info("background %s %s started", kind, object_id,
             extra={"work": kind, "object_id": object_id})
    if kind == "job":
        jobs.run_job(object_id)
    elif kind == "operation":
        service.run_operation(object_id)
    else:  # pragma: no cover - programmer error
        raise ValueError(kind)
    log.info("background %s %s finished", kind, object_id,
             extra={"work": kind, "object_id": object_id})


def submit(kind: str, object_id: int) -> None:
    """Hand work to the configured runner (call after the request committed)."""
    from core.logs import current_request_id

    how = mode()
    request_id = current_request_id()
    if how == "eager":
        run(kind, object_id)
    elif how == "celery":
        from corp.operations.celery_app import TASK_NAME, client

        config = current_app.config
        client(config["CELERY_BROKER_URL"], config.get("CELERY_TASK_QUEUE") or "operations"
               ).send_task(TASK_NAME, (kind, object_id), {"request_id": request_id})
    else:
        app = current_app._get_current_object()
        _pool_for().submit(_in_context, app, kind, object_id, request_id)


def _in_context(app, kind, object_id, request_id=None):
    from core.extensions import db
    from core.logs import bind_request_id

    with app.app_context(), bind_request_id(request_id):
        try:
            run(kind, object_id)
        except Exception:  # a background crash must be visible in the log, not lost
            app.logger.exception("background %s %s failed", kind, object_id)
            db.session.rollback()
        finally:
            db.session.remove()
