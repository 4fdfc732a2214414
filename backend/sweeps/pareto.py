"""A sweep's Pareto front over chosen objectives, computed in the database's neighbourhood and cached.

For two objectives only the box the front lies in is fetched (two index lookups bound it); the candidates come
as NumPy arrays (COPY binary on PostgreSQL) and `simulator.pareto.pareto_mask` — the one definition of the
front — picks the non-dominated points.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

import numpy as np
from sqlalchemy import ColumnElement, Float, Select, cast, func, literal, select
from sqlalchemy.orm import Session

from backend.columns import METRICS, NUMERIC_METRICS, PARAMETERS
from backend.models import DesignPoint, Sweep
from backend.sweeps.results import BadQuery, ResultQuery, column_of, copy_out, count, where
from simulator.pareto import pareto_mask


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


MAX_GROUP_COLUMNS = 4
MAX_GROUPS = 256


def parse_group_by(text: str | None) -> list[str]:
    """`model,seq_len`: design parameters whose every combination of values gets its own front."""
    names = [part.strip() for part in (text or "").split(",") if part.strip()]
    for name in names:
        if name not in PARAMETERS:
            raise BadQuery(f"cannot group by '{name[:50]}': group by design parameters such as model, seq_len, "
                           "variant or rows")
    if len(set(names)) != len(names):
        raise BadQuery("a group_by column is named twice")
    if len(names) > MAX_GROUP_COLUMNS:
        raise BadQuery(f"group by at most {MAX_GROUP_COLUMNS} columns")
    return names


def _matches(name: str, value: Any) -> ColumnElement[bool]:
    column = column_of(name)
    return column.is_(None) if value is None else column == value


def groups(session: Session, sweep: Sweep, names: list[str], filters: list[str]) -> list[dict[str, Any]]:
    """The distinct value combinations of `names` among the sweep's results (after filters), in sorted order."""
    conditions = where(sweep.id, ResultQuery(columns=["id"], filters=filters, sort=[]))
    columns = [column_of(name) for name in names]
    statement = select(*columns).where(*conditions).distinct().order_by(*(c.asc().nulls_last() for c in columns))
    rows = session.execute(statement.limit(MAX_GROUPS + 1)).all()
    if len(rows) > MAX_GROUPS:
        raise BadQuery(f"grouping by {', '.join(names)} gives more than {MAX_GROUPS} groups: group by fewer "
                       "columns, or filter the sweep first")
    return [dict(zip(names, row, strict=True)) for row in rows]


def _fetch_objectives(session: Session, sweep_id: int, objectives: list[Objective], filters: list[str],
                      group: dict[str, Any]) -> tuple[np.ndarray, np.ndarray]:
    """Point ids and objective values (of the candidates for the front) as arrays, without ORM objects."""
    conditions = where(sweep_id, ResultQuery(columns=["id"], filters=filters, sort=[]))
    conditions += [_matches(name, value) for name, value in group.items()]
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


_COPY_HEADER = 11 + 4 + 4  # PGCOPY signature, flags, header extension length (0)


def _copy_binary(connection: Any, statement: Select[Any], k: int) -> tuple[np.ndarray, np.ndarray]:
    """COPY ... TO STDOUT (FORMAT binary) parsed as one NumPy record array: 10^6 rows in a fraction of a second.

    NULL metrics are sent as NaN so every row has the same layout: a field count, then (length, value) pairs.
    """
    select_nan = statement.with_only_columns(
        statement.selected_columns[0],
        *(func.coalesce(column, cast(literal("NaN"), Float)) for column in statement.selected_columns[1:]))
    buffer = copy_out(connection, select_nan, "binary")
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
           filters: list[str], group: dict[str, Any] | None = None) -> tuple[dict[str, list[Any]], int]:
    """The non-dominated points (ordered by the first objective) as columns, and how many points were compared;
    with `group` ({column: value}), among the points with those values only."""
    group = group or {}
    key = (str(session.get_bind().engine.url), sweep.id, sweep.created_at, sweep.done_points, sweep.failed_points,
           tuple(objectives), tuple(columns), tuple(filters), tuple(group.items()))
    front = _fronts.get(key)
    if front is None:
        front = _pareto(session, sweep, objectives, columns, filters, group)
        _fronts.put(key, front)
    return front


def _pareto(session: Session, sweep: Sweep, objectives: list[Objective], columns: list[str],
            filters: list[str], group: dict[str, Any]) -> tuple[dict[str, list[Any]], int]:
    sweep_id = sweep.id
    ids, values = _fetch_objectives(session, sweep_id, objectives, filters, group)
    mask = pareto_mask(values, [o.direction == "max" for o in objectives])
    front = ids[mask]
    order = np.argsort(values[mask, 0] * (-1 if objectives[0].direction == "max" else 1), kind="stable")
    front_ids = [int(i) for i in front[order]]
    wanted = list(dict.fromkeys(["id", *columns, *(o.name for o in objectives)]))
    by_id: dict[int, tuple[Any, ...]] = {}
    for start in range(0, len(front_ids), 10_000):
        batch = front_ids[start:start + 10_000]
        for row in session.execute(select(*(column_of(n) for n in wanted)).where(DesignPoint.id.in_(batch))):
            by_id[row[0]] = tuple(row)
    rows = [by_id[i] for i in front_ids if i in by_id]
    # Without filters every stored point took part: the sweep's counter says how many, no count(*) needed.
    if group:
        conditions = where(sweep_id, ResultQuery(columns=["id"], filters=filters, sort=[]))
        compared = int(session.execute(select(func.count()).select_from(DesignPoint).where(
            *conditions, *(_matches(name, value) for name, value in group.items()))).scalar_one())
    elif filters:
        compared = count(session, sweep_id, ResultQuery(columns=["id"], filters=filters, sort=[]))
    else:
        compared = sweep.done_points
    return {name: [row[i] for row in rows] for i, name in enumerate(wanted)}, compared
