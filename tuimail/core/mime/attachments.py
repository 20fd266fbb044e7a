"""Saving and opening attachments safely.

Saving: the name goes through sanitize_filename (no directories, leading dots,
control/bidi characters, reserved names; length capped); the file is created
with O_CREAT|O_EXCL|O_NOFOLLOW relative to a directory file descriptor opened
with O_DIRECTORY, so an existing file is never overwritten (a " (1)" suffix is
added instead) and a symlink planted under the name is never followed.

Opening happens only when the user asks, and only through a viewer when a
graphical display exists; over SSH without one the file is saved instead.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import warnings
from dataclasses import dataclass
from pathlib import Path

from ..sanitize import sanitize, sanitize_filename
from .parse import Attachment, ParsedMessage

__all__ = ["save_attachment", "open_attachment", "AttachmentError", "OpenResult"]

MAX_SUFFIX = 1000


class AttachmentError(Exception):
    """An attachment that cannot be saved. `problem` (PROBLEMS) and `data` (index; path,
    name: where; detail: the operating system's words) are what the edge words
    (tuimail.words); its text is a record for logs."""

    def __init__(self, problem: str, **data: object) -> None:
        super().__init__(f"attachment: {problem}")
        self.problem = problem
        self.data = data


# AttachmentError.problem: no-such (index), folder (path, detail: the folder cannot be
# opened), make-folder (path, detail: nor made), save (name, detail), too-many (name),
# read (path, detail: a file to attach cannot be read).
PROBLEMS = ("no-such", "folder", "make-folder", "save", "too-many", "read")


def _get(parsed: ParsedMessage, index: int) -> Attachment:
    for att in parsed.attachments:
        if att.index == index:
            return att
    raise AttachmentError("no-such", index=index)


def _candidates(name: str):
    stem, dot, ext = name.rpartition(".")
    if not dot or not stem:
        stem, dot, ext = name, "", ""
    yield name
    for i in range(1, MAX_SUFFIX):
        yield f"{stem} ({i}){dot}{ext}"


def save_attachment(parsed: ParsedMessage, index: int, directory: str | os.PathLike) -> Path:
    """Write attachment ``index`` into ``directory``; return the path actually created."""
    att = _get(parsed, index)
    name = sanitize_filename(att.filename)
    flags = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0)
    try:
        dir_fd = os.open(directory, flags)
    except OSError as exc:
        raise AttachmentError("folder", path=str(directory), detail=exc.strerror or "") from None
    try:
        wflags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
        wflags |= getattr(os, "O_CLOEXEC", 0)
        for candidate in _candidates(name):
            try:
                fd = os.open(candidate, wflags, 0o600, dir_fd=dir_fd)
            except FileExistsError:
                continue
            except OSError as exc:
                raise AttachmentError("save", name=candidate, detail=exc.strerror or "") from None
            with os.fdopen(fd, "wb") as fh:
                fh.write(att.payload)
            return Path(os.fspath(directory)) / candidate
        raise AttachmentError("too-many", name=name)
    finally:
        os.close(dir_fd)


# OpenResult.outcome: what open_attachment() did (worded by tuimail.words.attachments.opened).
OPEN_OUTCOMES = ("opened", "no-display", "no-viewer", "viewer-failed")


@dataclass(frozen=True)
class OpenResult:
    """What open_attachment() did: `outcome` (OPEN_OUTCOMES) and where the file is
    (`path`, sanitised); the file is saved in every outcome."""

    outcome: str
    path: str


def has_display(env: dict[str, str] | None = None) -> bool:
    env = os.environ if env is None else env
    return bool(env.get("DISPLAY") or env.get("WAYLAND_DISPLAY"))


def _viewer_command(content_type: str, path: Path) -> list[str] | None:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            import mailcap  # deprecated in 3.11, gone in 3.13; optional

        caps = mailcap.getcaps()
        cmd, _entry = mailcap.findmatch(caps, content_type, filename=str(path))
        if cmd:
            import shlex

            return shlex.split(cmd)
    except Exception:
        pass
    opener = shutil.which("xdg-open") or shutil.which("open")
    return [opener, str(path)] if opener else None


def open_attachment(
    parsed: ParsedMessage,
    index: int,
    directory: str | os.PathLike,
    *,
    env: dict[str, str] | None = None,
) -> OpenResult:
    """Save the attachment, then open it with a viewer if a display exists.

    Without a display (an SSH session), nothing is launched and the result says
    where the file was saved.
    """
    path = save_attachment(parsed, index, directory)
    shown = sanitize(str(path))
    if not has_display(env):
        return OpenResult("no-display", shown)
    att = _get(parsed, index)
    cmd = _viewer_command(att.content_type.split(";")[0], path)
    if not cmd:
        return OpenResult("no-viewer", shown)
    try:
        subprocess.Popen(
            cmd,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
    except OSError:
        return OpenResult("viewer-failed", shown)
    return OpenResult("opened", shown)
