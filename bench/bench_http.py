"""HTTP throughput and latency of the served portal: 2 gunicorn workers on PostgreSQL.

    BENCH_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/bench \\
        .venv/bin/python bench/bench_http.py            # starts the Procfile's web itself
    .venv/bin/python bench/bench_http.py --url http://127.0.0.1:8000   # a running set

Starts the ``web`` process of the ``Procfile`` (gunicorn with ``gunicorn.conf.py``, 2 workers,
``--threads``/``WEB_THREADS`` threads each, 1 = sync workers by default) on a free loopback
port unless ``--url`` is given, loads the demo into an empty database first, then drives it at
8 and 50 concurrent keep-alive clients, each endpoint for ``--seconds``, with ``wrk`` (Debian's
package; a C client that takes little of the two cores the server needs) or, without it or with
``--client python``, a small threaded Python client (whose own CPU and GIL count against every
figure): the lines API page (50 rows), the line card, the tree page and a single operation (a
spend limit set on a line), each beside ``/healthz`` measured in the same run — the floor.
Prints req/s, p50/p95/p99 and errors, and the goals: lines API ≥ 0.3× healthz throughput at 8
clients, p99 of every page < 250 ms at 50 clients, no errors.
"""

import argparse
import http.client
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
EMAIL, PASSWORD = "admin@romashka.example", "Demo-pass-2026"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_web(database_url: str, workers: int, threads: int) -> tuple[subprocess.Popen, str]:
    """The Procfile's ``web`` command on a loopback port of its own."""
    port = free_port()
    env = {**os.environ, "DATABASE_URL": database_url, "PORT": str(port),
           "BIND_ADDRESS": "127.0.0.1", "WEB_CONCURRENCY": str(workers),
           "WEB_THREADS": str(threads), "SECRET_KEY": "bench-http-secret",
           "LOG_LEVEL": "WARNING"}
    env.pop("CELERY_BROKER_URL", None)
    process = subprocess.Popen([str(BIN / "gunicorn"), "-c", "gunicorn.conf.py", "wsgi:app"],
                               cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if one(base, "GET", "/healthz")[0] == 200:
                return process, base
        except OSError:
            time.sleep(0.3)
    process.kill()
    raise SystemExit("gunicorn did not start")


def ensure_demo(database_url: str) -> None:
    """Migrate and load the demo into an empty database (``flask --app app demo``)."""
    env = {**os.environ, "DATABASE_URL": database_url, "SECRET_KEY": "bench-http-secret"}
    check = subprocess.run(
        [str(BIN / "flask"), "--app", "app", "demo"], cwd=ROOT, env=env, capture_output=True,
        text=True, timeout=600, check=False)
    if check.returncode != 0 and "already" not in (check.stdout + check.stderr).lower():
        print(check.stdout[-2000:], check.stderr[-2000:])
        raise SystemExit("could not load the demo")


def one(base, method, path, headers=None, body=None):
    parts = urlsplit(base)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        answer = connection.getresponse()
        return answer.status, answer.read(), answer.headers
    finally:
        connection.close()


def sign_in(base) -> tuple[dict, dict]:
    """Bearer headers for the API and cookie headers for the pages (through the real form)."""
    status, body, _ = one(base, "POST", "/api/v1/auth/token", {"Content-Type":
                          "application/json"}, json.dumps({"email": EMAIL, "password": PASSWORD}))
    if status != 201:
        raise SystemExit(f"token: {status} {body[:200]!r}")
    bearer = {"Authorization": "Bearer " + json.loads(body)["token"]}
    status, page, headers = one(base, "GET", "/login")
    cookie = _cookie(headers)
    token = re.search(rb'name="csrf_token"[^>]*value="([^"]+)"', page)
    form = f"email={EMAIL}&password={PASSWORD}"
    if token:
        form += "&csrf_token=" + token.group(1).decode()
    status, _body, headers = one(base, "POST", "/login", {
        "Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie}, form)
    if status != 302:
        raise SystemExit(f"sign-in form: {status}")
    return bearer, {"Cookie": _cookie(headers) or cookie}


def _cookie(headers) -> str:
    values = headers.get_all("Set-Cookie") or []
    return "; ".join(v.split(";", 1)[0] for v in values)


def run_load(base, clients: int, seconds: float, make_request) -> dict:
    """``clients`` threads on keep-alive connections for ``seconds``: latencies and errors."""
    parts = urlsplit(base)
    latencies, errors, lock = [], [], threading.Lock()
    stop_at = time.monotonic() + seconds

    def client(index):
        connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
        mine, bad, n = [], [], 0
        while time.monotonic() < stop_at:
            method, path, headers, body = make_request(index, n)
            n += 1
            started = time.perf_counter()
            try:
                connection.request(method, path, body=body, headers=headers)
                answer = connection.getresponse()
                answer.read()
                if answer.status >= 400:
                    bad.append(answer.status)
            except (OSError, http.client.HTTPException) as error:
                bad.append(type(error).__name__)
                connection.close()
                connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
            mine.append(time.perf_counter() - started)
        connection.close()
        with lock:
            latencies.extend(mine)
            errors.extend(bad)

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    wall = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - wall
    ordered = sorted(latencies) or [0.0]

    def q(x):
        return ordered[min(int(x * len(ordered)), len(ordered) - 1)] * 1000

    return {"n": len(latencies), "rps": len(latencies) / wall, "p50": q(0.5), "p95": q(0.95),
            "p99": q(0.99), "errors": len(errors), "error_kinds": sorted(set(map(str, errors)))}


WRK_THREADS = 2
WRK_SCRIPT = """
local requests = {%(requests)s}
local threads, n = 0, 0
tid = 0  -- a global: setup() gives each thread's own state its number here
function setup(thread)
  thread:set("tid", threads)
  threads = threads + 1
end
function request()
  -- thread t takes requests t, t + T, t + 2T...: its in-flight writes touch distinct lines
  local r = requests[(n * %(threads)d + tid) %% #requests + 1]
  n = n + 1
  return wrk.format(r[1], r[2], r[3], r[4])
end
function done(summary, latency, _requests)
  local e = summary.errors
  io.write(string.format(
    'WRK {"n": %%d, "us": %%d, "p50": %%.3f, "p95": %%.3f, "p99": %%.3f, "connect": %%d, '
    .. '"read": %%d, "write": %%d, "timeout": %%d, "status": %%d}\\n',
    summary.requests, summary.duration, latency:percentile(50) / 1000,
    latency:percentile(95) / 1000, latency:percentile(99) / 1000,
    e.connect, e.read, e.write, e.timeout, e.status))
end
"""


def _lua(value) -> str:
    if isinstance(value, dict):
        return "{" + ", ".join(f"[ {_lua(k)} ] = {_lua(v)}" for k, v in value.items()) + "}"
    if value is None:
        return "nil"
    return "[==[" + str(value) + "]==]"


def run_load_wrk(base, clients: int, seconds: float, make_request, stride: int = 50) -> dict:
    """The same load from ``wrk``: ``clients`` keep-alive connections on 2 threads, cycling
    through 400 prepared requests, request i being the Python client's request n = i // stride
    of client i % stride (so a write touches its own line: 400 lines in turn)."""
    prepared = [make_request(i % stride, i // stride) for i in range(400)]
    requests = ",\n".join("{" + ", ".join(_lua(x) for x in r) + "}" for r in prepared)
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(WRK_SCRIPT % {"requests": requests, "threads": WRK_THREADS})
    try:
        out = subprocess.run(
            ["wrk", f"-t{WRK_THREADS}", f"-c{clients}", f"-d{seconds:.0f}s", "--timeout", "30s",
             "-s", script.name, base], capture_output=True, text=True, timeout=seconds + 60,
            check=True).stdout
    finally:
        os.unlink(script.name)
    if "WRK " not in out:
        raise SystemExit(f"wrk printed no summary:\n{out[-2000:]}")
    found = json.loads(out.split("WRK ", 1)[1].splitlines()[0])
    kinds = {k: found[k] for k in ("connect", "read", "write", "timeout", "status") if found[k]}
    return {"n": found["n"], "rps": found["n"] / (found["us"] / 1e6), "p50": found["p50"],
            "p95": found["p95"], "p99": found["p99"], "errors": sum(kinds.values()),
            "error_kinds": [f"{k} {v}" for k, v in kinds.items()]}


def _busy_seconds() -> float | None:
    """CPU seconds the whole machine spent busy so far (Linux), or None elsewhere."""
    try:
        with open("/proc/stat", encoding="ascii") as stat:
            ticks = [int(x) for x in stat.readline().split()[1:]]
    except (OSError, ValueError):
        return None
    return (sum(ticks) - ticks[3] - ticks[4]) / os.sysconf("SC_CLK_TCK")  # minus idle, iowait


def _load() -> str:
    return " ".join(f"{x:.1f}" for x in os.getloadavg())


def line_ids(base, bearer, count=400) -> list[int]:
    status, body, _ = one(base, "GET", "/api/v1/lines?per_page=100&status=active", bearer)
    if status != 200:
        raise SystemExit(f"lines: {status}")
    ids = [item["id"] for item in json.loads(body)["items"]]
    page = 2
    while len(ids) < count:
        _s, body, _h = one(base, "GET", f"/api/v1/lines?per_page=100&page={page}&status=active",
                           bearer)
        items = json.loads(body)["items"]
        if not items:
            break
        ids += [item["id"] for item in items]
        page += 1
    return ids


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--url", help="a running server (otherwise gunicorn is started here)")
    parser.add_argument("--seconds", type=float, default=6.0, help="per endpoint and level")
    parser.add_argument("--clients", default="8,50")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int,
                        default=int(os.environ.get("WEB_THREADS", "1")),
                        help="gunicorn threads per worker (1: sync workers, the Procfile's "
                             "default; more: gthread)")
    parser.add_argument("--client", choices=("wrk", "python"),
                        default="wrk" if shutil.which("wrk") else "python")
    args = parser.parse_args()
    process = None
    if args.url:
        base = args.url.rstrip("/")
    else:
        url = os.environ.get("BENCH_DATABASE_URL")
        if not url:
            raise SystemExit("set BENCH_DATABASE_URL (PostgreSQL) or give --url")
        ensure_demo(url)
        process, base = start_web(url, args.workers, args.threads)
    try:
        bearer, cookie = sign_in(base)
        ids = line_ids(base, bearer)
        json_bearer = {**bearer, "Content-Type": "application/json"}
        levels = [int(x) for x in args.clients.split(",")]
        # Each client writes to lines of its own (ids i, i + stride, i + 2·stride…): two
        # clients changing one line at once get a correct 409 "changed meanwhile", which is
        # a property of the data, not an error of the server.
        stride = max(levels)
        rounds = max(1, len(ids) // stride)

        def own_line(i, n):
            return ids[(i % stride + stride * (n % rounds)) % len(ids)]

        endpoints = {
            "healthz (floor)": lambda i, n: ("GET", "/healthz", {}, None),
            "lines API page": lambda i, n: (
                "GET", f"/api/v1/lines?per_page=50&page={1 + (i + n) % 20}", bearer, None),
            "line card": lambda i, n: ("GET", f"/lines/{ids[(i * 37 + n) % len(ids)]}",
                                       cookie, None),
            "tree": lambda i, n: ("GET", "/hierarchy", cookie, None),
            "single operation": lambda i, n: (
                "POST", f"/api/v1/lines/{own_line(i, n)}/operations",
                json_bearer, json.dumps({"type": "limit_set", "params": {
                    "kind": "spend", "amount": str(500 + (i + n) % 400), "action": "notify"}})),
        }
        print(f"server {base}: {args.workers} gunicorn workers × {args.threads} threads "
              f"({'gthread' if args.threads > 1 else 'sync'}); load from {args.client}; "
              f"{args.seconds:.0f} s per endpoint and level")
        results = {}
        for clients in levels:
            print(f"\n{clients} concurrent clients (load average {_load()})")
            print(f"  {'endpoint':<18}{'req/s':>9}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}"
                  f"{'errors':>8}  ×healthz  CPU ms/req")
            for name, make in endpoints.items():
                before = _busy_seconds()
                if args.client == "wrk":
                    r = run_load_wrk(base, clients, args.seconds, make, stride)
                else:
                    r = run_load(base, clients, args.seconds, make)
                after = _busy_seconds()
                results[(clients, name)] = r
                floor = results[(clients, "healthz (floor)")]["rps"]
                # The machine's busy CPU per request: server, database and client together
                # (steadier than req/s when other work shares the machine; it counts too).
                cpu = (f"{(after - before) * 1000 / r['n']:>11.2f}"
                       if before is not None and after is not None and r["n"] else "")
                print(f"  {name:<18}{r['rps']:>9.0f}{r['p50']:>9.1f}{r['p95']:>9.1f}"
                      f"{r['p99']:>9.1f}{r['errors']:>8}  {r['rps'] / floor:>6.2f}{cpu}"
                      + (f"  {r['error_kinds']}" if r["errors"] else ""))
        print(f"\ngoals (load average at the end {_load()}: the machine's other work counts "
              "against every figure above)")
        ok = True
        low = min(levels)
        ratio = (results[(low, "lines API page")]["rps"]
                 / results[(low, "healthz (floor)")]["rps"])
        ok &= ratio >= 0.3
        print(f"  lines API / healthz throughput at {low} clients: {ratio:.2f}× (goal ≥ 0.30×)"
              f" {'ok' if ratio >= 0.3 else 'MISSED'}")
        high = max(levels)
        for name in endpoints:
            p99 = results[(high, name)]["p99"]
            ok &= p99 < 250
            print(f"  p99 {name} at {high} clients: {p99:.0f} ms (goal < 250 ms) "
                  f"{'ok' if p99 < 250 else 'MISSED'}")
        errors = sum(r["errors"] for r in results.values())
        ok &= errors == 0
        print(f"  errors: {errors} {'ok' if errors == 0 else 'MISSED'}")
        return 0 if ok else 1
    finally:
        if process is not None:
            os.killpg(process.pid, 15)
            process.wait(timeout=30)


if __name__ == "__main__":
    sys.exit(main())
