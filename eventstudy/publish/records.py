"""Large tables as JSON records and CSV rows, written column by column instead of row by row.

``study.json`` holds every row of the CSV files (``ar`` and the daily-path ``tests`` rows run to millions for a
study of thousands of firm-events). ``DataFrame.to_dict(orient="records")`` followed by ``json.dumps(indent=2)``
makes a Python object per cell and runs the pure-Python encoder over them: gigabytes of memory and minutes. Here
each column is turned into JSON text once (a distinct string is escaped once however often it repeats; a float is
written as its shortest round-trip ``repr``, NaN/NA as ``null``), the rows are formed by one string template, and
the document is streamed to the file a chunk of rows at a time, each record on one line. The values are those
:func:`json.dumps` writes for the same cells, so :func:`json.load` reads back what it read before.
"""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, TextIO

import numpy as np
import pandas as pd

CHUNK = 50_000
"""Rows formatted and written at a time (bounds the memory of the text)."""


def clean(value: Any) -> Any:
    """JSON-safe value: NaN → null, numpy scalars → Python, dates → ISO strings."""
    if isinstance(value, dict):
        return {str(k): clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [clean(v) for v in value]
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if value is pd.NA or value is pd.NaT:
        return None
    return value


def _each(values: np.ndarray, text: Any, missing: str) -> np.ndarray:
    """``text(v)`` for each value, computed once per distinct value where the values can be hashed; ``missing``
    for NaN, None and NA."""
    try:
        codes, uniques = pd.factorize(values, use_na_sentinel=True)
    except TypeError:  # unhashable cells (lists): one at a time
        return np.array([text(v) for v in values], dtype=object)
    table = np.array([text(v) for v in uniques] + [missing], dtype=object)  # code -1: the last
    return table[codes]


def _integers(values: np.ndarray) -> list[str]:
    """Integers as decimal text (each distinct value formatted once: relative days, counts repeat)."""
    codes, uniques = pd.factorize(values)
    return np.array([str(v) for v in uniques.tolist()], dtype=object)[codes].tolist() if len(values) else []


def json_cells(column: pd.Series) -> list[str]:
    """The JSON text of each cell of ``column`` (what ``json.dumps(clean(cell))`` writes)."""
    dtype = column.dtype
    if isinstance(dtype, np.dtype) and dtype.kind == "b":
        return np.where(column.to_numpy(), "true", "false").tolist()
    if dtype.kind in "iu" and isinstance(dtype, np.dtype):
        return _integers(column.to_numpy())
    if dtype.kind == "f" and isinstance(dtype, np.dtype):
        values = column.to_numpy()
        text = list(map(float.__repr__, values.tolist()))
        if not np.isfinite(values).all():
            for i in np.flatnonzero(~np.isfinite(values)):
                text[i] = "null"
        return text
    return _each(column.to_numpy(dtype=object), lambda v: json.dumps(clean(v), allow_nan=False), "null").tolist()


def json_rows(frame: pd.DataFrame) -> Iterator[list[str]]:
    """Each row of ``frame`` as a one-line JSON object (keys: the column names), a chunk of rows at a time."""
    keys = [json.dumps(str(c)) for c in frame.columns]
    template = "{{" + ", ".join(f"{k.replace('{', '{{').replace('}', '}}')}: {{}}" for k in keys) + "}}"
    for start in range(0, len(frame), CHUNK):
        part = frame.iloc[start : start + CHUNK]
        if keys:
            yield list(map(template.format, *(json_cells(part[c]) for c in part.columns)))
        else:
            yield ["{}"] * len(part)


class Records:
    """A frame standing for the list of its rows in a document for :func:`write_json` (written as it is read)."""

    def __init__(self, frame: pd.DataFrame) -> None:
        self.frame = frame


def _write_records(out: TextIO, frame: pd.DataFrame, indent: str) -> None:
    if not len(frame):
        out.write("[]")
        return
    sep = ",\n" + indent + "  "
    for k, rows in enumerate(json_rows(frame)):
        out.write(("[\n" + indent + "  " if k == 0 else sep) + sep.join(rows))
    out.write("\n" + indent + "]")


def write_json(document: Mapping[str, Any], path: Path) -> None:
    """``document`` (a dict whose values are JSON-able or :class:`Records`) as JSON into ``path``: two-space
    indentation, each record of a :class:`Records` on one line; NaN is ``null``."""
    with open(path, "w", encoding="utf-8", newline="\n") as out:
        out.write("{")
        for k, (key, value) in enumerate(document.items()):
            out.write(("," if k else "") + "\n  " + json.dumps(str(key)) + ": ")
            if isinstance(value, Records):
                _write_records(out, value.frame, "  ")
            else:
                text = json.dumps(clean(value), indent=2, allow_nan=False)
                out.write(text.replace("\n", "\n  "))
        out.write("\n}\n" if document else "}\n")


def csv_cells(column: pd.Series) -> list[str]:
    """The text of each cell of ``column`` as :meth:`DataFrame.to_csv` writes it (empty for NaN/None/NA; a float
    as its shortest round-trip ``repr``; a cell with a comma, quote or line break quoted, quotes doubled)."""
    dtype = column.dtype
    if isinstance(dtype, np.dtype) and dtype.kind == "b":
        return np.where(column.to_numpy(), "True", "False").tolist()
    if dtype.kind in "iu" and isinstance(dtype, np.dtype):
        return _integers(column.to_numpy())
    if dtype.kind == "f" and isinstance(dtype, np.dtype):
        values = column.to_numpy()
        text = list(map(float.__repr__, values.tolist()))
        for i in np.flatnonzero(np.isnan(values)):
            text[i] = ""
        return text
    return _each(column.to_numpy(dtype=object), _csv_text, "").tolist()


def _csv_text(value: Any) -> str:
    if value is None or value == "":
        return ""  # (a lone empty field would be quoted by the csv module)
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="").writerow([value])
    return buffer.getvalue()


def write_csv_rows(frame: pd.DataFrame, path: Path) -> None:
    """``frame`` as CSV (header, no index, ``\\n`` line ends) into ``path``, as ``frame.to_csv(path, index=False,
    lineterminator="\\n")`` writes it."""
    if len(frame.columns) < 2:  # (one column: the csv module's own rules for a lone empty field)
        frame.to_csv(path, index=False, lineterminator="\n")
        return
    with open(path, "w", encoding="utf-8", newline="") as out:
        out.write(",".join(_csv_text(str(c)) for c in frame.columns) + "\n")
        template = ",".join(["{}"] * len(frame.columns)) + "\n"
        for start in range(0, len(frame), CHUNK):
            part = frame.iloc[start : start + CHUNK]
            out.write("".join(map(template.format, *(csv_cells(part[c]) for c in part.columns))))
