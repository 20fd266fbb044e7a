"""JSON output of the commands (`--json`); each shape is documented in docs/json.md.

Every string here came from a message or a server and was sanitised by the store; JSON
escapes what is left, so output is safe to pipe. Dates are Unix epoch seconds (or null).
"""

from __future__ import annotations

import json
import sys
import threading
from email.utils import getaddresses
from typing import Any

from tuimail.core.account import Account, ServerSettings
from tuimail.words.notes import message_note, note_kind

_LINES = threading.Lock()  # a stream's lines come from several threads (tuimail watch)


def dump(data: Any, *, lines: bool = False) -> None:
    """Print `data` as JSON: indented, or one compact object per line (`lines`, a stream:
    each line is one write under a lock, so lines of several threads never interleave)."""
    if lines:
        line = json.dumps(data, separators=(",", ":")) + "\n"
        with _LINES:
            sys.stdout.write(line)
            sys.stdout.flush()
        return
    print(json.dumps(data, indent=2))
    sys.stdout.flush()


def addresses(joined: str) -> list[dict[str, str]]:
    return [{"name": n, "address": a} for n, a in getaddresses([joined]) if n or a]


def message_row(row: Any) -> dict[str, Any]:
    """One message of the store (`tuimail list`, `watch`, `read`)."""
    return {
        "account": row.account,
        "folder": row.folder,
        "uid": row.uid,
        "id": row.id,
        "date": row.date,
        "from": row.from_addr,
        "from_name": row.from_name,
        "to": addresses(row.to_addrs),
        "cc": addresses(row.cc_addrs),
        "subject": row.subject,
        "message_id": row.message_id or None,
        "in_reply_to": row.in_reply_to or None,
        "references": row.references.split(),
        "thread_id": row.thread_id or None,
        "flags": list(row.flags),
        "seen": row.seen,
        "flagged": row.flagged,
        "answered": row.answered,
        "has_attachments": row.has_attachments,
        "size": row.size,
        "note": message_note(getattr(row, "note", "") or ""),
        "note_kind": note_kind(getattr(row, "note", "") or ""),
    }


def _server(s: ServerSettings) -> dict[str, Any]:
    return {"host": s.host, "port": s.port, "security": s.security, "pinned": bool(s.pinned_sha256)}


def account(a: Account) -> dict[str, Any]:
    """One configured account (`tuimail account list`); never a password or its command."""
    return {
        "name": a.name,
        "email": a.email,
        "display_name": a.display_name,
        "protocol": a.protocol,
        "username": a.login,
        "incoming": _server(a.incoming),
        "outgoing": _server(a.outgoing),
        "password_command": bool(a.password_command),
    }
