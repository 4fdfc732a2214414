"""Querying a sweep's results: filters, column selection, sorting, paging and streaming.

Filters are strings so they travel in URLs:
- `name:min:max` a numeric range (either bound may be empty: `latency_s::0.01`, `rows:16:`);
- `name=value` or `name=a,b` equality / membership (categorical columns such as `model`, `dataflow`).
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pyarrow as pa
from pyarrow import csv as pa_csv
from sqlalchemy import ColumnElement, Float, Select, and_, case, func, literal, null, or_, select
from sqlalchemy.orm import Session

from backend.columns import ALL_COLUMNS, PARAMETERS, RATIOS, column_kind
from backend.models import DesignPoint, Sweep

MAX_PAGE_ROWS = 1_000_000
# A JSON or binary page is built in memory: rows x columns is capped (CSV and Parquet stream any size).
MAX_PAGE_CELLS = 5_000_000
STREAM_BATCH_ROWS = 20_000


class BadQuery(ValueError):
    """A filter, column or sort the results cannot answer; the message says what is valid."""


# What makes a workload: a ratio compares a point only with a baseline of the same model and scenario.
WORKLOAD_COLUMNS: tuple[str, ...] = ("model", *(name for name, entry in PARAMETERS.items()
                                                if entry.source == "scenario"))


@dataclass(frozen=True)
class Baseline:
    """The point the ratio columns compare with: its metrics, and its workload (model and scenario values)."""

    metrics: dict[str, float]
    workload: dict[str, Any]


def _same_workload(baseline: Baseline) -> ColumnElement[bool]:
    return and_(*(getattr(DesignPoint, name).is_(None) if value is None
                  else getattr(DesignPoint, name) == literal(value) for name, value in baseline.workload.items()))


def column_of(name: str, baseline: Baseline | None = None) -> Any:
    """The column (or, for a ratio, its expression against the `baseline` point's metrics: null for a point of
    another workload, which a speedup would compare with a different model or scenario)."""
    if name in RATIOS:
        if baseline is None:
            raise BadQuery(f"'{name}' compares each point with a baseline point: add baseline=POINT_ID")
        ratio = RATIOS[name]
        base = literal(baseline.metrics[ratio.of], Float)
        value = func.nullif(getattr(DesignPoint, ratio.of), 0.0)
        expression = base / value if ratio.inverted else value / func.nullif(base, 0.0)
        return case((_same_workload(baseline), expression), else_=null()).label(name)
    if name not in ALL_COLUMNS:
        raise BadQuery(f"unknown column '{name}'; valid: {', '.join(ALL_COLUMNS)}")
    return getattr(DesignPoint, name)


# Integer columns are 64-bit: a bound beyond that is out of range, not a database overflow.
INT_LIMIT = 2**63 - 1


def _number(text: str, name: str) -> float:
    try:
        value = float(text)
    except ValueError as error:
        raise BadQuery(f"filter on '{name}': '{text[:50]}' is not a number") from error
    if not math.isfinite(value):
        raise BadQuery(f"filter on '{name}': '{text[:50]}' is not a finite number; leave a side empty for no bound")
    if column_kind(name) == "int" and abs(value) > INT_LIMIT:
        raise BadQuery(f"filter on '{name}': {text[:50]} is out of range (at most {INT_LIMIT:,} in magnitude)")
    return value


def parse_filter(text: str) -> ColumnElement[bool]:
    if "=" in text and (":" not in text or text.index("=") < text.index(":")):
        name, _, values = text.partition("=")
        column = column_of(name.strip())
        kind = column_kind(name.strip())
        items: list[Any] = [v.strip() for v in values.split(",")]
        if kind == "int":
            items = [int(_number(v, name)) if _number(v, name).is_integer() else _number(v, name) for v in items]
        elif kind == "float":
            items = [_number(v, name) for v in items]
        elif kind == "bool":
            items = [v.lower() in ("1", "true", "yes") for v in items]
        return column == items[0] if len(items) == 1 else column.in_(items)
    parts = text.split(":")
    if len(parts) != 3:
        raise BadQuery(f"filter '{text[:100]}' is neither 'name:min:max' nor 'name=value'")
    name, low, high = (part.strip() for part in parts)
    column = column_of(name)
    if column_kind(name) not in ("int", "float"):
        raise BadQuery(f"'{name}' is not numeric; filter it with '{name}=value'")
    conditions = []
    integral = column_kind(name) == "int"  # compare integers as integers: a float literal casts the column (no index)
    if low:
        conditions.append(column >= (math.ceil(_number(low, name)) if integral else _number(low, name)))
    if high:
        conditions.append(column <= (math.floor(_number(high, name)) if integral else _number(high, name)))
    if not conditions:
        raise BadQuery(f"filter '{text[:100]}' gives neither a minimum nor a maximum")
    return conditions[0] if len(conditions) == 1 else conditions[0] & conditions[1]


@dataclass(frozen=True)
class ResultQuery:
    columns: list[str]
    filters: list[str]
    sort: list[str]
    limit: int = 1000
    offset: int = 0
    include_failed: bool = False
    failed_only: bool = False  # only the points whose evaluation failed
    baseline: Baseline | None = None  # the baseline point, for ratio columns
    sample_step: int = 1  # one run of points in n (a first view of a huge sweep: `sampled`), plus `keep_ids`
    keep_ids: tuple[int, ...] = ()  # points a sample always holds (the Pareto fronts the view draws)

    def __post_init__(self) -> None:
        for name in self.columns:
            column_of(name, self.baseline)
        for key in self.sort:
            column_of(key.removeprefix("-"), self.baseline)


SAMPLE_RUN = 64  # a sample takes runs of consecutive points: they lie together on disk (chunks insert in order)


def sampled(step: int) -> ColumnElement[bool]:
    """One run of SAMPLE_RUN consecutive point indices in every `step` runs: about 1/step of the points, reading
    about 1/step of the table's pages. Integer division on both databases (no `%`: a COPY statement is compiled to
    literal SQL)."""
    run = DesignPoint.point_index // SAMPLE_RUN
    return run - (run // step) * step == 0


def where(sweep_id: int, query: ResultQuery) -> list[ColumnElement[bool]]:
    conditions = [DesignPoint.sweep_id == sweep_id]
    if query.failed_only:
        conditions.append(DesignPoint.error.is_not(None))
    elif not query.include_failed:
        conditions.append(DesignPoint.error.is_(None))
    conditions.extend(parse_filter(text) for text in query.filters)
    if query.sample_step > 1:
        conditions.append(or_(sampled(query.sample_step), DesignPoint.id.in_(query.keep_ids)) if query.keep_ids
                          else sampled(query.sample_step))
    return conditions


def _select(sweep_id: int, query: ResultQuery) -> Select[Any]:
    statement = select(*(column_of(name, query.baseline) for name in query.columns)).where(*where(sweep_id, query))
    order = []
    for key in query.sort:
        column = column_of(key.removeprefix("-"), query.baseline)
        # empty values last either way, on both databases (a ratio is empty for another workload's points)
        order.append((column.desc() if key.startswith("-") else column.asc()).nulls_last())
    order.append(DesignPoint.point_index.asc())  # a stable order makes paging well defined
    return statement.order_by(*order)


def count(session: Session, sweep_id: int, query: ResultQuery) -> int:
    return int(session.execute(select(func.count()).select_from(DesignPoint)
                               .where(*where(sweep_id, query))).scalar_one())


def estimate_count(session: Session, sweep_id: int, query: ResultQuery) -> int:
    """The planner's estimate of the matching rows (PostgreSQL; exact elsewhere): no scan of 10^6 rows."""
    connection = session.connection()
    if connection.dialect.name != "postgresql":
        return count(session, sweep_id, query)
    statement = select(DesignPoint.id).where(*where(sweep_id, query))
    sql = str(statement.compile(dialect=connection.dialect, compile_kwargs={"literal_binds": True}))
    plan = connection.exec_driver_sql(f"EXPLAIN (FORMAT JSON) {sql}").scalar_one()
    return int(plan[0]["Plan"]["Plan Rows"])


def page(session: Session, sweep_id: int, query: ResultQuery, total_mode: str = "exact",
         arrays: bool = False) -> tuple[dict[str, Any], int, bool]:
    """One page as columns ({name: [values]}), the rows matching the filters, and whether that is exact.

    Without filters the sweep's counters give the total for free; with filters an exact total is a scan of
    the sweep's matching rows, so `total_mode="estimate"` takes the planner's estimate instead. With `arrays`,
    numeric columns may come back as float64 arrays (NaN = null): on PostgreSQL the page is read with COPY and
    parsed by Arrow, without a Python object per value (10^5 rows x 18 columns in a fraction of a second).
    """
    statement = _select(sweep_id, query).limit(query.limit).offset(query.offset)
    if arrays and session.connection().dialect.name == "postgresql":
        columns = _copy_columns(session.connection(), statement, query.columns)
    else:
        rows = session.execute(statement).all()
        columns = {name: [row[i] for row in rows] for i, name in enumerate(query.columns)}
    if query.sample_step > 1:  # the total of the points sampled from
        whole = replace(query, sample_step=1, keep_ids=())
        return _with_total(session, sweep_id, whole, total_mode, columns)
    return _with_total(session, sweep_id, query, total_mode, columns)


def _with_total(session: Session, sweep_id: int, query: ResultQuery, total_mode: str,
               columns: dict[str, Any]) -> tuple[dict[str, Any], int, bool]:
    """The page with the number of rows matching the query's filters, and whether that number is exact."""
    if not query.filters:
        sweep = session.get(Sweep, sweep_id)
        if query.failed_only:
            return columns, sweep.failed_points, True
        return columns, sweep.done_points + (sweep.failed_points if query.include_failed else 0), True
    if total_mode == "estimate":
        exact = session.connection().dialect.name != "postgresql"  # elsewhere the "estimate" is a count
        return columns, estimate_count(session, sweep_id, query), exact
    return columns, count(session, sweep_id, query), True


def stream(session: Session, sweep_id: int, query: ResultQuery) -> Iterator[list[tuple[Any, ...]]]:
    """Every matching row, in batches, through a server-side cursor (constant memory for 10^6 rows)."""
    statement = _select(sweep_id, query)
    if query.limit:
        statement = statement.limit(query.limit).offset(query.offset)
    result = session.execute(statement.execution_options(stream_results=True, yield_per=STREAM_BATCH_ROWS))
    for partition in result.partitions(STREAM_BATCH_ROWS):
        yield [tuple(row) for row in partition]


def copy_out(connection: Any, statement: Select[Any], copy_format: str) -> bytearray:
    """The statement's rows as PostgreSQL sends them with COPY ... TO STDOUT (no Python object per value)."""
    sql = str(statement.compile(dialect=connection.dialect, compile_kwargs={"literal_binds": True}))
    buffer = bytearray()
    with connection.connection.driver_connection.cursor() as cursor, \
            cursor.copy(f"COPY ({sql}) TO STDOUT (FORMAT {copy_format})") as copy:
        for block in copy:
            buffer += block
    return buffer


def _copy_columns(connection: Any, statement: Select[Any], names: list[str]) -> dict[str, Any]:
    """A page through COPY ... (FORMAT csv), parsed by Arrow: numeric columns as float64 arrays, others as lists."""
    buffer = copy_out(connection, statement, "csv")
    numeric = {name for name in names if column_kind(name) in ("int", "float")}
    if not buffer:
        return {name: np.empty(0) if name in numeric else [] for name in names}
    types = {name: pa.float64() if name in numeric else {"str": pa.string(), "bool": pa.bool_()}[column_kind(name)]
             for name in names}
    # PostgreSQL's CSV: NULL is an empty unquoted field, an empty string is "", booleans are t/f.
    table = pa_csv.read_csv(pa.py_buffer(buffer), read_options=pa_csv.ReadOptions(column_names=names),
                            convert_options=pa_csv.ConvertOptions(
                                column_types=types, null_values=[""], strings_can_be_null=True,
                                quoted_strings_can_be_null=False, true_values=["t"], false_values=["f"]))
    return {name: table[name].to_numpy(zero_copy_only=False) if name in numeric else table[name].to_pylist()
            for name in names}


def error_groups(session: Session, sweep_id: int, limit: int = 20) -> list[tuple[str, int, int]]:
    """The sweep's failure messages, most frequent first: (message, points, one point's id)."""
    statement = (select(DesignPoint.error, func.count(), func.min(DesignPoint.id))
                 .where(DesignPoint.sweep_id == sweep_id, DesignPoint.error.is_not(None))
                 .group_by(DesignPoint.error).order_by(func.count().desc(), DesignPoint.error).limit(limit))
    return [(str(error), int(points), int(point_id)) for error, points, point_id in session.execute(statement)]


def baseline_of(session: Session, sweep_id: int, point_id: int) -> Baseline:
    """The metrics the ratio columns compare with, and the workload they apply to, from an evaluated point of this
    sweep."""
    names = sorted({ratio.of for ratio in RATIOS.values()})
    row = session.execute(select(DesignPoint.sweep_id, DesignPoint.error, *(getattr(DesignPoint, n) for n in names),
                                 *(getattr(DesignPoint, n) for n in WORKLOAD_COLUMNS))
                          .where(DesignPoint.id == point_id)).first()
    if row is None or row[0] != sweep_id:
        raise BadQuery(f"baseline point {point_id} is not a point of sweep {sweep_id}")
    metrics = row[2:2 + len(names)]
    if row[1] is not None or any(value is None for value in metrics):
        raise BadQuery(f"baseline point {point_id} failed to evaluate; choose an evaluated point")
    return Baseline(metrics=dict(zip(names, (float(v) for v in metrics), strict=True)),
                    workload=dict(zip(WORKLOAD_COLUMNS, row[2 + len(names):], strict=True)))
