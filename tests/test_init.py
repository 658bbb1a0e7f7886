"""The package's public names: `__all__`, lazy loading (a light `import eventstudy`) and their documentation."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

import eventstudy as es

from .conftest import ROOT

HEAVY = ("plotly", "scipy.stats", "pyarrow", "pandas", "statsmodels")


def test_import_is_light():
    code = f"import sys, eventstudy; print(','.join(m for m in {HEAVY!r} if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    assert out.stdout.strip() == ""


def test_run_needs_no_plotting_or_scipy_stats_until_used():
    code = (
        "import sys, eventstudy as es; es.run; es.Study; es.Results; "
        "print(','.join(m for m in ('plotly', 'scipy.stats') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    assert out.stdout.strip() == ""


@pytest.mark.parametrize("name", es.__all__)
def test_every_public_name_resolves_and_is_documented(name):
    assert getattr(es, name) is not None
    api_doc = (ROOT / "docs" / "api.md").read_text(encoding="utf-8")
    assert re.search(rf"`(es\.)?{re.escape(name)}\b", api_doc), f"docs/api.md does not document {name}"


def test_unknown_name_is_an_attribute_error():
    with pytest.raises(AttributeError, match="module 'eventstudy' has no attribute 'nope'"):
        es.nope  # noqa: B018
    assert set(es.__all__) <= set(dir(es))
