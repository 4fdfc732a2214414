"""What `dse sweep submit --wait` and `dse sweep show` end with: the sweep's state in words, its Pareto front per
workload (model × the scenario fields it varies) with the best point per objective, and where to open it."""

from __future__ import annotations

import json
from typing import Any

from backend.cli.display import si
from simulator import catalog

MAX_GROUPS_SHOWN = 6


def workload_columns(spec: dict[str, Any]) -> list[str]:
    """The columns a sweep's workloads differ in (as the dashboard groups its fronts): never a front across them."""
    names = ["model"]
    scenarios = spec.get("scenarios", [{}])
    for field in catalog.SCENARIO_FIELDS:
        if len({json.dumps(s.get(field)) for s in scenarios}) > 1 or field in spec.get("scenario_axes", {}):
            names.append(field)
    return names


def state_line(sweep: dict[str, Any]) -> str:
    """"sweep 3 'demo': done — 2 of 8 points evaluated, 6 failed (12 points/s)"."""
    finished = sweep["done_points"] + sweep["failed_points"]
    counts = f"{sweep['done_points']:,} of {sweep['total_points']:,} points evaluated"
    if sweep["failed_points"]:
        counts += f", {sweep['failed_points']:,} failed"
    if sweep["status"] in ("queued", "running") and finished < sweep["total_points"]:
        counts += f", {sweep['total_points'] - finished:,} to go"
    rate = f" ({sweep['points_per_s']:,.0f} points/s)" if sweep.get("points_per_s") else ""
    error = f"\n  first error: {sweep['error']}" if sweep.get("error") else ""
    stopped = (sweep.get("search") or {}).get("stopped")
    why = f"\n  search stopped: {stopped}" if stopped else ""
    return f"sweep {sweep['id']} '{sweep['name']}': {sweep['status']} — {counts}{rate}{why}{error}"


def _value(name: str, value: Any) -> str:
    entry = catalog.BY_NAME.get(name)
    unit = entry.unit if entry else ""
    if isinstance(value, float) and unit in ("s", "J", "W"):
        return si(value, unit)
    if isinstance(value, float):
        return f"{value:.4g}{' ' + unit if unit else ''}"
    return f"{value}{' ' + unit if unit and not isinstance(value, str) else ''}"


def _design(row: dict[str, Any], parameters: list[str]) -> str:
    return ", ".join(f"{name} {_value(name, row[name])}" for name in parameters if name in row)


def front_lines(sweep: dict[str, Any], fronts: dict[str, Any]) -> list[str]:
    """Per workload: the front's size and, per objective, its best point (with the design that reaches it)."""
    objectives = [(o["name"], o["direction"]) for o in fronts["objectives"]]
    grouped = fronts["group_by"]
    parameters = [name for name in sweep.get("varied", []) if name not in grouped]
    lines = []
    for group in fronts["groups"][:MAX_GROUPS_SHOWN]:
        label = ", ".join(f"{name} {_value(name, value)}" for name, value in group["key"].items())
        size = group["front_size"]
        lines.append(f"front of {label}: {size} design{'s' if size != 1 else ''} (of {group['compared']:,} points)")
        for name, direction in objectives:
            rows = [row for row in group["front"] if row.get(name) is not None]
            if not rows:
                continue
            best = (min if direction == "min" else max)(rows, key=lambda row: row[name])
            design = _design(best, parameters)
            lines.append(f"  best {name}: {_value(name, best[name])} at point {best['id']}"
                         + (f" ({design})" if design else ""))
    hidden = len(fronts["groups"]) - MAX_GROUPS_SHOWN
    if hidden > 0:
        lines.append(f"… and {hidden} more workloads (the dashboard shows every front)")
    return lines


def pareto_query(sweep: dict[str, Any]) -> dict[str, str]:
    """GET /api/sweeps/{id}/pareto parameters for the summary."""
    grouped = workload_columns(sweep["spec"])
    wanted = ["id", *dict.fromkeys([*sweep.get("varied", []), *sweep["objectives"]])]
    return {"objectives": ",".join(sweep["objectives"]), "group_by": ",".join(grouped), "columns": ",".join(wanted)}
