"""Fixtures for the hostile-server tests: a scripted server and a saved account for it."""

from __future__ import annotations

import os
import shlex
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import pytest

from tests.hostile.scripted import HANG_GUARD, ScriptedServer
from tuimail.__main__ import main
from tuimail.core.account import Account, ServerSettings
from tuimail.core.config import save_account

TIMEOUT = 1.0  # the account's network timeout in these tests (seconds)
PASSWORD = "hostile-secret-pw"


@dataclass
class Run:
    code: int
    out: str
    err: str


def save(server: ScriptedServer, protocol: str = "imap", **settings) -> Account:
    """An account named `work` whose incoming (or outgoing, for smtp) server is `server`."""
    here = ServerSettings(host=server.host, port=server.port, security="tls")
    nowhere = ServerSettings(host="127.0.0.1", port=9, security="tls")
    account = Account(
        name="work",
        email="bob@example.test",
        username="bob",
        protocol="pop3" if protocol == "pop3" else "imap",
        incoming=nowhere if protocol == "smtp" else here,
        outgoing=here if protocol == "smtp" else nowhere,
        ca_file=server.ca_file,
        password_command=f"printf %s {shlex.quote(PASSWORD)}",
        extra={"timeout": TIMEOUT, **settings},
    )
    save_account(account)
    return account


def save_pair(imap: ScriptedServer, smtp: ScriptedServer, **settings) -> Account:
    """An account named `work` whose incoming server is `imap` and outgoing is `smtp`."""
    account = Account(
        name="work",
        email="bob@example.test",
        username="bob",
        incoming=ServerSettings(imap.host, imap.port, "tls"),
        outgoing=ServerSettings(smtp.host, smtp.port, "tls"),
        ca_file=imap.ca_file,
        password_command=f"printf %s {shlex.quote(PASSWORD)}",
        extra=settings,
    )
    save_account(account)
    return account


def save_starttls(mail_server, user) -> Account:
    """An account named `work` for `user` on the bundled server's IMAP STARTTLS port (no
    outgoing server listening)."""
    account = Account(
        name="work",
        email=user.email,
        username=user.login,
        incoming=ServerSettings(mail_server.host, mail_server.ports.imap_starttls, "starttls"),
        outgoing=ServerSettings(mail_server.host, 9, "tls"),
        ca_file=mail_server.ca_file,
        password_command=f"printf %s {shlex.quote(user.password)}",
    )
    save_account(account)
    return account


def account_add(cli, imap: ScriptedServer, smtp: ScriptedServer) -> Run:
    """`tuimail account add work` (it checks the login) with `imap` and `smtp` as the
    account's servers, run by the `cli` fixture."""
    return cli(
        "account", "add", "work", "--email", "bob@example.test",
        "--incoming", f"127.0.0.1:{imap.port}", "--outgoing", f"127.0.0.1:{smtp.port}",
        "--password-command", f"printf %s {shlex.quote(PASSWORD)}",
        "--ca-file", imap.ca_file, "--timeout", str(TIMEOUT),
    )  # fmt: skip


@pytest.fixture
def cli(capsys):
    def run(*args: str) -> Run:
        capsys.readouterr()
        code = main(list(args))
        captured = capsys.readouterr()
        return Run(code, captured.out, captured.err)

    return run


@pytest.fixture
def scripted(test_ca):
    servers: list[ScriptedServer] = []

    @contextmanager
    def start(script, tls: bool = True) -> Iterator[ScriptedServer]:
        server = ScriptedServer(test_ca, script, tls)
        servers.append(server)
        with server:
            yield server
            # Every connection ended (the client closed it, or the script finished) before
            # the test's end stops the scripts: a client that gave up but kept its socket
            # open would hold it until the process ends.
            left = server.client_left(5)
        assert server.errors == []
        assert left, "a connection the client gave up on was left open"
        # The client gave up by itself (its account's timeout, a bound on an answer) before
        # a script's hang guard ran out: the bound on time, without measuring time.
        assert not server.outwaited, f"the client outwaited the server's {HANG_GUARD} s guard"

    return start


BAD = ("\x1b", "\x9b", "\x07", "\x90", "\x9d", "Traceback", PASSWORD)


def assert_clean_failure(run: Run) -> str:
    """Non-zero status, a short error on stderr, nothing dangerous anywhere; returns it.
    (That it came in time is the `scripted` fixture's check: no script outwaited.)"""
    assert run.code != 0, (run.out, run.err)
    for text in (run.out, run.err):
        for bad in BAD:
            assert bad not in text, (bad, text)
    if os.environ.get("HOSTILE_LOG"):  # HOSTILE_LOG=1 pytest -s: what each case printed
        sys.__stdout__.write(f"\nstatus {run.code}: {run.err!r} out={run.out[-300:]!r}\n")
    lines = [line for line in run.err.splitlines() if line.strip()]
    assert 1 <= len(lines) <= 2, run.err
    assert all(len(line) < 400 for line in lines), run.err
    return run.err.strip()


@pytest.fixture(scope="module")
def nameserver(test_ca):
    """A DNS server for the doctor's DNS checks (their results do not matter here)."""
    from testserver.server import MailServer

    with MailServer(ca=test_ca, protocols=("dns",)) as server:
        yield f"127.0.0.1:{server.dns_port}"


@pytest.fixture
def small_response_limit(monkeypatch) -> None:
    """So a never-ending answer hits the bound after 4 MB rather than 1 GB."""
    from tuimail.core import connect

    monkeypatch.setattr(connect, "MAX_RESPONSE", 4 << 20)
