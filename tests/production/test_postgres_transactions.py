"""PostgreSQL: reads run in autocommit, the first write opens the transaction, and an idle
pooled connection is checked before use (``core/postgres.py``)."""

import json

import pytest
from psycopg import pq
from sqlalchemy import create_engine, exc, text

from core import postgres

IDLE, INTRANS = pq.TransactionStatus.IDLE, pq.TransactionStatus.INTRANS


@pytest.mark.parametrize("statement, writes", [
    ("SELECT lines.id FROM lines WHERE lines.id = %(id)s", False),
    ("  select 1", False),
    ("SHOW transaction isolation level", False),
    ("SELECT lines.id FROM lines WHERE lines.id = 1 FOR UPDATE", True),
    ("SELECT lines.id FROM lines FOR NO KEY UPDATE SKIP LOCKED", True),
    ("SELECT pg_advisory_xact_lock(1)", True),
    ("SELECT nextval('lines_id_seq')", True),
    ("SELECT set_config('x.y', '1', true)", True),
    ("INSERT INTO lines (msisdn) VALUES ('1')", True),
    ("UPDATE lines SET version = 2", True),
    ("DELETE FROM lines", True),
    ('SAVEPOINT "sa_savepoint_1"', True),
    ("WITH gone AS (DELETE FROM lines RETURNING id) SELECT id FROM gone", True),
    ("CREATE TABLE x (id int)", True),
])
def test_what_counts_as_a_write(statement, writes):
    assert postgres.writes(statement) is writes


@pytest.fixture
def engine(database_url):
    if not database_url.startswith("postgresql"):
        pytest.skip("PostgreSQL only")
    engine = create_engine(database_url)
    postgres.configure(engine, ping_after=3600)
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("CREATE TABLE IF NOT EXISTS tx_probe (n int)"))
        conn.execute(text("DELETE FROM tx_probe"))
    yield engine
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("DROP TABLE tx_probe"))
    engine.dispose()


def _status(conn):
    return conn.connection.dbapi_connection.info.transaction_status


def _count(engine):
    with engine.connect() as conn:
        return conn.execute(text("SELECT count(*) FROM tx_probe")).scalar()


def test_reads_open_no_transaction_and_the_first_write_does(engine):
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM tx_probe")).scalar() == 0
        assert _status(conn) == IDLE  # no BEGIN was sent for the read
        conn.execute(text("INSERT INTO tx_probe VALUES (1)"))
        assert _status(conn) == INTRANS
        conn.execute(text("INSERT INTO tx_probe VALUES (2)"))
        # Seen inside the transaction, not outside it yet.
        assert conn.execute(text("SELECT count(*) FROM tx_probe")).scalar() == 2
        assert _count(engine) == 0
        conn.rollback()
    assert _count(engine) == 0  # both writes were one transaction, undone together
    with engine.connect() as conn:
        conn.execute(text("SELECT 1"))
        conn.execute(text("INSERT INTO tx_probe VALUES (3)"))
        conn.commit()
        # The next transaction starts reading again.
        conn.execute(text("SELECT 1"))
        assert _status(conn) == IDLE
    assert _count(engine) == 1


def test_a_locking_read_and_a_savepoint_open_the_transaction(engine):
    with engine.connect() as conn:
        conn.execute(text("SELECT n FROM tx_probe FOR UPDATE"))
        assert _status(conn) == INTRANS
        conn.rollback()
        with conn.begin_nested():
            assert _status(conn) == INTRANS
            conn.execute(text("INSERT INTO tx_probe VALUES (1)"))
        conn.rollback()
    assert _count(engine) == 0


def test_a_streamed_read_runs_in_a_transaction(engine):
    # yield_per uses a server-side cursor, which PostgreSQL allows only in a transaction.
    with engine.connect() as conn:
        result = conn.execution_options(yield_per=7).execute(
            text("SELECT g FROM generate_series(1, 30) AS g"))
        assert [row[0] for row in result] == list(range(1, 31))


def test_an_explicit_autocommit_connection_stays_autocommit(engine):
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("INSERT INTO tx_probe VALUES (1)"))
        assert _status(conn) == IDLE  # committed by itself
    assert _count(engine) == 1


def test_an_idle_dead_connection_is_replaced_before_use(database_url):
    if not database_url.startswith("postgresql"):
        pytest.skip("PostgreSQL only")

    def pooled_engine(ping_after):
        engine = create_engine(database_url, pool_size=1, max_overflow=0)
        postgres.configure(engine, ping_after=ping_after)
        return engine

    def kill_pooled_connection(engine):
        with engine.connect() as conn:
            pid = conn.execute(text("SELECT pg_backend_pid()")).scalar()
        with engine.connect() as conn:  # the pooled connection itself, still alive
            assert conn.execute(text("SELECT pg_backend_pid()")).scalar() == pid
        killer = create_engine(database_url, isolation_level="AUTOCOMMIT")
        with killer.connect() as conn:
            conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        killer.dispose()
        return pid

    # Idle longer than DATABASE_PING_AFTER: pinged, found dead, replaced; the caller never knows.
    checked = pooled_engine(ping_after=0)
    old = kill_pooled_connection(checked)
    with checked.connect() as conn:
        assert conn.execute(text("SELECT pg_backend_pid()")).scalar() != old
    checked.dispose()

    # Reused within the interval (a busy worker): no ping; a dead connection fails once and
    # the pool is invalidated, so the next checkout connects afresh.
    busy = pooled_engine(ping_after=3600)
    old = kill_pooled_connection(busy)
    conn = busy.connect()
    with pytest.raises(exc.DBAPIError):
        conn.execute(text("SELECT 1"))
    conn.rollback()
    conn.close()
    with busy.connect() as conn:
        assert conn.execute(text("SELECT pg_backend_pid()")).scalar() != old
    busy.dispose()


@pytest.mark.parametrize("document", ['{"a": [1, 2.5, null, "б"]}',
                                      '{"big": 1180591620717411303424}'])
def test_json_columns_read_as_the_standard_decoder_reads_them(document):
    assert postgres.read_json(document.encode()) == json.loads(document)
