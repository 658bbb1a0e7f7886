"""``python -m eventstudy …``: the ``eventstudy`` command."""

import sys

from .cli.commands import main

sys.exit(main())
