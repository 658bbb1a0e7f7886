"""Where a command writes: the output directory is checked before any work, so a bad ``--out`` fails at once in
one line (naming the option, the directory and the reason) instead of after the study has run."""

from __future__ import annotations

import tempfile
from pathlib import Path

from ..errors import ConfigError


def writable_directory(path: Path, option: str) -> Path:
    """``path``, created if missing, once a file could be created in it; otherwise a one-line
    :class:`~eventstudy.errors.ConfigError` (exit 2) such as ``--out reports: cannot write there (Not a directory)``."""
    path = Path(path)
    try:
        path.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=path):
            pass
    except OSError as exc:
        reason = " ".join(str(exc.strerror or exc).split())
        raise ConfigError(f"{option} {path}: cannot write there ({reason})") from None
    return path
