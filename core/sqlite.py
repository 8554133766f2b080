"""SQLite, the embedded default: writers wait their turn instead of failing.

SQLite allows one writer at a time. A *deferred* transaction (plain ``BEGIN``) that has read
and then writes cannot wait for the write lock once another connection committed after its
first read: SQLite answers "database is locked" at once, whatever the busy timeout. So:

- a transaction that will write begins ``BEGIN IMMEDIATE``: it takes the write lock first,
  waiting up to ``busy_timeout`` for it. That is every transaction outside a request (jobs,
  the worker, CLI commands) and every transaction of a request that is not GET/HEAD/OPTIONS;
- a reading request (GET…) begins deferred, so pages never queue behind a writer (WAL lets
  readers and the writer work side by side). If such a request writes after all (a session's
  last-seen time, an export's audit record), its first write statement first turns the
  transaction into an immediate one: the read snapshot is dropped and the write lock taken,
  waiting like any writer. What it read stays valid the way PostgreSQL's default isolation
  (read committed) makes it valid; row versions still catch a concurrent change;
- a connection opened with ``execution_options(sqlite_begin="deferred")`` begins deferred
  (the test suite's outer transaction, so that two apps may share one test database);
- a background job releases the write lock between its chunks (``let_writers_in``), long
  enough for a waiting writer's busy handler (which polls at most every 100 ms) to get in.

PostgreSQL needs none of this: its row locks let writers of different rows work together.
"""

import time

from flask import has_request_context, request
from sqlalchemy import event

READING_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
BUSY_TIMEOUT_MS = 10_000
# Longer than the longest sleep of SQLite's busy handler (100 ms): every waiting writer polls
# at least once while a job is between two chunks.
WRITERS_GAP_SECONDS = 0.15
# Schema changes write too: a reading request that creates a table (migrations run by a
# benchmark inside a request context) must not lose it when its first INSERT restarts the
# transaction as a writer.
_WRITES = ("INSERT", "UPDATE", "DELETE", "REPLACE", "CREATE", "DROP", "ALTER")


def configure(engine, *, wal: bool = True) -> None:
    """Install the connection settings and the transaction-begin rule on ``engine``."""

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        # pysqlite's own transaction handling breaks SAVEPOINT; the begin hook below emits BEGIN.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        if wal:
            cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection):
        if _reading_request():
            connection.info["sqlite_deferred"] = True
            connection.exec_driver_sql("BEGIN")
        elif connection.get_execution_options().get("sqlite_begin") == "deferred":
            # Asked for explicitly (the test suite's outer rollback transaction, which holds
            # no write lock until the code under test writes in it): no upgrade either.
            connection.info["sqlite_deferred"] = False
            connection.exec_driver_sql("BEGIN")
        else:
            connection.info["sqlite_deferred"] = False
            connection.exec_driver_sql("BEGIN IMMEDIATE")

    @event.listens_for(engine, "savepoint")
    def _on_savepoint(connection, _name):
        connection.info["sqlite_savepoints"] = connection.info.get("sqlite_savepoints", 0) + 1

    @event.listens_for(engine, "release_savepoint")
    @event.listens_for(engine, "rollback_savepoint")
    def _on_savepoint_end(connection, _name, _context):
        connection.info["sqlite_savepoints"] = max(
            connection.info.get("sqlite_savepoints", 0) - 1, 0)

    @event.listens_for(engine, "before_cursor_execute")
    def _before_write(connection, cursor, statement, _parameters, _context, _many):
        if (connection.info.get("sqlite_deferred")
                and statement.lstrip()[:7].upper().startswith(_WRITES)
                and not connection.info.get("sqlite_savepoints")):
            # The reading transaction holds nothing yet: restart it as a writer, which waits
            # for the write lock (with a SAVEPOINT open it would be lost, so not then).
            connection.info["sqlite_deferred"] = False
            cursor.execute("ROLLBACK")
            cursor.execute("BEGIN IMMEDIATE")

    @event.listens_for(engine, "commit")
    @event.listens_for(engine, "rollback")
    def _on_end(connection):
        connection.info["sqlite_deferred"] = False
        connection.info["sqlite_savepoints"] = 0


def _reading_request() -> bool:
    return has_request_context() and request.method in READING_METHODS


def let_writers_in(session) -> None:
    """Between two transactions of a long job: give waiting writers the write lock."""
    if session.get_bind().dialect.name == "sqlite":
        time.sleep(WRITERS_GAP_SECONDS)
