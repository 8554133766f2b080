"""What Prometheus reads about operations at scrape time, from the database and the broker:
jobs by status, the work waiting in the queue, operations by type and status.

Read when scraped rather than counted in a process, so every web process answers the same.
"""

from flask import current_app
from prometheus_client.core import GaugeMetricFamily
from sqlalchemy import func, select

from core.extensions import db
from corp.operations.models import Job, JobItem, Operation


def collect():
    """The operations families (registered with ``core.metrics.add_scrape_source``)."""
    jobs = GaugeMetricFamily("vm_jobs", "Bulk jobs by status.", labels=["status"])
    for status, count in db.session.execute(
            select(Job.status, func.count()).group_by(Job.status)):
        jobs.add_metric([status], count)
    yield jobs

    depth = GaugeMetricFamily(
        "vm_job_queue_depth",
        "Work waiting: lines of unfinished jobs still pending, and tasks in the broker queue.",
        labels=["what"])
    pending_lines = db.session.scalar(
        select(func.count()).select_from(JobItem).join(Job, Job.id == JobItem.job_id)
        .where(Job.status.in_(("pending", "running")), JobItem.status == "pending"))
    depth.add_metric(["pending_lines"], pending_lines or 0)
    broker_depth = _broker_queue_length()
    if broker_depth is not None:
        depth.add_metric(["broker_tasks"], broker_depth)
    yield depth

    operations = GaugeMetricFamily("vm_operations", "Line operations by type and status.",
                                   labels=["type", "status"])
    for type_name, status, count in db.session.execute(
            select(Operation.type, Operation.status, func.count())
            .group_by(Operation.type, Operation.status)):
        operations.add_metric([type_name, status], count)
    yield operations


def _broker_queue_length() -> int | None:
    """Messages waiting in the Celery queue (Redis broker); None without a broker."""
    url = current_app.config.get("CELERY_BROKER_URL")
    if not url:
        return None
    # Imported only when a broker is configured: a portal without Celery never loads kombu.
    from kombu import Connection
    from kombu.exceptions import ChannelError

    queue = current_app.config.get("CELERY_TASK_QUEUE") or "operations"
    with Connection(url, connect_timeout=2) as connection:
        try:
            _name, count, _consumers = connection.default_channel.queue_declare(
                queue, passive=True)
        except ChannelError:  # no task was ever sent to it
            return 0
        return count
