"""The Celery worker's entry point: ``celery -A worker worker`` (with ``CELERY_BROKER_URL``).

Flask's documented pattern: the factory builds the portal and initialises Celery
(``core.background.celery_init_app``); this module only exposes that Celery app. The
settings come from the environment like the web process's (``core.config``).
"""

from app import create_app

flask_app = create_app()
celery = flask_app.extensions["celery"]
