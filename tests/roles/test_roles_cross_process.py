"""A policy change made by one process reaches another process on its next request.

Two app instances in two OS processes (no shared memory) on one database whose changes are
really committed: the second process warms its enforcer cache, the first revokes a role,
and the second process's next request already answers with the new policy.
"""

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from app import create_app
from core.extensions import db
from tests.conftest import PASSWORD, TEST_CONFIG, build_database, fresh_database_url

WORKER = textwrap.dedent("""
    import json, sys
    from app import create_app
    app = create_app({**json.loads(sys.argv[2]), "SQLALCHEMY_DATABASE_URI": sys.argv[1]})
    client = app.test_client()
    token = client.post("/api/v1/auth/token", json={
        "email": "sales.head@romashka.example", "password": sys.argv[3]}).json["token"]
    headers = {"Authorization": "Bearer " + token}
    for command in sys.stdin:
        answer = client.get("/api/v1/lines?per_page=1", headers=headers)
        print(json.dumps({"status": answer.status_code,
                          "total": (answer.json or {}).get("total")}), flush=True)
""")


@pytest.fixture(scope="module")
def shared_database(tmp_path_factory):
    url = fresh_database_url(tmp_path_factory, "vm_roles_xproc")
    build_database(url)
    return url


def test_a_revoke_in_one_process_reaches_the_other_on_its_next_request(shared_database):
    root = Path(__file__).resolve().parents[2]
    worker = subprocess.Popen(
        [sys.executable, "-c", WORKER, shared_database, json.dumps(TEST_CONFIG), PASSWORD],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=root,
    )
    try:
        def ask():
            worker.stdin.write("go\n")
            worker.stdin.flush()
            return json.loads(worker.stdout.readline())

        before = ask()
        assert before["status"] == 200 and before["total"] > 0  # cache warm in the worker
        app = create_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": shared_database})
        client = app.test_client()  # each request gets its own app context, as served
        token = client.post("/api/v1/auth/token", json={
            "email": "admin@romashka.example", "password": PASSWORD}).json["token"]
        headers = {"Authorization": f"Bearer {token}"}
        sales_head = next(u for u in client.get("/api/v1/users", headers=headers).json
                          if u["email"] == "sales.head@romashka.example")
        assignment = client.get(f"/api/v1/users/{sales_head['id']}/assignments",
                                headers=headers).json[0]
        assert client.delete(
            f"/api/v1/users/{sales_head['id']}/assignments/{assignment['id']}",
            headers=headers).status_code == 204
        with app.app_context():
            db.engine.dispose()
        after = ask()
        # No role left: the lines list needs lines.view somewhere, so the route refuses.
        assert after["status"] == 403, after
    finally:
        worker.stdin.close()
        worker.wait(timeout=60)
        worker.stdout.close()
