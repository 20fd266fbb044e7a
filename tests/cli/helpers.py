"""Shared helpers for the command-line tests: an account on a test bed, the JSON docs."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

from tests.imap.helpers import account_for
from tuimail.core.account import Account
from tuimail.core.config import save_account

DOCS = Path(__file__).resolve().parents[2] / "docs"


def configure(peer, user, name: str = "work", **options) -> Account:
    """Save an IMAP account for `user` whose password comes from a password_command."""
    account = account_for(peer, user, name=name, **options)
    account.password_command = f"printf %s {shlex.quote(user.password)}"
    save_account(account)
    return account


def documented_keys(section: str) -> set[str]:
    """The keys listed in the first column of the tables under `## {section}` in
    docs/json.md (nested keys named in the rows count too)."""
    text = (DOCS / "json.md").read_text()
    parts = re.split(r"^## ", text, flags=re.M)
    body = next(p for p in parts if p.split("\n", 1)[0].strip() == section)
    keys: set[str] = set()
    for line in body.splitlines():
        if line.startswith("| `"):
            keys.update(re.findall(r"`([a-z_0-9]+)`", line))
    return keys
