"""CSV and Parquet exports, streamed batch by batch so a 10^6-point sweep never sits in memory at once, and the
dashboard's binary columns for one page."""

from __future__ import annotations

import csv
import io
import json
import struct
from collections.abc import Iterator
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
from sqlalchemy.orm import Session, sessionmaker

from backend.columns import column_kind
from backend.sweeps import results as results_service


def _arrow_type(name: str) -> pa.DataType:
    return {"float": pa.float64(), "int": pa.int64(), "str": pa.string(),
            "bool": pa.bool_()}[column_kind(name)]


def column_arrays(columns: dict[str, list[Any]], meta: dict[str, Any]) -> bytes:
    """One page as binary columns, so a browser maps 10^5 points onto typed arrays instead of parsing JSON.

    Layout: a little-endian uint32 header length; the UTF-8 JSON header (`meta`, `numeric`: the names of the
    numeric columns in body order, `columns`: every other column as a list); zero padding to a multiple of 8
    bytes; then each numeric column as `meta["count"]` little-endian float64 values, NaN for null.
    """
    numeric = [name for name in columns if column_kind(name) in ("int", "float")]
    header = json.dumps({**meta, "numeric": numeric,
                         "columns": {name: values for name, values in columns.items() if name not in numeric}},
                        separators=(",", ":")).encode()
    padding = b"\0" * (-(4 + len(header)) % 8)
    arrays = [np.asarray(columns[name], dtype="<f8").tobytes() for name in numeric]
    return b"".join([struct.pack("<I", len(header)), header, padding, *arrays])


# A spreadsheet runs a cell that starts with one of these as a formula (CSV injection, OWASP).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise_formulas(rows: list[Any], text_columns: list[int]) -> list[Any]:
    """Text cells that a spreadsheet would evaluate get a leading apostrophe; numbers are left alone."""
    if not text_columns:
        return rows
    out = []
    for row in rows:
        cells = list(row)
        for k in text_columns:
            if isinstance(cells[k], str) and cells[k].startswith(FORMULA_STARTS):
                cells[k] = "'" + cells[k]
        out.append(cells)
    return out


def csv_stream(factory: sessionmaker[Session], sweep_id: int, query: results_service.ResultQuery) -> Iterator[bytes]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(query.columns)
    text_columns = [k for k, name in enumerate(query.columns) if column_kind(name) == "str"]
    with factory() as session:  # its own session: the stream outlives the request's
        for batch in results_service.stream(session, sweep_id, query):
            writer.writerows(neutralise_formulas(batch, text_columns))
            yield buffer.getvalue().encode()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode()


class _Sink(io.RawIOBase):
    """A write-only file whose bytes are handed out as they are written (Parquet row group by row group)."""

    def __init__(self) -> None:
        self.chunks: list[bytes] = []
        self.position = 0

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:
        self.chunks.append(bytes(data))
        self.position += len(data)
        return len(data)

    def tell(self) -> int:
        return self.position

    def take(self) -> bytes:
        data, self.chunks = b"".join(self.chunks), []
        return data


def parquet_stream(factory: sessionmaker[Session], sweep_id: int,
                    query: results_service.ResultQuery) -> Iterator[bytes]:
    schema = pa.schema([(name, _arrow_type(name)) for name in query.columns])
    sink = _Sink()
    with factory() as session, pq.ParquetWriter(sink, schema, compression="zstd") as writer:
        for batch in results_service.stream(session, sweep_id, query):
            arrays = [pa.array([row[i] for row in batch], type=field.type) for i, field in enumerate(schema)]
            writer.write_table(pa.Table.from_arrays(arrays, schema=schema))
            yield sink.take()
    yield sink.take()
