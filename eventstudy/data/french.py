"""Fama–French factors from Kenneth French's data library: download, parse, cache (``model: ff3 | ff5 | carhart``).

The library publishes each daily factor series as a zip holding one CSV
(``<BASE_URL><stem>_CSV.zip``; the stems of :data:`LIBRARY_FILES`). Its layout:

* a few lines of free text (how the file was made, the missing-value code), then a blank line;
* a header line whose first cell is empty — ``,Mkt-RF,SMB,HML,RF`` (3 factors), ``,Mkt-RF,SMB,HML,RMW,CMA,RF``
  (5 factors, 2x3 sorts), ``,Mom`` (US momentum) or ``,WML`` (international momentum); cells may be padded with
  spaces;
* one row per day: the date as ``YYYYMMDD``, then the values **in percent** (``-0.12`` = −0.12 %), ``-99.99`` or
  ``-999`` marking a missing value;
* a blank line and a copyright line (monthly files add further blank-line-separated sections, e.g. annual
  factors; a daily file has one, and only the first section is read).

:func:`parse_library_csv` reads that layout (and the same table without the text lines, the form of the vendored
US file), returns decimals indexed by date, missing values as NaN, column names ``mkt_rf, smb, hml, rmw, cma, rf,
mom``. :class:`FactorLibrary` serves a file from the factor cache (``<cache>/french/<stem>_CSV.zip`` with a JSON
record of its SHA-256, URL and fetch time, written atomically like the price cache), else from the copy vendored
in the package (the US 3 factors, 2015–2020: ``french_library/PROVENANCE.md``), else — only when asked to
(:meth:`FactorLibrary.refresh`, what ``eventstudy fetch`` calls) — from the library over HTTP (``urllib``;
tests inject the ``fetch`` callable, the network is never used by a study run).

The factor models take the *other* factors from the library: the study benchmark stays the market factor
(docs/factors.md), so ``Mkt-RF`` is not used, and neither is ``RF``: firm returns are not turned into excess
returns, the intercept ``α`` absorbs ``(1 − β) r_f`` (docs/factors.md, "Library factors").
"""

from __future__ import annotations

import hashlib
import io
import json
import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import ConfigError, DataError, DataUnavailable
from ..spec.factor_models import FACTOR_REGIONS as REGIONS
from ..spec.factor_models import LIBRARY_MODELS
from .cache import replace_file, utc_now

BASE_URL = "https://mba.tuck.dartmouth.edu/pages/faculty/ken.french/ftp/"
#: (region, series) → the library's file stem; ``ff3`` = Fama/French 3 factors, ``ff5`` = 5 factors (2x3),
#: ``mom`` = the momentum factor. The library publishes the Emerging-markets factors monthly only.
LIBRARY_FILES: dict[tuple[str, str], str] = {
    ("US", "ff3"): "F-F_Research_Data_Factors_daily",
    ("US", "ff5"): "F-F_Research_Data_5_Factors_2x3_daily",
    ("US", "mom"): "F-F_Momentum_Factor_daily",
    ("Developed", "ff3"): "Developed_3_Factors_Daily",
    ("Developed", "ff5"): "Developed_5_Factors_Daily",
    ("Developed", "mom"): "Developed_Mom_Factor_Daily",
    ("Asia Pacific ex Japan", "ff3"): "Asia_Pacific_ex_Japan_3_Factors_Daily",
    ("Asia Pacific ex Japan", "ff5"): "Asia_Pacific_ex_Japan_5_Factors_Daily",
    ("Asia Pacific ex Japan", "mom"): "Asia_Pacific_ex_Japan_MOM_Factor_Daily",
}
#: The series each model reads and the factors it takes from them (besides the study benchmark, the market).
MODEL_SERIES = {"ff3": ("ff3",), "ff5": ("ff5",), "carhart": ("ff3", "mom")}
MODEL_FACTORS = {"ff3": ("smb", "hml"), "ff5": ("smb", "hml", "rmw", "cma"), "carhart": ("smb", "hml", "mom")}
_COLUMNS = {"mkt-rf": "mkt_rf", "smb": "smb", "hml": "hml", "rmw": "rmw", "cma": "cma", "rf": "rf", "mom": "mom",
            "wml": "mom"}  # fmt: skip
MISSING_CODES = (-99.99, -999.0)
VENDORED_DIR = Path(str(resources.files("eventstudy.data") / "french_library"))
_DATE = re.compile(r"^\d{8}$")
HTTP_TIMEOUT = 60.0


def library_url(stem: str) -> str:
    return f"{BASE_URL}{stem}_CSV.zip"


def parse_library_csv(text: str, source: str) -> pd.DataFrame:
    """The first table of a data-library CSV (module docstring) as decimals: ``DataFrame`` indexed by ``date``,
    one float column per series (``-99.99``/``-999`` → NaN). ``DataError`` naming ``source`` and the line if the
    header or a row is malformed, or if there is no row."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    head = next((i for i, line in enumerate(lines) if _is_header(line)), None)
    if head is None:
        raise DataError(f"{source}: no header line (',Mkt-RF,SMB,...' or 'Date,...') in a factor-library CSV")
    names = [c.strip() for c in lines[head].split(",")][1:]
    columns = [_COLUMNS.get(n.lower()) for n in names]
    if any(c is None for c in columns) or len(set(columns)) != len(columns):
        raise DataError(f"{source}: line {head + 1}: unknown or repeated factor column in {lines[head].strip()!r}")
    dates: list[str] = []
    rows: list[list[float]] = []
    for k in range(head + 1, len(lines)):
        cells = [c.strip() for c in lines[k].split(",")]
        if not lines[k].strip():
            if rows:
                break  # the end of the first table
            continue
        if not _DATE.match(cells[0]):
            if rows:
                break  # a monthly file's next section, or the copyright line
            raise DataError(f"{source}: line {k + 1}: {cells[0]!r} is not a date YYYYMMDD")
        if len(cells) != len(names) + 1:
            raise DataError(f"{source}: line {k + 1}: {len(cells) - 1} values for {len(names)} columns")
        try:
            rows.append([float(c) for c in cells[1:]])
        except ValueError:
            raise DataError(f"{source}: line {k + 1}: a value of {lines[k].strip()!r} is not a number") from None
        dates.append(cells[0])
    if not rows:
        raise DataError(f"{source}: no daily rows after the header")
    index = pd.to_datetime(pd.Series(dates), format="%Y%m%d", errors="coerce")
    if index.isna().any():
        raise DataError(f"{source}: {dates[int(np.flatnonzero(index.isna())[0])]!r} is not a calendar date")
    values = np.array(rows, dtype=float)
    values[np.isin(values, MISSING_CODES)] = np.nan
    frame = pd.DataFrame(values / 100.0, index=pd.DatetimeIndex(index, name="date"), columns=columns)
    if frame.index.duplicated().any():
        raise DataError(f"{source}: date {frame.index[frame.index.duplicated()][0].date()} appears twice")
    return frame.sort_index()


def _is_header(line: str) -> bool:
    first, _, rest = line.strip().partition(",")
    return bool(rest) and first.strip().lower() in ("", "date") and not _DATE.match(first.strip())


_PARSED: dict[bytes, pd.DataFrame] = {}  # parsed files by the digest of their bytes (a study reads one per group)


def read_library_zip(payload: bytes, source: str) -> pd.DataFrame:
    """:func:`parse_library_csv` of the one CSV inside a data-library zip (parsed once per distinct file; the frame
    returned is shared: do not modify it)."""
    key = hashlib.blake2b(payload, digest_size=20).digest()
    if key not in _PARSED:
        _PARSED[key] = _read_zip(payload, source)
    return _PARSED[key]


def _read_zip(payload: bytes, source: str) -> pd.DataFrame:
    try:
        with zipfile.ZipFile(io.BytesIO(payload)) as archive:
            members = [n for n in archive.namelist() if n.lower().endswith(".csv")]
            if len(members) != 1:
                raise DataError(f"{source}: expected one CSV in the zip, found {len(members)}")
            text = archive.read(members[0]).decode("latin-1")  # ASCII, but never fail on the copyright sign
    except zipfile.BadZipFile as exc:
        raise DataError(f"{source}: not a zip file ({exc})") from None
    return parse_library_csv(text, f"{source}:{members[0]}")


def http_fetch(url: str) -> bytes:
    """The bytes at ``url`` (``urllib``), or :class:`DataUnavailable` saying why not."""
    import urllib.error
    import urllib.request

    request = urllib.request.Request(url, headers={"User-Agent": "eventstudy-kit (factor data)"})
    try:
        with urllib.request.urlopen(request, timeout=HTTP_TIMEOUT) as response:  # noqa: S310 - fixed https URL
            return bytes(response.read())
    except (urllib.error.URLError, OSError, ValueError) as exc:
        raise DataUnavailable(f"{url}: {exc}") from None


@dataclass(frozen=True)
class Series:
    """One library file as served: decimals by date and where they came from."""

    stem: str
    frame: pd.DataFrame
    origin: str  # "cache (fetched <time>)", "vendored ...", "fetched live"

    def describe(self) -> str:
        first, last = self.frame.index.min().date(), self.frame.index.max().date()
        return f"{self.stem} ({first}..{last}; {self.origin})"


class FactorLibrary:
    """Data-library files from the factor cache (``<directory>/french``), else the vendored copy; the network
    only through :meth:`refresh`. ``fetch``: ``url → bytes`` (default :func:`http_fetch`; tests inject one)."""

    def __init__(
        self,
        directory: Path | None,
        fetch: Callable[[str], bytes] | None = None,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self.directory = None if directory is None else Path(directory) / "french"
        self._fetch = fetch or http_fetch
        self._clock = clock

    def _paths(self, stem: str) -> tuple[Path, Path]:
        assert self.directory is not None
        return self.directory / f"{stem}_CSV.zip", self.directory / f"{stem}_CSV.json"

    def cached(self, stem: str) -> Series | None:
        """The cached file if present and its checksum holds (a corrupt one counts as absent)."""
        if self.directory is None:
            return None
        data_path, meta_path = self._paths(stem)
        try:
            meta = json.loads(meta_path.read_text(encoding="utf-8"))
            payload = data_path.read_bytes()
        except (OSError, ValueError):
            return None
        if not isinstance(meta, dict) or hashlib.sha256(payload).hexdigest() != meta.get("sha256"):
            return None
        return Series(stem, read_library_zip(payload, str(data_path)), f"cache, fetched {meta.get('fetched_at')}")

    def vendored(self, stem: str) -> Series | None:
        path = VENDORED_DIR / f"{stem}.csv"
        if not path.is_file():
            return None
        frame = parse_library_csv(path.read_text(encoding="utf-8"), f"eventstudy/data/french_library/{path.name}")
        return Series(stem, frame, "vendored in the package, french_library/PROVENANCE.md")

    def series(self, stem: str) -> Series:
        """The cache's copy, else the vendored one; :class:`DataUnavailable` telling to fetch it otherwise."""
        found = self.cached(stem) or self.vendored(stem)
        if found is None:
            where = f" in {self.directory}" if self.directory is not None else ""
            raise DataUnavailable(
                f"factor file {stem}_CSV.zip is not cached{where}: run `eventstudy fetch STUDY` to download it "
                f"from {library_url(stem)}"
            )
        return found

    def refresh(self, stem: str) -> Series:
        """Download ``stem`` from the library, check it parses, and store it in the cache atomically."""
        url = library_url(stem)
        payload = self._fetch(url)
        frame = read_library_zip(payload, url)
        fetched_at = self._clock().astimezone(UTC).isoformat(timespec="seconds")
        if self.directory is not None:
            data_path, meta_path = self._paths(stem)
            self.directory.mkdir(parents=True, exist_ok=True)
            meta = {"file": f"{stem}_CSV.zip", "url": url, "fetched_at": fetched_at, "rows": len(frame),
                    "first": str(frame.index.min().date()), "last": str(frame.index.max().date()),
                    "sha256": hashlib.sha256(payload).hexdigest()}  # fmt: skip
            replace_file(data_path, payload)
            replace_file(meta_path, (json.dumps(meta, indent=2) + "\n").encode("utf-8"))
        return Series(stem, frame, f"fetched {fetched_at}")


def refresh_all(stems: list[str], library: FactorLibrary) -> list[tuple[str, bool]]:
    """Download every file of ``stems`` into the cache: one line per file and whether it succeeded."""
    lines = []
    for stem in stems:
        try:
            lines.append((f"factors {library.refresh(stem).describe()}, cached in {library.directory}", True))
        except (DataError, OSError) as exc:
            lines.append((f"factors {stem}: {exc}", False))
    return lines


def model_files(model: str, region: str) -> tuple[str, ...]:
    """The library stems ``model`` reads for ``region``; ``ConfigError`` if the library has no daily file."""
    if model not in MODEL_SERIES:
        raise ConfigError(f"model {model!r} is not a factor-library model ({', '.join(LIBRARY_MODELS)})")
    if region not in REGIONS:
        raise ConfigError(f"factor_region {region!r} is not a library region ({', '.join(REGIONS)})")
    missing = [s for s in MODEL_SERIES[model] if (region, s) not in LIBRARY_FILES]
    if missing:
        raise ConfigError(
            f"factor_region {region!r}: the data library publishes no daily {model} factors for this region "
            "(its Emerging-markets factors are monthly); choose another region or a factor_file (model: factor)"
        )
    return tuple(LIBRARY_FILES[(region, s)] for s in MODEL_SERIES[model])


def library_factors(model: str, region: str, library: FactorLibrary) -> pd.DataFrame:
    """The daily factors (decimals) ``model`` adds to the market model for ``region``: columns of
    :data:`MODEL_FACTORS`, indexed by date; a day missing from one of its files is a missing value.
    ``attrs["source"]`` describes the files served."""
    parts = [library.series(stem) for stem in model_files(model, region)]
    frame = pd.concat([p.frame for p in parts], axis=1, join="outer")
    wanted = MODEL_FACTORS[model]
    absent = [c for c in wanted if c not in frame.columns]
    if absent:
        raise DataError(f"{parts[0].describe()}: no column {absent[0]} for model {model}")
    out = frame.loc[:, list(wanted)].astype(float)
    out.attrs["source"] = f"{region}: " + "; ".join(p.describe() for p in parts)
    return out


def check_coverage(factors: pd.DataFrame, first: pd.Timestamp, last: pd.Timestamp, what: str) -> None:
    """``DataError`` (one line) unless the factor dates reach from ``first`` to ``last`` (``what`` names the
    firm-event and window that needs them)."""
    lo, hi = factors.index.min(), factors.index.max()
    if lo > first or hi < last:
        raise DataError(
            f"{factors.attrs.get('source', 'factors')}: the factors cover {lo.date()}..{hi.date()}, but {what} "
            f"needs {first.date()}..{last.date()}"
        )
