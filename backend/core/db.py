"""The one engine and session factory; SQLite gets the pragmas it needs for an API and a worker at once."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker


def private_directory(path: Path) -> Path:
    """Creates `path` (and parents) if needed; the state it holds is its owner's only (0700)."""
    path.mkdir(parents=True, exist_ok=True)
    path.chmod(0o700)
    return path


def make_engine(url: str) -> Engine:
    """An engine for `url`; SQLite files get WAL and a busy timeout so readers never block the writer."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        database = Path(parsed.database) if parsed.database and parsed.database != ":memory:" else None
        if database is not None:
            private_directory(database.parent)
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.close()
            if database is not None:  # results and accounts: readable by their owner only
                for path in (database, database.with_name(database.name + "-wal"),
                             database.with_name(database.name + "-shm")):
                    if path.exists():
                        path.chmod(0o600)

        return engine
    # psycopg prepares a statement run 5 times; PostgreSQL then may plan it once for any parameters, and a
    # generic plan guesses range filters badly (a 20 ms results page became 400 ms). Plan each query for its values.
    connect_args = {"prepare_threshold": None} if parsed.get_driver_name() == "psycopg" else {}
    # A request waits at most pool_timeout for a connection: a starved pool is an error, never a hang.
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20, pool_timeout=10,
                         connect_args=connect_args)


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False)


@contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """One unit of work: commits at the end, rolls back on error (services never commit themselves)."""
    with factory() as session, session.begin():
        yield session
