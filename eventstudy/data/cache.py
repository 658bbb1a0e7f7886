"""An on-disk cache in front of another price provider (typically Yahoo).

Each ticker is stored as ``<directory>/<ticker>.parquet`` plus ``<directory>/<ticker>.json``::

    {"ticker": ..., "source": <inner provider name>, "fetched_at": <UTC ISO time>,
     "start": <requested start or null>, "end": <requested end>, "rows": <n>, "sha256": <of the parquet bytes>}

``start``/``end`` record the range that was *requested* (null start = from the beginning of the history); an
open ``end`` is recorded as the fetch date, and a future ``end`` is capped at it, so "up to today" requests
refresh once the day changes. Both files are written atomically (temp file in the same directory, then
``os.replace``), parquet first: the JSON, with its checksum, is the commit record.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import pandas as pd

from ..errors import DataError, DataUnavailable
from .base import PriceProvider, Provenance, clip, validate_history, without_ticker
from .distributions import DISTRIBUTIONS

OVERLAP_SESSIONS = 5  # cached sessions re-read on an incremental refresh, to catch vendor revisions
REVISION_TOLERANCE = 1e-9  # largest difference in a session's gross return that is not a revision


def replace_file(path: Path, payload: bytes) -> None:
    """Write ``payload`` under a unique temporary name beside ``path``, flush it to disk, then ``os.replace`` it
    into place: a reader sees the old file or the new one, never part of one. The file gets the mode ``open``
    gives under the umask; on any failure the temporary file is removed and ``path`` is left as it was."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{os.urandom(4).hex()}.tmp")
    try:
        with open(tmp, "xb") as handle:
            handle.write(payload)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def cache_paths(directory: Path, ticker: str) -> tuple[Path, Path]:
    """``<directory>/<ticker>.parquet`` and ``.json``; :class:`DataError` for a name that could leave the directory."""
    unsafe = (
        not ticker
        or ticker.startswith(".")
        or ".." in ticker
        or any(ch in ticker for ch in ("/", "\\", "\0"))
        or os.sep in ticker
        or (os.altsep is not None and os.altsep in ticker)
    )
    if unsafe:
        raise DataError(f"{ticker!r}: not a valid ticker for a cache file name")
    return directory / f"{ticker}.parquet", directory / f"{ticker}.json"


def utc_now() -> datetime:
    """The current time in UTC."""
    return datetime.now(UTC)


@dataclass(frozen=True)
class _Entry:
    """A cached history that passed its checksum."""

    frame: pd.DataFrame
    fetched_at: str
    start: date | None
    end: date

    def covers(self, start: date | None, end: date) -> bool:
        """Whether the recorded request range contains ``[start, end]``."""
        start_ok = self.start is None or (start is not None and start >= self.start)
        return start_ok and end <= self.end


class CachedProvider:
    """A :class:`~eventstudy.data.base.PriceProvider` that caches ``inner``'s histories in ``directory``."""

    def __init__(self, inner: PriceProvider, directory: Path, clock: Callable[[], datetime] = utc_now) -> None:
        self.inner = inner
        self.directory = Path(directory)
        self.name = f"cache+{inner.name}"
        self._clock = clock
        self._provenance: dict[str, Provenance] = {}

    # -- files -------------------------------------------------------------------------------------------------

    def _paths(self, ticker: str) -> tuple[Path, Path]:
        """The parquet and JSON paths for ``ticker``; rejects names that could leave the directory."""
        return cache_paths(self.directory, ticker)

    def cached_tickers(self) -> list[str]:
        """Tickers with both a parquet and a JSON file in the cache directory, sorted."""
        if not self.directory.is_dir():
            return []
        return sorted(p.stem for p in self.directory.glob("*.json") if p.with_suffix(".parquet").is_file())

    def _load(self, ticker: str) -> tuple[_Entry | None, str | None]:
        """The valid cache entry for ``ticker``, or None and why it is unusable (None if simply absent)."""
        parquet, meta_path = self._paths(ticker)
        if not parquet.exists() and not meta_path.exists():
            return None, None
        try:
            meta = json.loads(meta_path.read_text(encoding="utf-8"))
            data = parquet.read_bytes()
        except (OSError, ValueError) as exc:
            return None, f"unreadable cache: {exc}"
        if not isinstance(meta, dict):
            return None, "unreadable cache: metadata is not a JSON object"
        if hashlib.sha256(data).hexdigest() != meta.get("sha256"):
            return None, "checksum mismatch"
        try:
            frame = validate_history(pd.read_parquet(io.BytesIO(data), engine="pyarrow"), str(parquet))
            entry = _Entry(
                frame=frame,
                fetched_at=str(meta["fetched_at"]),
                start=date.fromisoformat(meta["start"]) if meta.get("start") else None,
                end=date.fromisoformat(meta["end"]),
            )
        except Exception as exc:  # a parquet or JSON that does not parse: treat as no cache
            return None, f"unreadable cache: {' '.join(str(exc).split())}"
        return entry, None

    def _store(self, ticker: str, frame: pd.DataFrame, start: date | None, end: date, fetched_at: str) -> None:
        """Write ``frame`` and its metadata atomically."""
        parquet, meta_path = self._paths(ticker)
        self.directory.mkdir(parents=True, exist_ok=True)
        buffer = io.BytesIO()
        frame.to_parquet(buffer, engine="pyarrow")
        data = buffer.getvalue()
        meta = {
            "ticker": ticker,
            "source": self.inner.name,
            "fetched_at": fetched_at,
            "start": start.isoformat() if start is not None else None,
            "end": end.isoformat(),
            "rows": len(frame),
            "sha256": hashlib.sha256(data).hexdigest(),
        }
        replace_file(parquet, data)
        replace_file(meta_path, (json.dumps(meta, indent=2) + "\n").encode("utf-8"))

    # -- provider ----------------------------------------------------------------------------------------------

    def history(self, ticker: str, start: date | None = None, end: date | None = None) -> pd.DataFrame:
        """Return ``ticker``'s history for ``[start, end]``, from the cache when it covers the range.

        Otherwise fetch the union of the cached and requested ranges from ``inner`` and rewrite the cache. If
        that fetch raises :class:`DataUnavailable` and a valid cache exists, serve the cache (the provenance
        says so). A corrupt cache (checksum mismatch, unreadable file) counts as absent; if the refetch then
        fails, a :class:`DataUnavailable` names the cache file (so ``--source auto`` falls back).
        """
        now = self._clock()
        now = now.replace(tzinfo=UTC) if now.tzinfo is None else now.astimezone(UTC)
        want_end = min(end, now.date()) if end is not None else now.date()
        entry, problem = self._load(ticker)
        if entry is not None and entry.covers(start, want_end):
            return self._serve(ticker, entry, start, end, "")

        fetch_start, fetch_end = start, want_end
        if entry is not None:
            fetch_start = None if start is None or entry.start is None else min(start, entry.start)
            fetch_end = max(want_end, entry.end)
        try:
            frame = None
            if entry is not None and entry.covers(start, entry.end) and len(entry.frame) > OVERLAP_SESSIONS:
                # Incremental: only sessions after the cached end, re-reading a few to catch revisions.
                since = entry.frame.index[-OVERLAP_SESSIONS].date()
                frame = extend(entry.frame, self.inner.history(ticker, since, fetch_end))
                fetch_start = entry.start
            if frame is None:
                frame = self.inner.history(ticker, fetch_start, fetch_end)
        except DataUnavailable as exc:
            if entry is not None and not clip(entry.frame, start, end).empty:
                return self._serve(ticker, entry, start, end, str(exc))
            if problem is not None:  # unavailable: a caller with another source (``--source auto``) falls back to it
                raise DataUnavailable(f"{self._paths(ticker)[0]}: {problem}; live refresh failed: {exc}") from exc
            raise

        frame = validate_history(frame, f"{ticker} ({self.inner.name})")
        fetched_at = now.isoformat(timespec="seconds")
        self._store(ticker, frame, fetch_start, fetch_end, fetched_at)
        live = self.inner.provenance(ticker)
        self._provenance[ticker] = Provenance(
            source=live.source,
            as_of=frame.index[-1].date() if len(frame) else None,
            detail="fetched live and cached",
            fetched_at=fetched_at,
        )
        return clip(frame, start, end)

    def _serve(self, ticker: str, entry: _Entry, start: date | None, end: date | None, failure: str) -> pd.DataFrame:
        """Return the cached rows in range and record where they came from (and why, after a failure)."""
        as_of = entry.frame.index[-1].date() if len(entry.frame) else None
        self._provenance[ticker] = Provenance(
            source="cache",
            as_of=as_of,
            detail=f"cache of {self.inner.name} data",
            fetched_at=entry.fetched_at,
            warning=f"{ticker}: live refresh failed ({failure}); using cached data as of {as_of}" if failure else None,
            fell_back=without_ticker(failure, ticker) if failure else None,
        )
        return clip(entry.frame, start, end)

    def provenance(self, ticker: str) -> Provenance:
        """Describe the data last returned for ``ticker`` (``as_of`` None if it was never requested)."""
        return self._provenance.get(ticker, Provenance(source="cache", as_of=None, detail="not requested"))


def extend(cached: pd.DataFrame, fresh: pd.DataFrame) -> pd.DataFrame | None:
    """``cached`` followed by the rows of ``fresh`` after it, or None if they disagree where they overlap.

    The overlap compares each session's return (close / prev_close) and traded flag: a vendor revision (a
    corrected price, or a distribution that changes the adjustment) means the whole history must be refetched.
    """
    if fresh.empty:
        return cached
    common = cached.index.intersection(fresh.index)
    if len(common) == 0 and fresh.index[0] > cached.index[-1] + pd.Timedelta(days=10):
        return None  # a gap: cannot tell what happened in between
    old, new = cached.loc[common], fresh.loc[common]
    old_r = (old["close"] / old["prev_close"]).where(old["traded"])
    new_r = (new["close"] / new["prev_close"]).where(new["traded"])
    same_flags = (old["traded"].to_numpy() == new["traded"].to_numpy()).all()
    if not same_flags or not ((old_r - new_r).abs().fillna(0.0) <= REVISION_TOLERANCE).all():
        return None
    out = pd.concat([cached.loc[cached.index < fresh.index[0]], fresh])
    if DISTRIBUTIONS in cached.attrs and DISTRIBUTIONS in fresh.attrs:  # Yahoo's ex-dates: cached, then the new ones
        first = fresh.index[0].date().isoformat()
        kept = [r for r in cached.attrs[DISTRIBUTIONS] if str(r[0]) < first]
        out.attrs[DISTRIBUTIONS] = [*kept, *fresh.attrs[DISTRIBUTIONS]]
    return out
