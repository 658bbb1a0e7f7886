"""The ``eventstudy`` command: it only wires the stages together.

``commands`` (the commands and their options, exit codes and one-line errors) and ``placebo`` (``eventstudy
placebo``'s options and output).
"""

from .commands import main

__all__ = ["main"]
