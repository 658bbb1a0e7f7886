"""The ``eventstudy`` command: it only wires the stages together.

``commands`` (the commands, exit codes and one-line errors), ``options`` (the options several commands share)
and ``placebo`` (``eventstudy placebo``'s options and output).
"""

from .commands import main

__all__ = ["main"]
