"""What a user installs: the licence, the metadata, the study file shipped in the package, and the sdist's
contents list (the build itself, twine's check and a wheel installed in an empty venv are CI steps: .ci/run)."""

from __future__ import annotations

import tomllib

from .conftest import ROOT

PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def test_packaged_example_is_the_repositorys_study_file():
    # eventstudy run --example runs this copy (an installed wheel has no events.yaml beside it)
    packaged = ROOT / "eventstudy" / "spec" / "examples" / "entity-list-2019.yaml"
    assert packaged.read_bytes() == (ROOT / "events.yaml").read_bytes(), (
        "events.yaml changed: copy it into the package, cp events.yaml eventstudy/spec/examples/entity-list-2019.yaml"
    )
    assert "spec/examples/*.yaml" in PYPROJECT["tool"]["setuptools"]["package-data"]["eventstudy"]


def test_licence_is_mit_as_an_spdx_expression():
    project = PYPROJECT["project"]
    assert project["license"] == "MIT"  # not the deprecated {text = ...} table
    assert project["license-files"] == ["LICENSE"]
    text = (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert text.startswith("MIT License\n\nCopyright (c) 2026 eventstudy developers\n")
    assert "setuptools>=77" in PYPROJECT["build-system"]["requires"][0]  # the first to read PEP 639 fields
    assert not any(c.startswith("License ::") for c in project["classifiers"])  # forbidden beside an SPDX licence


def test_typed_package_and_metadata():
    assert (ROOT / "eventstudy" / "py.typed").exists()
    assert "py.typed" in PYPROJECT["tool"]["setuptools"]["package-data"]["eventstudy"]
    project = PYPROJECT["project"]
    assert "Typing :: Typed" in project["classifiers"] and project["keywords"]
    dev = " ".join(project["optional-dependencies"]["dev"])
    for tool in ("ruff==", "mypy==", "build==", "twine=="):  # CI's tools, pinned
        assert tool in dev


def test_sdist_carries_what_the_tests_need():
    manifest = (ROOT / "MANIFEST.in").read_text(encoding="utf-8").splitlines()
    for line in ("include LICENSE README.md Makefile events.yaml", "graft docs", "graft tests", "graft bench"):
        assert line in manifest
