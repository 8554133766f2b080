"""The Celery app: ``celery -A corp.operations.celery_app worker`` runs bulk jobs and
delayed operations when ``CELERY_BROKER_URL`` is set.

Tasks carry only ids. They are acknowledged late, so a killed worker's task is delivered
again; a job run resumes from the lines not yet done. The Flask app is created only when
the worker asks for ``celery`` (never at import time); the web process sends tasks by
name through ``client``.
"""

import os
from functools import lru_cache

from celery import Celery
from celery.signals import setup_logging

TASK_NAME = "operations.run"


@setup_logging.connect
def _portal_logging(**_kwargs):
    """Workers and beat log like the web processes (JSON lines with the request id)."""
    from core.logs import install_handler

    install_handler(os.environ.get("LOG_FORMAT", "json"), os.environ.get("LOG_LEVEL", "INFO"))
# Settings a worker may also take from its environment (a worker has no instance config of
# its own in CI): the queue, the redelivery timeout, the job chunk size.
WORKER_ENV_SETTINGS = {"CELERY_TASK_QUEUE": str, "CELERY_VISIBILITY_TIMEOUT": int,
                       "OPERATIONS_JOB_CHUNK": int}


def _configure(celery: Celery, config) -> Celery:
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
    return celery


def make_celery(flask_app) -> Celery:
    """A worker-side Celery app whose tasks run inside the Flask app's context."""
    celery = _configure(Celery("virtual_manager", broker=flask_app.config["CELERY_BROKER_URL"]),
                        flask_app.config)

    @celery.task(name=TASK_NAME)
    def run_task(kind: str, object_id: int, request_id: str | None = None) -> None:
        from core.extensions import db
        from core.logs import bind_request_id
        from corp.operations import executor

        # Logged under the id of the request that started the work.
        with flask_app.app_context(), bind_request_id(request_id):
            try:
                executor.run(kind, object_id)
            finally:
                db.session.remove()

    from corp import schedule

    schedule.register(celery, flask_app)
    return celery


@lru_cache(maxsize=4)
def client(broker_url: str, queue: str = "operations") -> Celery:
    """A sending-only Celery app for the web process."""
    return _configure(Celery("virtual_manager", broker=broker_url),
                      {"CELERY_TASK_QUEUE": queue})


@lru_cache(maxsize=1)
def _worker_app() -> Celery:
    from app import create_app

    overrides = {key: cast(os.environ[key]) for key, cast in WORKER_ENV_SETTINGS.items()
                 if os.environ.get(key)}
    return make_celery(create_app(overrides or None))


def __getattr__(name):
    # ``celery -A corp.operations.celery_app`` looks up ``celery`` / ``app`` here.
    if name in ("celery", "app"):
        return _worker_app()
    raise AttributeError(name)
