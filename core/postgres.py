"""PostgreSQL: a transaction begins at the first write, and a pooled connection is checked
only after it sat idle.

psycopg opens a transaction with a ``BEGIN`` round trip before a connection's first
statement and the pool ends it with a ``ROLLBACK`` round trip, and ``pool_pre_ping`` adds a
third before every checkout: a page that reads two rows paid five round trips, three of them
carrying nothing. So:

- a connection *reads in autocommit*: each ``SELECT`` is its own statement, as Django runs
  by default. Under PostgreSQL's default isolation (read committed) a transaction's
  ``SELECT`` already takes a fresh snapshot each time, so a read outside the transaction sees
  exactly what it would have seen inside it;
- the *first statement that writes or locks* (anything but a plain ``SELECT``/``SHOW``: an
  ``INSERT``, ``UPDATE``, ``DELETE``, ``SAVEPOINT``, ``SELECT … FOR UPDATE``, an advisory lock,
  a sequence, a server-side cursor of ``yield_per``) switches the connection out of
  autocommit, so psycopg sends ``BEGIN`` first and everything from there to the commit or
  rollback is one transaction, atomic as before. The next transaction starts reading again;
- a connection explicitly opened with ``isolation_level`` (``AUTOCOMMIT`` for ``CREATE
  DATABASE``, or a stricter level) is left as asked;
- instead of a ping on every checkout, a connection that sat in the pool longer than
  ``DATABASE_PING_AFTER`` seconds is pinged, and one found dead is replaced before use
  (SQLAlchemy's checkout event recipe). A busy worker reuses its connection within
  milliseconds and never pings; if the database restarts under load, the first statement on
  each old connection fails once, SQLAlchemy invalidates the whole pool, and the next request
  connects afresh.

``json``/``jsonb`` columns are read with orjson (the standard decoder for what orjson refuses,
an integer past 64 bits): a lines page reads 50 ``tariff_options`` documents.
"""

import json
import time

import orjson
from psycopg import ServerCursor, pq
from psycopg.types.json import set_json_loads
from sqlalchemy import event, exc

# What a read may start with; anything else, or a read that locks or changes state, writes.
_READS = ("SELECT", "SHOW")
_LOCKING = (" FOR UPDATE", " FOR SHARE", " FOR NO KEY UPDATE", " FOR KEY SHARE", "ADVISORY",
            "NEXTVAL(", "SETVAL(", "SET_CONFIG(", "TXID_CURRENT", "PG_CURRENT_XACT_ID")


def configure(engine, *, ping_after: float = 5.0) -> None:
    """Install the read-in-autocommit rule, the idle-connection ping and the JSON reader."""

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        set_json_loads(read_json, dbapi_connection)

    @event.listens_for(engine, "begin")
    def _read_until_write(connection):
        if "isolation_level" in connection.get_execution_options():
            return  # asked for explicitly: as asked
        dbapi_connection = connection.connection.dbapi_connection
        if not _in_transaction(dbapi_connection):
            dbapi_connection.autocommit = True
            connection.info["pg_reading"] = True

    @event.listens_for(engine, "before_cursor_execute")
    def _begin_before_write(connection, cursor, statement, _parameters, _context, _many):
        if connection.info.get("pg_reading") and (
                isinstance(cursor, ServerCursor) or writes(statement)):
            connection.info["pg_reading"] = False
            # psycopg sends BEGIN before this statement; commit or rollback ends it.
            connection.connection.dbapi_connection.autocommit = False

    @event.listens_for(engine, "commit")
    @event.listens_for(engine, "rollback")
    def _on_end(connection):
        if not connection.invalidated:  # a lost connection has nothing left to mark
            connection.info["pg_reading"] = False

    @event.listens_for(engine, "checkin")
    def _on_checkin(_dbapi_connection, record):
        if record is not None:
            record.info["pg_idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _ping_if_idle(dbapi_connection, record, _proxy):
        since = record.info.get("pg_idle_since")
        if since is None or time.monotonic() - since < ping_after:
            return
        try:
            with dbapi_connection.cursor() as cursor:
                cursor.execute("SELECT 1")
            if not dbapi_connection.autocommit:
                dbapi_connection.rollback()
        except Exception as error:  # any failure: this connection is not to be trusted
            # The pool discards the connection and checks out (or opens) another one.
            raise exc.DisconnectionError(str(error)) from error


def writes(statement: str) -> bool:
    """Whether a statement needs a transaction: it writes, locks, or changes session state."""
    head = statement.lstrip()[:6].upper()
    if not head.startswith(_READS):
        return True
    upper = statement.upper()
    return any(marker in upper for marker in _LOCKING)


def read_json(data):
    """A JSON document from the database: orjson, or the standard decoder where it refuses."""
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError:
        return json.loads(data)


def _in_transaction(dbapi_connection) -> bool:
    return dbapi_connection.info.transaction_status != pq.TransactionStatus.IDLE
