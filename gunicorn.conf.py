"""gunicorn settings for ``Procfile`` ``web`` (every value can be overridden from the
environment; see ``docs/deployment.md``)."""

import os
import tempfile
from pathlib import Path

bind = f"{os.environ.get('BIND_ADDRESS', '127.0.0.1')}:{os.environ.get('PORT', '8000')}"
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
# Threads per worker. 1 (the default): sync workers, one request at a time per process — the
# portal is CPU-bound, and on the measured machine (docs/deployment.md, "Sizing") sync workers
# served every page faster and with a shorter tail than 2 or 4 gthread threads, whose
# requests compete for one interpreter lock. More than 1: gthread, which overlaps waits on a
# distant database. Behind nginx (buffering), slow clients never hold a sync worker.
threads = int(os.environ.get("WEB_THREADS", "1"))
worker_class = "gthread" if threads > 1 else "sync"
# A sync worker busy longer than this is restarted: room for the longest synchronous page
# (a 5,000-line form PDF, ≈ 40 s); reports and jobs run in the background.
timeout = int(os.environ.get("WEB_TIMEOUT", "120"))
graceful_timeout = 30
keepalive = 5
max_requests = int(os.environ.get("WEB_MAX_REQUESTS", "0"))
max_requests_jitter = max_requests // 10
# Access log: the portal writes its own JSON line per request (``core.logs``).
accesslog = None
errorlog = "-"
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
# No run-time control socket: several instances (tests, benchmarks) share one home directory.
control_socket_disable = True

# Prometheus multiprocess mode: every worker writes its counters to files here, and a scrape
# sums them. A fresh directory per server start, so a restart never counts old workers.
if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="vm-metrics-")
else:
    metrics_dir = Path(os.environ["PROMETHEUS_MULTIPROC_DIR"])
    metrics_dir.mkdir(parents=True, exist_ok=True)
    for old in metrics_dir.glob("*.db"):  # only prometheus_client's own files
        old.unlink(missing_ok=True)


def when_ready(server):
    """With ``METRICS_PORT`` set, serve /metrics from the master on a loopback port."""
    port = os.environ.get("METRICS_PORT")
    if not port:
        return
    # Imported here, not at the top: gunicorn reads this file before any app exists, and the
    # factory is built only in the master and only when METRICS_PORT asks for it.
    from prometheus_client import start_http_server

    from app import create_app
    from core.metrics import registry_for

    # An app of the master's own (never ``wsgi.app``, which the forked workers import).
    start_http_server(int(port), addr=os.environ.get("METRICS_ADDRESS", "127.0.0.1"),
                      registry=registry_for(create_app()))
    server.log.info("metrics on %s:%s", os.environ.get("METRICS_ADDRESS", "127.0.0.1"), port)


def child_exit(server, worker):
    """A dead worker's live gauges no longer count."""
    # Imported here, as in when_ready: prometheus_client must not load before this file has
    # set PROMETHEUS_MULTIPROC_DIR (it chooses its value class at import).
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)
