"""What the composer holds, kept on disk while it is written, so a crash loses nothing.

A SIGHUP saves the message as a draft (the app's hang-up handler), but a process that is
killed (SIGKILL, out of memory, the machine going down) runs no handler. While a composer
has unsaved changes its fields are written every few seconds to
``user_data_dir("tuimail")/recovery/<key>.json`` (private, atomic); the file is removed
once the message is sent, saved as a draft or discarded. At the next start the files of
processes that are gone become drafts (`pending`).

Invariant: a file names the process that wrote it; a live process's files are never
taken (two tuimail instances may run at once).
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path

import platformdirs

# The Draft fields kept (text only: attachments carried from a forwarded message are
# bytes in memory; their names stay in `attachments`).
FIELDS = (
    "account",
    "to",
    "cc",
    "bcc",
    "subject",
    "body",
    "attachments",
    "in_reply_to",
    "references",
    "message_id",
    "kind",
    "identity",
)


def recovery_dir() -> Path:
    # The outbox's data directory, named here: importing the outbox at the app's start
    # (recover_drafts) would load it before the first list is painted.
    return Path(platformdirs.user_data_dir("tuimail")) / "recovery"


def new_key() -> str:
    return secrets.token_hex(8)


@dataclass
class Kept:
    """One kept message: its file's key and the Draft fields (FIELDS)."""

    key: str
    fields: dict = field(default_factory=dict)


def keep(key: str, draft: object) -> None:
    """Write `draft`'s fields for `key` (replacing what was kept before)."""
    data = {name: getattr(draft, name, "") for name in FIELDS}
    data["pid"] = os.getpid()
    from tuimail.core.outbox import write_atomic

    write_atomic(recovery_dir() / f"{key}.json", json.dumps(data).encode())


def forget(key: str) -> None:
    """The message is safe elsewhere (sent, a draft) or was discarded."""
    with contextlib.suppress(OSError):
        (recovery_dir() / f"{key}.json").unlink()


def _alive(pid: object) -> bool:
    if not isinstance(pid, int) or pid <= 0:
        return False
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # exists, another user's
    return True


def pending() -> list[Kept]:
    """Messages kept by processes that are gone (oldest first); unreadable files are
    skipped (and left for a person to look at)."""
    directory = recovery_dir()
    if not directory.is_dir():
        return []
    found = []
    for path in sorted(directory.glob("*.json"), key=lambda p: p.stat().st_mtime):
        try:
            data = json.loads(path.read_text("utf-8"))
        except (OSError, ValueError):
            continue
        if not isinstance(data, dict) or _alive(data.get("pid")):
            continue
        fields = {name: data[name] for name in FIELDS if name in data}
        if not isinstance(fields.get("account"), str):
            continue
        if not isinstance(fields.get("attachments", []), list):
            fields["attachments"] = []
        found.append(Kept(path.stem, fields))
    return found
