"""``eventstudy init NAME``: a commented study file to start from, which validates and runs as written.

``NAME`` gives both the file (``NAME.yaml``; a name ending in ``.yaml``/``.yml`` is used as is) and the study id
(the file's stem, which must be a valid id). An existing file is never overwritten: the template is written to a
temporary file beside it and hard-linked into place, which fails if the name exists.
"""

from __future__ import annotations

import os
import tempfile
from importlib import resources
from pathlib import Path

import jinja2

from ..errors import ConfigError
from .fields import SLUG


def template_path(name: str) -> Path:
    """The file ``init NAME`` writes."""
    path = Path(name)
    return path if path.suffix in (".yaml", ".yml") else path.with_name(path.name + ".yaml")


def study_template(study_id: str, file: str) -> str:
    """The commented template for study ``study_id`` saved as ``file`` (templates/study.yaml.j2)."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(resources.files("eventstudy.spec") / "templates")),
        autoescape=False,  # YAML, not HTML; the only values are a validated id and the file name in comments
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
    )
    return env.get_template("study.yaml.j2").render(id=study_id, file=file)


def write_study_template(name: str) -> Path:
    """Write the template for ``name`` (see the module docstring) and return its path."""
    path = template_path(name)
    study_id = path.stem
    if not SLUG.match(study_id):
        raise ConfigError(
            f"init: {study_id!r} cannot be a study id (lower-case letters, digits, '.', '_', '-'; up to 80)"
        )
    if path.exists():
        raise ConfigError(f"init: {path} already exists; not overwritten")
    if not path.parent.is_dir():
        raise ConfigError(f"init: {path.parent} is not a directory")
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(study_template(study_id, str(path)))
        os.chmod(tmp, 0o644)
        os.link(tmp, path)
    except FileExistsError:
        raise ConfigError(f"init: {path} already exists; not overwritten") from None
    finally:
        Path(tmp).unlink(missing_ok=True)
    return path
