"""Large tables as JSON records and CSV rows, written column by column instead of row by row.

``study.json`` holds every row of the CSV files (``ar`` and the daily-path ``tests`` rows run to millions for a
study of thousands of firm-events). ``DataFrame.to_dict(orient="records")`` followed by ``json.dumps(indent=2)``
makes a Python object per cell and runs the pure-Python encoder over them: gigabytes of memory and minutes. Here
each column is turned into JSON text once (a distinct string is escaped once however often it repeats; a float is
written as its shortest round-trip ``repr``, NaN/NA as ``null``), the rows are formed by one string template, and
the document is streamed to the file a chunk of rows at a time, each record on one line. The values are those
:func:`json.dumps` writes for the same cells, so :func:`json.load` reads back what it read before. A table that is
also a CSV file is written into both files in the same pass, each chunk's floats formatted once (a float's text is
the same in both; only a missing value differs: ``null`` in JSON, empty in CSV).
"""

from __future__ import annotations

import contextlib
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


def _each(column: pd.Series, text: Any, missing: str) -> np.ndarray:
    """``text(v)`` for each value of ``column``, computed once per distinct value where the values can be hashed
    (factorised as the column stores them: Arrow strings without a Python object per cell); ``missing`` for NaN,
    None and NA."""
    try:
        codes, uniques = pd.factorize(column, use_na_sentinel=True)
    except TypeError:  # unhashable cells (lists): one at a time
        return np.array([text(v) for v in column.to_numpy(dtype=object)], dtype=object)
    table = np.array([text(v) for v in uniques] + [missing], dtype=object)  # code -1: the last
    return table[codes]


class FloatText:
    """The shortest round-trip text (``repr``) of float arrays, remembered for the arrays formatted again: the
    tables written both as CSV and in study.json format their floats once. An array with the same bytes as one
    already formatted reuses its text (a float's ``repr`` depends on its bits only)."""

    def __init__(self) -> None:
        self._seen: dict[tuple[str, bytes], list[str]] = {}

    def __call__(self, values: np.ndarray) -> list[str]:
        key = (values.dtype.str, values.tobytes())
        text = self._seen.get(key)
        if text is None:
            text = self._seen[key] = list(map(float.__repr__, values.tolist()))
        return text


def _floats(values: np.ndarray, texts: FloatText | None, missing: str, nan_only: bool = False) -> list[str]:
    """Each float's ``repr``; ``missing`` for NaN and ±inf (for NaN only with ``nan_only``). The remembered text of
    ``texts`` is never changed: a copy is."""
    text = texts(values) if texts is not None else list(map(float.__repr__, values.tolist()))
    bad = np.flatnonzero(np.isnan(values) if nan_only else ~np.isfinite(values))
    if len(bad):
        text = list(text) if texts is not None else text
        for i in bad:
            text[i] = missing
    return text


def _integers(values: np.ndarray) -> list[str]:
    """Integers as decimal text (each distinct value formatted once: relative days, counts repeat)."""
    codes, uniques = pd.factorize(values)
    return np.array([str(v) for v in uniques.tolist()], dtype=object)[codes].tolist() if len(values) else []


def json_cells(column: pd.Series, texts: FloatText | None = None) -> list[str]:
    """The JSON text of each cell of ``column`` (what ``json.dumps(clean(cell))`` writes); ``texts``: float text
    shared with the column's CSV."""
    dtype = column.dtype
    if isinstance(dtype, np.dtype) and dtype.kind == "b":
        return np.where(column.to_numpy(), "true", "false").tolist()
    if dtype.kind in "iu" and isinstance(dtype, np.dtype):
        return _integers(column.to_numpy())
    if dtype.kind == "f" and isinstance(dtype, np.dtype):
        return _floats(column.to_numpy(), texts, "null")
    return _each(column, lambda v: json.dumps(clean(v), allow_nan=False), "null").tolist()


def _json_template(columns: pd.Index) -> str:
    keys = [json.dumps(str(c)) for c in columns]
    return "{{" + ", ".join(f"{k.replace('{', '{{').replace('}', '}}')}: {{}}" for k in keys) + "}}"


def _json_chunk(part: pd.DataFrame, template: str, texts: FloatText | None) -> list[str]:
    if not len(part.columns):
        return ["{}"] * len(part)
    return list(map(template.format, *(json_cells(part[c], texts) for c in part.columns)))


def json_rows(frame: pd.DataFrame, texts: FloatText | None = None) -> Iterator[list[str]]:
    """Each row of ``frame`` as a one-line JSON object (keys: the column names), a chunk of rows at a time."""
    template = _json_template(frame.columns)
    for start in range(0, len(frame), CHUNK):
        yield _json_chunk(frame.iloc[start : start + CHUNK], template, texts)


class Records:
    """A frame standing for the list of its rows in a document for :func:`write_json` (written as it is read);
    ``csv``: ``(frame, path)``, a CSV file of the same rows (its columns may differ) written alongside, chunk by
    chunk, each chunk's floats formatted once for both files."""

    def __init__(self, frame: pd.DataFrame, csv: tuple[pd.DataFrame, Path] | None = None) -> None:
        self.frame = frame
        self.csv = csv


def _write_records(out: TextIO, records: Records, indent: str) -> None:
    frame, companion = records.frame, records.csv
    if companion is not None and (len(companion[0].columns) < 2 or len(companion[0]) != len(frame)):
        write_csv_rows(*companion)  # not row for row (or one column): on its own
        companion = None
    with contextlib.ExitStack() as stack:
        csv_out: TextIO | None = None
        if companion is not None:
            csv_out = stack.enter_context(open(companion[1], "w", encoding="utf-8", newline=""))
            csv_out.write(_csv_header(companion[0]))
        if not len(frame):
            out.write("[]")
            return
        template, sep = _json_template(frame.columns), ",\n" + indent + "  "
        for k, start in enumerate(range(0, len(frame), CHUNK)):
            texts = FloatText()  # the chunk's floats, formatted once for both files
            rows = _json_chunk(frame.iloc[start : start + CHUNK], template, texts)
            out.write(("[\n" + indent + "  " if k == 0 else sep) + sep.join(rows))
            if csv_out is not None and companion is not None:
                csv_out.write(_csv_chunk(companion[0].iloc[start : start + CHUNK], texts))
        out.write("\n" + indent + "]")


def write_json(document: Mapping[str, Any], path: Path) -> None:
    """``document`` (a dict whose values are JSON-able or :class:`Records`) as JSON into ``path``: two-space
    indentation, each record of a :class:`Records` on one line; NaN is ``null``."""
    with open(path, "w", encoding="utf-8", newline="\n") as out:
        out.write("{")
        for k, (key, value) in enumerate(document.items()):
            out.write(("," if k else "") + "\n  " + json.dumps(str(key)) + ": ")
            if isinstance(value, Records):
                _write_records(out, value, "  ")
            else:
                text = json.dumps(clean(value), indent=2, allow_nan=False)
                out.write(text.replace("\n", "\n  "))
        out.write("\n}\n" if document else "}\n")


def csv_cells(column: pd.Series, texts: FloatText | None = None) -> list[str]:
    """The text of each cell of ``column`` as :meth:`DataFrame.to_csv` writes it (empty for NaN/None/NA; a float
    as its shortest round-trip ``repr``; a cell with a comma, quote or line break quoted, quotes doubled);
    ``texts``: float text shared with the column's JSON."""
    dtype = column.dtype
    if isinstance(dtype, np.dtype) and dtype.kind == "b":
        return np.where(column.to_numpy(), "True", "False").tolist()
    if dtype.kind in "iu" and isinstance(dtype, np.dtype):
        return _integers(column.to_numpy())
    if dtype.kind == "f" and isinstance(dtype, np.dtype):
        return _floats(column.to_numpy(), texts, "", nan_only=True)
    return _each(column, _csv_text, "").tolist()


def _csv_text(value: Any) -> str:
    if value is None or value == "":
        return ""  # (a lone empty field would be quoted by the csv module)
    buffer = io.StringIO()  # (the line end "\n" as the file's: a cell with a line break is quoted, as pandas does)
    csv.writer(buffer, lineterminator="\n").writerow([value])
    return buffer.getvalue()[:-1]


def _csv_header(frame: pd.DataFrame) -> str:
    return ",".join(_csv_text(str(c)) for c in frame.columns) + "\n"


def _csv_chunk(part: pd.DataFrame, texts: FloatText | None = None) -> str:
    template = ",".join(["{}"] * len(part.columns)) + "\n"
    return "".join(map(template.format, *(csv_cells(part[c], texts) for c in part.columns)))


def write_csv_rows(frame: pd.DataFrame, path: Path) -> None:
    """``frame`` as CSV (header, no index, ``\\n`` line ends) into ``path``, as ``frame.to_csv(path, index=False,
    lineterminator="\\n")`` writes it."""
    if len(frame.columns) < 2:  # (one column: the csv module's own rules for a lone empty field)
        frame.to_csv(path, index=False, lineterminator="\n")
        return
    with open(path, "w", encoding="utf-8", newline="") as out:
        out.write(_csv_header(frame))
        for start in range(0, len(frame), CHUNK):
            out.write(_csv_chunk(frame.iloc[start : start + CHUNK]))
