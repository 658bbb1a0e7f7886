"""Replacing a file or a published directory so that readers see either the old or the new content, never a
partial one and never nothing.

Every file and directory created here gets the mode the process umask implies (``0666 & ~umask`` for files,
``0777 & ~umask`` for directories), as ``open`` and ``mkdir`` would give it; ``mkstemp``/``mkdtemp`` alone
would leave them 0600/0700, unreadable by a web server or a colleague.

A published directory is reached through a symbolic link: ``<name>`` → ``.<name>.<random>.build``. Replacing
it builds the new directory beside the old one, then ``os.replace``s a fresh link over ``<name>`` (one
``rename(2)``, atomic on POSIX), so ``<name>`` exists at every instant. Where symbolic links cannot be made
(Windows without the privilege), the directory itself is renamed into place; ``<name>`` is then missing
between two ``rename`` calls.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import threading
from pathlib import Path

TMP_SUFFIX = ".tmp"  # being written; stale once the writer is gone
BUILD_SUFFIX = ".build"  # a complete directory, published through a link
_UMASK_LOCK = threading.Lock()


def umask_modes() -> tuple[int, int]:
    """``(file_mode, dir_mode)`` that ``open``/``mkdir`` would give under the current umask."""
    with _UMASK_LOCK:  # os.umask can only be read by setting it
        mask = os.umask(0o022)
        os.umask(mask)
    return 0o666 & ~mask, 0o777 & ~mask


def write_atomic(path: Path, data: bytes | str) -> None:
    """Write ``data`` to a temporary file beside ``path``, flush it to disk, then ``os.replace`` it into place.

    The file gets the umask's mode. On any failure the temporary file is removed and ``path`` is left as it was.
    """
    payload = data.encode("utf-8") if isinstance(data, str) else data
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=TMP_SUFFIX)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(payload)
            handle.flush()
            if hasattr(os, "fchmod"):
                os.fchmod(handle.fileno(), umask_modes()[0])
            os.fsync(handle.fileno())
        if not hasattr(os, "fchmod"):
            os.chmod(tmp, umask_modes()[0])
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def apply_umask_modes(directory: Path) -> None:
    """Give ``directory`` and everything under it the umask's modes (files lose any execute bit)."""
    file_mode, dir_mode = umask_modes()
    for root, dirs, files in os.walk(directory):
        os.chmod(root, dir_mode)
        for name in dirs:
            os.chmod(os.path.join(root, name), dir_mode)
        for name in files:
            os.chmod(os.path.join(root, name), file_mode)


def new_directory(parent: Path, name: str) -> Path:
    """An empty temporary directory ``.<name>.<random>.tmp`` in ``parent``."""
    return Path(tempfile.mkdtemp(prefix=f".{name}.", suffix=TMP_SUFFIX, dir=parent))


def seal(tmp: Path) -> Path:
    """Mark a fully written temporary directory complete: ``.<name>.<random>.tmp`` → ``….build``."""
    sealed = tmp.with_name(tmp.name.removesuffix(TMP_SUFFIX) + BUILD_SUFFIX)
    os.replace(tmp, sealed)
    return sealed


def link_target(path: Path) -> Path | None:
    """The directory a published link points to (in the same folder), or None if ``path`` is not a link."""
    if not path.is_symlink():
        return None
    return path.parent / os.readlink(path)


def point(path: Path, directory: Path) -> None:
    """Make ``path`` a link to ``directory`` (a sibling), replacing any link there in one atomic rename."""
    tmp = path.parent / f".{path.name}.{os.urandom(6).hex()}.link{TMP_SUFFIX}"
    os.symlink(directory.name, tmp, target_is_directory=True)
    try:
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def can_link(parent: Path) -> bool:
    """Whether symbolic links can be made in ``parent`` (not on Windows without the privilege)."""
    probe = parent / f".probe.{os.urandom(6).hex()}{TMP_SUFFIX}"
    try:
        os.symlink(".", probe, target_is_directory=True)
    except (OSError, NotImplementedError):
        return False
    probe.unlink()
    return True


def remove_tree(path: Path | None) -> None:
    """Remove a directory tree or a link (a link alone, never what it points to); absent is fine."""
    if path is None:
        return
    if path.is_symlink() or path.is_file():
        path.unlink(missing_ok=True)
    elif path.is_dir():
        shutil.rmtree(path, ignore_errors=True)
