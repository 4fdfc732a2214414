"""Querying a sweep's results: filters, column selection, sorting, paging, streaming, and its Pareto front.

Filters are strings so they travel in URLs:
- `name:min:max` a numeric range (either bound may be empty: `latency_s::0.01`, `rows:16:`);
- `name=value` or `name=a,b` equality / membership (categorical columns such as `model`, `dataflow`).
"""

from __future__ import annotations

import math
import threading
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
from sqlalchemy import ColumnElement, Select, func, select
from sqlalchemy.orm import Session

from backend.columns import ALL_COLUMNS, METRICS, NUMERIC_METRICS, PARAMETERS
from backend.models import DesignPoint, Sweep
from simulator.pareto import pareto_mask

MAX_PAGE_ROWS = 1_000_000
STREAM_BATCH_ROWS = 20_000


class BadQuery(ValueError):
    """A filter, column or sort the results cannot answer; the message says what is valid."""


def _column(name: str) -> Any:
    if name not in ALL_COLUMNS:
        raise BadQuery(f"unknown column '{name}'; valid: {', '.join(ALL_COLUMNS)}")
    return getattr(DesignPoint, name)


def column_kind(name: str) -> str:
    """The column's type ("float", "int", "str" or "bool"): how it is stored, filtered and encoded."""
    column = PARAMETERS.get(name) or METRICS.get(name)
    return column.type if column else ("str" if name == "error" else "int")


def _number(text: str, name: str) -> float:
    try:
        return float(text)
    except ValueError as error:
        raise BadQuery(f"filter on '{name}': '{text}' is not a number") from error


def parse_filter(text: str) -> ColumnElement[bool]:
    if "=" in text and (":" not in text or text.index("=") < text.index(":")):
        name, _, values = text.partition("=")
        column = _column(name.strip())
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
        raise BadQuery(f"filter '{text}' is neither 'name:min:max' nor 'name=value'")
    name, low, high = (part.strip() for part in parts)
    column = _column(name)
    if column_kind(name) not in ("int", "float"):
        raise BadQuery(f"'{name}' is not numeric; filter it with '{name}=value'")
    conditions = []
    integral = column_kind(name) == "int"  # compare integers as integers: a float literal casts the column (no index)
    if low:
        conditions.append(column >= (math.ceil(_number(low, name)) if integral else _number(low, name)))
    if high:
        conditions.append(column <= (math.floor(_number(high, name)) if integral else _number(high, name)))
    if not conditions:
        raise BadQuery(f"filter '{text}' gives neither a minimum nor a maximum")
    return conditions[0] if len(conditions) == 1 else conditions[0] & conditions[1]


@dataclass(frozen=True)
class ResultQuery:
    columns: list[str]
    filters: list[str]
    sort: list[str]
    limit: int = 1000
    offset: int = 0
    include_failed: bool = False

    def __post_init__(self) -> None:
        for name in self.columns:
            _column(name)
        for key in self.sort:
            _column(key.removeprefix("-"))


def default_columns() -> list[str]:
    return list(ALL_COLUMNS)


def _where(sweep_id: int, query: ResultQuery) -> list[ColumnElement[bool]]:
    conditions = [DesignPoint.sweep_id == sweep_id]
    if not query.include_failed:
        conditions.append(DesignPoint.error.is_(None))
    conditions.extend(parse_filter(text) for text in query.filters)
    return conditions


def _select(sweep_id: int, query: ResultQuery) -> Select[Any]:
    statement = select(*(_column(name) for name in query.columns)).where(*_where(sweep_id, query))
    order = []
    for key in query.sort:
        column = _column(key.removeprefix("-"))
        order.append(column.desc() if key.startswith("-") else column.asc())
    order.append(DesignPoint.point_index.asc())  # a stable order makes paging well defined
    return statement.order_by(*order)


def count(session: Session, sweep_id: int, query: ResultQuery) -> int:
    return int(session.execute(select(func.count()).select_from(DesignPoint)
                               .where(*_where(sweep_id, query))).scalar_one())


def estimate_count(session: Session, sweep_id: int, query: ResultQuery) -> int:
    """The planner's estimate of the matching rows (PostgreSQL; exact elsewhere): no scan of 10^6 rows."""
    connection = session.connection()
    if connection.dialect.name != "postgresql":
        return count(session, sweep_id, query)
    statement = select(DesignPoint.id).where(*_where(sweep_id, query))
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
    if not query.filters:
        sweep = session.get(Sweep, sweep_id)
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


@dataclass(frozen=True)
class Objective:
    name: str
    direction: str  # "min" | "max"


def parse_objectives(text: str) -> list[Objective]:
    """`latency_s,energy_j`; a metric's own direction unless prefixed `max:` / `min:` (or `-name` to maximise)."""
    objectives = []
    for item in (part.strip() for part in text.split(",") if part.strip()):
        direction = None
        if item.startswith(("max:", "min:")):
            direction, item = item[:3], item[4:]
        elif item.startswith("-"):
            direction, item = "max", item[1:]
        if item not in NUMERIC_METRICS and not (item in PARAMETERS and PARAMETERS[item].type in ("int", "float")):
            raise BadQuery(f"unknown objective '{item}'; choose from {', '.join(NUMERIC_METRICS)}")
        objectives.append(Objective(item, direction or METRICS.get(item, PARAMETERS.get(item)).direction or "min"))
    if not objectives:
        raise BadQuery("give at least one objective, e.g. objectives=latency_s,energy_j")
    if len({o.name for o in objectives}) != len(objectives):
        raise BadQuery("an objective is named twice")
    return objectives


def _order(objective: Objective, column: Any) -> Any:
    return (column.desc() if objective.direction == "max" else column.asc()).nulls_last()


def _no_worse(objective: Objective, column: Any, bound: float) -> ColumnElement[bool]:
    return column >= bound if objective.direction == "max" else column <= bound


def _front_box(session: Session, conditions: list[ColumnElement[bool]],
               objectives: list[Objective]) -> list[ColumnElement[bool]]:
    """For two objectives, the box the front lies in, from two index lookups.

    A = the best point in the first objective (ties: best in the second); no front point is worse than A in
    the second objective, or A would dominate it. Likewise B, best in the second, bounds the first.
    Only the box's points are fetched, however large the sweep.
    """
    first, second = (getattr(DesignPoint, o.name) for o in objectives)
    best_first = session.execute(select(first, second).where(*conditions).order_by(
        _order(objectives[0], first), _order(objectives[1], second)).limit(1)).first()
    best_second = session.execute(select(first, second).where(*conditions).order_by(
        _order(objectives[1], second), _order(objectives[0], first)).limit(1)).first()
    if best_first is None or best_second is None or None in (best_first[1], best_second[0]):
        return []
    return [_no_worse(objectives[1], second, best_first[1]), _no_worse(objectives[0], first, best_second[0])]


def _fetch_objectives(session: Session, sweep_id: int, objectives: list[Objective],
                      filters: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """Point ids and objective values (of the candidates for the front) as arrays, without ORM objects."""
    conditions = _where(sweep_id, ResultQuery(columns=["id"], filters=filters, sort=[]))
    if len(objectives) == 2:
        conditions += _front_box(session, conditions, objectives)
    statement = select(DesignPoint.id, *(getattr(DesignPoint, o.name) for o in objectives)).where(*conditions)
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        return _copy_binary(connection, statement, len(objectives))
    rows = connection.execute(statement).all()
    if not rows:
        return np.empty(0, dtype=np.int64), np.empty((0, len(objectives)))
    data = np.array(rows, dtype=np.float64)
    return data[:, 0].astype(np.int64), data[:, 1:]


def _copy_out(connection: Any, statement: Select[Any], copy_format: str) -> bytearray:
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
    import pyarrow as pa
    from pyarrow import csv as pa_csv

    buffer = _copy_out(connection, statement, "csv")
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


_COPY_HEADER = 11 + 4 + 4  # PGCOPY signature, flags, header extension length (0)


def _copy_binary(connection: Any, statement: Select[Any], k: int) -> tuple[np.ndarray, np.ndarray]:
    """COPY ... TO STDOUT (FORMAT binary) parsed as one NumPy record array: 10^6 rows in a fraction of a second.

    NULL metrics are sent as NaN so every row has the same layout: a field count, then (length, value) pairs.
    """
    from sqlalchemy import Float, cast, func, literal

    select_nan = statement.with_only_columns(
        statement.selected_columns[0],
        *(func.coalesce(column, cast(literal("NaN"), Float)) for column in statement.selected_columns[1:]))
    buffer = _copy_out(connection, select_nan, "binary")
    fields = [("count", ">i2"), ("id_length", ">i4"), ("id", ">i8")]
    for j in range(k):
        fields += [(f"length_{j}", ">i4"), (f"value_{j}", ">f8")]
    layout = np.dtype(fields)
    body = memoryview(buffer)[_COPY_HEADER:len(buffer) - 2]  # drop the header and the -1 trailer
    records = np.frombuffer(body, dtype=layout)
    values = np.column_stack([records[f"value_{j}"].astype(np.float64) for j in range(k)]) if len(records) else \
        np.empty((0, k))
    return records["id"].astype(np.int64), values


class _FrontCache:
    """The fronts served last, keyed by the sweep's identity and its counters.

    A chunk inserts its points and moves the counters in one transaction, so a key names one set of stored points
    and a hit is never stale; a team reading a finished 10^6-point sweep shares one computation per API process.
    """

    def __init__(self, entries: int = 32, max_rows: int = 100_000) -> None:
        self._fronts: OrderedDict[tuple[Any, ...], tuple[dict[str, list[Any]], int]] = OrderedDict()
        self._entries, self._max_rows = entries, max_rows
        self._lock = threading.Lock()

    def clear(self) -> None:
        with self._lock:
            self._fronts.clear()

    def get(self, key: tuple[Any, ...]) -> tuple[dict[str, list[Any]], int] | None:
        with self._lock:
            found = self._fronts.get(key)
            if found is not None:
                self._fronts.move_to_end(key)
            return found

    def put(self, key: tuple[Any, ...], front: tuple[dict[str, list[Any]], int]) -> None:
        if len(front[0]["id"]) > self._max_rows:
            return
        with self._lock:
            self._fronts[key] = front
            while len(self._fronts) > self._entries:
                self._fronts.popitem(last=False)


_fronts = _FrontCache()


def forget_fronts() -> None:
    """Empty this process's front cache (benchmarks time the computation itself)."""
    _fronts.clear()


def pareto(session: Session, sweep: Sweep, objectives: list[Objective], columns: list[str],
           filters: list[str]) -> tuple[dict[str, list[Any]], int]:
    """The non-dominated points (ordered by the first objective) as columns, and how many points were compared."""
    key = (str(session.get_bind().url), sweep.id, sweep.created_at, sweep.done_points, sweep.failed_points,
           tuple(objectives), tuple(columns), tuple(filters))
    front = _fronts.get(key)
    if front is None:
        front = _pareto(session, sweep, objectives, columns, filters)
        _fronts.put(key, front)
    return front


def _pareto(session: Session, sweep: Sweep, objectives: list[Objective], columns: list[str],
            filters: list[str]) -> tuple[dict[str, list[Any]], int]:
    sweep_id = sweep.id
    ids, values = _fetch_objectives(session, sweep_id, objectives, filters)
    mask = pareto_mask(values, [o.direction == "max" for o in objectives])
    front = ids[mask]
    order = np.argsort(values[mask, 0] * (-1 if objectives[0].direction == "max" else 1), kind="stable")
    front_ids = [int(i) for i in front[order]]
    wanted = list(dict.fromkeys(["id", *columns, *(o.name for o in objectives)]))
    by_id: dict[int, tuple[Any, ...]] = {}
    for start in range(0, len(front_ids), 10_000):
        batch = front_ids[start:start + 10_000]
        for row in session.execute(select(*(_column(n) for n in wanted)).where(DesignPoint.id.in_(batch))):
            by_id[row[0]] = tuple(row)
    rows = [by_id[i] for i in front_ids if i in by_id]
    # Without filters every stored point took part: the sweep's counter says how many, no count(*) needed.
    compared = count(session, sweep_id, ResultQuery(columns=["id"], filters=filters, sort=[])) if filters else \
        sweep.done_points
    return {name: [row[i] for row in rows] for i, name in enumerate(wanted)}, compared
