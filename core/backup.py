"""``flask --app app backup PATH`` and ``restore PATH`` for SQLite installations.

SQLite's online backup API copies a consistent snapshot page by page while the portal
keeps serving (readers and the writer are not stopped; a write during the copy restarts it
from the changed page). PostgreSQL installations use ``pg_dump`` / ``pg_restore`` instead
(``docs/deployment.md``); the commands say so rather than pretend.
"""

import sqlite3
from pathlib import Path

import click
from flask.cli import with_appcontext

from core.extensions import db

PAGES_PER_STEP = 1024


def _sqlite_file() -> Path:
    url = db.engine.url
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        raise click.ClickException(
            "backup/restore here are for a SQLite file; for PostgreSQL use pg_dump -Fc / "
            "pg_restore (docs/deployment.md, 'Backups').")
    return Path(url.database)


def backup_sqlite(source: Path, target: Path) -> None:
    """Copy the live database at ``source`` into a new file ``target`` (safe while serving)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".partial")
    partial.unlink(missing_ok=True)
    with sqlite3.connect(source) as src, sqlite3.connect(partial) as dst:
        src.backup(dst, pages=PAGES_PER_STEP)
        # One self-contained file, readable without a -wal beside it.
        dst.execute("PRAGMA journal_mode=DELETE")
    src.close()
    dst.close()
    partial.replace(target)


def restore_sqlite(backup: Path, target: Path) -> None:
    """Overwrite the database at ``target`` with the content of ``backup``."""
    with sqlite3.connect(f"file:{backup}?mode=ro", uri=True) as src:
        check = src.execute("PRAGMA quick_check").fetchone()[0]
        has_schema = src.execute("SELECT 1 FROM sqlite_master WHERE type='table' "
                                 "AND name='alembic_version'").fetchone()
        if check != "ok" or not has_schema:
            raise click.ClickException(f"{backup} is not a portal backup ({check}).")
        with sqlite3.connect(target, timeout=30) as dst:
            src.backup(dst, pages=PAGES_PER_STEP)
        dst.close()
    src.close()


@click.command("backup")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@with_appcontext
def backup_command(path: Path):
    """Write a consistent copy of the SQLite database to PATH (safe while serving)."""
    source = _sqlite_file()
    if path.exists():
        raise click.ClickException(f"{path} exists: choose a new file name.")
    backup_sqlite(source, path)
    click.echo(f"backed up {source} to {path} ({path.stat().st_size} bytes)")


@click.command("restore")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@with_appcontext
def restore_command(path: Path, yes: bool):
    """Replace the SQLite database by the backup at PATH (stop the web and workers first)."""
    target = _sqlite_file()
    if not yes:
        click.confirm(f"Replace every row of {target} by the content of {path}?", abort=True)
    db.session.remove()
    db.engine.dispose()
    restore_sqlite(path, target)
    click.echo(f"restored {target} from {path}")
