"""The exceptions eventstudy raises on bad input or unavailable data.

Every message is one line that names the file (or ticker), the field and the offending value, so the
command line can print it as is and exit non-zero.
"""

from __future__ import annotations

import errno


class EventStudyError(Exception):
    """Base class: a problem the user can fix; the CLI prints it on one line."""

    exit_code = 1


class ConfigError(EventStudyError):
    """A study file (events.yaml) is malformed or inconsistent."""

    exit_code = 2


class DataError(EventStudyError):
    """Prices are missing, malformed, or do not cover what the study needs."""

    exit_code = 3


class DataUnavailable(DataError):
    """A provider could not be reached or returned nothing for a ticker."""


class OutputError(EventStudyError):
    """Outputs could not be written (no space left on the device, quota): nothing was published and the last
    good report stays."""

    exit_code = 3


#: Longest message printed or recorded for one failure; longer ones are cut (a message may quote user input).
MESSAGE_LIMIT = 400


def bounded_message(text: str, limit: int = MESSAGE_LIMIT) -> str:
    """``text`` on one line (whitespace runs collapsed) and at most ``limit`` characters."""
    line = " ".join(str(text)[: limit * 4].split())
    return line if len(line) <= limit else line[: limit - 1] + "…"


#: ``errno`` values of a write that failed for want of space: the run says "disk full" and exits 3, keeping the
#: last good report.
DISK_FULL = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EFBIG})
