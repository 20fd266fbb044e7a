"""Everything tuimail writes is private to the user.

The process umask is 077 (set first thing by the entry point), so every file tuimail
creates under the XDG data/state/cache/config directories or in a temporary directory is
0600 and every directory 0700, whatever the shell's umask. At start, modes left looser by
older versions (or another program) are tightened: group and other bits are removed.
Symbolic links are never followed. Temporary directories made here are removed at exit.
"""

from __future__ import annotations

import atexit
import os
import shutil
import stat
import tempfile
from pathlib import Path

PRIVATE_UMASK = 0o077

_temp_dirs: list[str] = []


def use_private_umask() -> int:
    """Set the process umask to 077; returns the previous one."""
    return os.umask(PRIVATE_UMASK)


def tighten(path: str | os.PathLike) -> None:
    """Remove group/other permissions from `path` (not a symlink); errors are ignored."""
    try:
        st = os.lstat(path)
    except OSError:
        return
    if stat.S_ISLNK(st.st_mode) or not st.st_mode & 0o077:
        return
    try:
        os.chmod(path, stat.S_IMODE(st.st_mode) & 0o700)
    except OSError:
        pass


def tighten_tree(root: str | os.PathLike) -> None:
    """`tighten` the directory `root` and everything under it (symlinks not followed)."""
    root = Path(root)
    if root.is_symlink() or not root.is_dir():
        return
    for dirpath, dirnames, filenames in os.walk(root):
        tighten(dirpath)
        for name in filenames:
            tighten(os.path.join(dirpath, name))
        dirnames[:] = [d for d in dirnames if not os.path.islink(os.path.join(dirpath, d))]


def tighten_all() -> None:
    """The start-up fix: tuimail's config, data, state and cache directories."""
    from tuimail.core.config import cache_dir, config_dir, data_dir, state_dir

    for directory in (config_dir(), data_dir(), state_dir(), cache_dir()):
        tighten_tree(directory)


def private_temp_dir(prefix: str) -> str:
    """A new 0700 temporary directory, removed (with its contents) when the process exits."""
    path = tempfile.mkdtemp(prefix=prefix)
    _temp_dirs.append(path)
    return path


def remove_temp_dirs() -> None:
    while _temp_dirs:
        shutil.rmtree(_temp_dirs.pop(), ignore_errors=True)


atexit.register(remove_temp_dirs)
