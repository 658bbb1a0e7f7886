"""Lazy imports: the command line starts without the heavy libraries (eventstudy/cli/commands.py's module docstring).

Each case runs in a fresh interpreter and lists the modules it ended with. pandas 3 imports pyarrow's core
itself, so ``validate`` (which needs pandas for the exchange calendars) may hold ``pyarrow`` but never its
parquet reader; ``--help`` and ``import eventstudy`` hold no pandas at all.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from ..conftest import ROOT

HEAVY = ("plotly", "scipy.stats", "pyarrow.parquet", "statsmodels", "yfinance", "jinja2", "dask")

PROBE = """
import json, sys
try:
    {code}
except SystemExit:
    pass
print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in {{'plotly', 'scipy', 'pyarrow', 'pandas',
      'statsmodels', 'yfinance', 'jinja2', 'dask'}})), file=sys.stderr)
"""


def _loaded(code: str) -> set[str]:
    done = subprocess.run([sys.executable, "-c", PROBE.format(code=code)], cwd=ROOT, capture_output=True, text=True,
                          timeout=300, check=True)  # fmt: skip
    return set(json.loads(done.stderr.strip().splitlines()[-1]))


@pytest.mark.parametrize(
    "code",
    ["import eventstudy", "from eventstudy.cli.commands import main; main(['--help'])",
     "from eventstudy.cli.commands import main; main(['placebo', '--help'])"],
)  # fmt: skip
def test_help_and_import_load_no_heavy_library(code):
    loaded = _loaded(code)
    assert not {m for m in loaded if m.split(".")[0] in ("plotly", "scipy", "pyarrow", "pandas")}, loaded


def test_validate_loads_no_plotting_statistics_or_parquet_library():
    loaded = _loaded(f"from eventstudy.cli.commands import main; main(['validate', {str(ROOT / 'events.yaml')!r}])")
    assert "pandas" in loaded  # the probe sees what it should: validate does read the exchange calendars
    assert not {m for m in loaded if m in HEAVY or m.startswith(HEAVY)}, sorted(loaded)
