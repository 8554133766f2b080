"""An operation applied at once costs the statements it needs and no more: it is stored in
progress by its INSERT, gets no savepoint of its own without an Idempotency-Key, and nothing
(the operation for the answer, the user for the log line) is read back after the commit."""

import re
from contextlib import contextmanager

from sqlalchemy import event
from sqlalchemy.engine import Engine


@contextmanager
def statements():
    seen = []

    def note(_conn, _cursor, statement, *_args):
        seen.append(" ".join(statement.split()))

    event.listen(Engine, "before_cursor_execute", note)
    try:
        yield seen
    finally:
        event.remove(Engine, "before_cursor_execute", note)


def test_an_operation_applied_at_once_reads_nothing_back(admin_api, line_in_sales):
    with statements() as seen:
        body = admin_api.op(line_in_sales, "limit_set",
                            {"kind": "spend", "amount": "1500", "action": "notify"},
                            status=202).get_json()
    assert body["status"] == "done" and body["started_at"] and body["finished_at"]
    assert not [s for s in seen if re.match(r"SELECT .* FROM (operations|users)\b", s)]
    writes = [s.split("(")[0].split(" SET ")[0] for s in seen
              if s.startswith(("INSERT INTO operations", "UPDATE operations"))]
    assert writes == ["INSERT INTO operations ", "UPDATE operations"]  # in progress, done
    request = seen[next(i for i, s in enumerate(seen) if s.startswith("SELECT api_tokens")):]
    # The test's outer transaction turns the request's commit into its last statement, a
    # RELEASE SAVEPOINT; before it, no savepoint at all.
    assert request[-1].startswith("RELEASE SAVEPOINT")
    assert [s for s in request[:-1] if "SAVEPOINT" in s] == []
