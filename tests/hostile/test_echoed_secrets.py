"""A server that echoes the credential it was sent in its refusal (the AUTH line, the
password): the secret (and its base64 forms, as AUTH PLAIN and AUTH LOGIN carry it) is
never shown, logged or written to disk (the outbox keeps the server's words)."""

from __future__ import annotations

import base64
import os
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.hostile.conftest import PASSWORD, save
from tests.hostile.scripted import Conn, ImapScript, Pop3Script, SmtpScript
from tuimail.core.logs import base64_cores

pytestmark = pytest.mark.timeout(60)

SECRET = PASSWORD.encode()
FORMS = (
    SECRET,
    base64.b64encode(b"\0bob\0" + SECRET),
    base64.b64encode(SECRET),
)
MESSAGE = b"From: bob@example.test\r\nTo: alice@example.test\r\nSubject: hi\r\n\r\nHello.\r\n"


def _smtp_auth_echoed(conn: Conn, args: bytes) -> None:
    """535 quoting the AUTH line and what its base64 says."""
    said = base64.b64decode(args.split()[-1]).replace(b"\0", b" ")
    conn.send(b"535 5.7.8 bad credentials " + args + b" (" + said + b")\r\n")


ECHOES = {
    "smtp": SmtpScript({"AUTH": _smtp_auth_echoed}),
    "imap": ImapScript(
        {
            "LOGIN": lambda conn, tag, args: conn.send(
                tag + b" NO [AUTHENTICATIONFAILED] " + args + b"\r\n"
            )
        }
    ),
    "pop3": Pop3Script(
        {"PASS": lambda conn, args: conn.send(b"-ERR [AUTH] wrong: " + args + b"\r\n")}
    ),
}


def _files_holding_a_secret() -> list[str]:
    """Files under the data, state and cache directories holding a form of the secret
    (the config is left out: the test account's password_command names it)."""
    found = []
    for variable in ("XDG_DATA_HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME"):
        for path in Path(os.environ[variable]).rglob("*"):
            if path.is_file() and any(form in path.read_bytes() for form in FORMS):
                found.append(str(path))
    return found


@pytest.mark.parametrize("protocol", ECHOES, ids=ECHOES.keys())
def test_a_credential_echoed_by_the_server_is_not_kept(scripted, cli, protocol, tmp_path):
    path = tmp_path / "m.eml"
    path.write_bytes(MESSAGE)
    with scripted(ECHOES[protocol]) as server:
        save(server, protocol)
        run = cli("send", str(path)) if protocol == "smtp" else cli("sync", "work")
        kept = cli("outbox", "--json")
    assert run.code != 0
    for form in FORMS:
        for text in (run.out, run.err, kept.out):
            assert form.decode() not in text, (form, text)
    assert _files_holding_a_secret() == []


@given(
    before=st.binary(max_size=12),
    secret=st.text(min_size=3, max_size=30).filter(lambda s: set(s) != {"\u2022"}),
    after=st.binary(max_size=6),
)
def test_every_base64_encoding_around_a_secret_holds_one_of_its_cores(before, secret, after):
    """Whatever comes before and after (AUTH PLAIN's authzid and login), the base64 of a
    string holding the secret contains a core that base64_cores names (when it has one:
    a secret of three bytes or more in every alignment)."""
    data = secret.encode("utf-8", "surrogateescape")
    encoded = base64.b64encode(before + data + after).decode()
    cores = base64_cores(secret)
    offset = len(before) % 3
    whole_groups = (offset + len(data)) // 3 - (1 if offset else 0)
    if whole_groups >= 1:
        assert any(core in encoded for core in cores)
