"""Alembic upgrade → downgrade → upgrade on both databases: migrations are exercised on every run."""

from __future__ import annotations

from pathlib import Path

import pytest
from optuna.storages._rdb import models as optuna_models
from sqlalchemy import create_engine, inspect, text

from backend.migrate import downgrade, upgrade
from backend.models import Base


def _tables(url: str) -> set[str]:
    engine = create_engine(url)
    try:
        return set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def _columns(url: str) -> dict[str, set[str]]:
    engine = create_engine(url)
    try:
        inspector = inspect(engine)
        return {table: {column["name"] for column in inspector.get_columns(table)} for table in Base.metadata.tables}
    finally:
        engine.dispose()


def _variant_is_filled_from_stored_inputs(url: str) -> None:
    """0011 adds the `variant` column and fills it for existing rows from their stored inputs."""
    upgrade(url, "0010")
    engine = create_engine(url)
    try:
        with engine.begin() as connection:
            connection.execute(text(
                "INSERT INTO sweeps (id, name, owner, spec, status, total_points, done_points, failed_points, "
                "chunk_size, chunk_count, chunks_done, chunks_failed, compute_s, created_at) VALUES "
                "(1, 'old', 'anonymous', '{}', 'done', 2, 2, 0, 2, 1, 1, 0, 0, CURRENT_TIMESTAMP)"))
            connection.execute(text(
                "INSERT INTO design_points (sweep_id, point_index, params) VALUES "
                """(1, 0, '{"model": "bert-base", "variant": "4 fusion"}'), (1, 1, '{"model": "bert-base"}')"""))
        upgrade(url)
        with engine.connect() as connection:
            rows = connection.execute(text("SELECT point_index, variant, ttft_s FROM design_points "
                                           "ORDER BY point_index")).all()
        assert [tuple(row) for row in rows] == [(0, "4 fusion", None), (1, None, None)]
        downgrade(url, "base")
    finally:
        engine.dispose()


def _round_trip(url: str) -> None:
    _variant_is_filled_from_stored_inputs(url)
    upgrade(url)
    expected = set(Base.metadata.tables) | {"alembic_version"} | set(optuna_models.BaseModel.metadata.tables)
    assert _tables(url) == expected, "the migrations must create exactly the ORM's and Optuna's tables"
    assert _columns(url) == {name: set(table.columns.keys()) for name, table in Base.metadata.tables.items()}, \
        "the migrations must create exactly the ORM's columns (a new result column needs a migration)"
    downgrade(url, "base")
    assert _tables(url) <= {"alembic_version"}, "downgrade to base must drop every table"
    upgrade(url)
    assert _tables(url) == expected


def test_round_trip_on_sqlite(tmp_path: Path) -> None:
    _round_trip(f"sqlite:///{tmp_path / 'dse.sqlite3'}")


@pytest.mark.postgres
def test_round_trip_on_postgres(postgres_server_url: str) -> None:
    """Uses its own database so that other tests' schemas are not touched."""
    import uuid

    from sqlalchemy.engine import make_url

    name = f"dse_migr_{uuid.uuid4().hex[:8]}"
    admin = create_engine(postgres_server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        _round_trip(make_url(postgres_server_url).set(database=name).render_as_string(hide_password=False))
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
        admin.dispose()
