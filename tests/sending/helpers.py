"""Shared bits for the sending tests: accounts pointed at a test bed."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path

from tuimail.core.account import Account, ServerSettings
from tuimail.core.config import save_account


def make_account(
    email: str = "me@example.test",
    *,
    host: str = "127.0.0.1",
    smtp_port: int = 465,
    security: str = "tls",
    imap_port: int = 993,
    ca_file: str | None = None,
    login: str | None = None,
    **kw,
) -> Account:
    return Account(
        name=kw.pop("name", "test"),
        email=email,
        incoming=ServerSettings(host, imap_port, "tls"),
        outgoing=ServerSettings(host, smtp_port, security),  # type: ignore[arg-type]
        ca_file=ca_file,
        username=login,
        **kw,
    )


def account_for(peer, user, *, security: str = "tls", **kw) -> Account:
    port = peer.ports.smtp_tls if security == "tls" else peer.ports.smtp_starttls
    return make_account(
        user.email,
        host=peer.host,
        smtp_port=port,
        security=security,
        imap_port=peer.ports.imap_tls,
        ca_file=peer.ca_file,
        login=user.login,
        **kw,
    )


def parse(raw: bytes) -> EmailMessage:
    return BytesParser(policy=policy.default).parsebytes(raw)


REPO = Path(__file__).resolve().parents[2]


def tuimail(
    *args: str, stdin: bytes = b"", env: dict[str, str] | None = None
) -> subprocess.CompletedProcess:
    """`python -m tuimail ARGS` as the user runs it (this checkout's code)."""
    return subprocess.run(
        [sys.executable, "-m", "tuimail", *args],
        input=stdin,
        capture_output=True,
        timeout=90,
        check=False,
        env=env,
    )


def with_password(account: Account, tmp_path: Path, password: str) -> Account:
    """Save `account` with a password_command printing `password` from a private file."""
    secret = tmp_path / "pw"
    secret.write_text(password + "\n")
    secret.chmod(0o600)
    account.password_command = f"cat {secret}"
    save_account(account)
    return account


def tuimail_on_path(tmp_path: Path) -> dict[str, str]:
    """An environment whose PATH has a `tuimail` running this checkout (for programs
    such as git send-email that run `tuimail` themselves)."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    script = bin_dir / "tuimail"
    script.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m tuimail "$@"\n')
    script.chmod(0o755)
    env = dict(os.environ)
    env["PATH"] = f"{bin_dir}{os.pathsep}{env.get('PATH', '')}"
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    return env


def closed_port() -> int:
    """A loopback port nobody listens on (connections are refused at once)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
