"""No password reaches a server before TLS is in place as the account requires it, on every
path that logs in (sync, doctor, send): recording servers that strip, refuse or fake
STARTTLS/STLS, present a key other than the pinned one, or answer the login with a
referral to another server. The password's bytes (and its base64 forms, as AUTH PLAIN
and AUTH LOGIN carry it) must never be among what they read."""

from __future__ import annotations

import base64

import pytest

from tests.hostile.conftest import PASSWORD, assert_clean_failure, save
from tests.hostile.scripted import Conn, ImapScript, Pop3Script, ScriptedServer, SmtpScript
from tuimail.core.config import save_account

pytestmark = pytest.mark.timeout(60)

FORMS = (
    PASSWORD.encode(),
    base64.b64encode(b"\0bob\0" + PASSWORD.encode()),  # AUTH PLAIN
    base64.b64encode(b"bob\0bob\0" + PASSWORD.encode()),
    base64.b64encode(PASSWORD.encode()),  # AUTH LOGIN
)


def _assert_withheld(server: ScriptedServer) -> None:
    received = server.received
    for form in FORMS:
        assert form not in received, (form, received[-400:])


def _keep_reading(conn: Conn) -> None:
    """Read (and record) whatever the client sends next, until it closes."""
    while conn.readline():
        pass


# -- IMAP on a STARTTLS port: the scripts speak plain text throughout ------------------

IMAP_GREETING = b"* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN STARTTLS] ready\r\n"


def _imap_caps(caps: bytes):
    return lambda conn, tag, args: conn.send(
        b"* CAPABILITY " + caps + b"\r\n" + tag + b" OK done\r\n"
    )


def _imap_starttls(answer: bytes):
    def handler(conn: Conn, tag: bytes, args: bytes) -> None:
        conn.send(answer.replace(b"TAG", tag))

    return handler


IMAP_STARTTLS = {
    "not offered, AUTH=PLAIN is": ImapScript(
        {"CAPABILITY": _imap_caps(b"IMAP4rev1 AUTH=PLAIN")},
        greeting=b"* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN] ready\r\n",
    ),
    "refused with NO": ImapScript(
        {
            "CAPABILITY": _imap_caps(b"IMAP4rev1 AUTH=PLAIN STARTTLS"),
            "STARTTLS": _imap_starttls(b"TAG NO not today\r\n"),
        },
        greeting=IMAP_GREETING,
    ),
    "refused with BAD": ImapScript(
        {
            "CAPABILITY": _imap_caps(b"IMAP4rev1 AUTH=PLAIN STARTTLS"),
            "STARTTLS": _imap_starttls(b"TAG BAD what\r\n"),
        },
        greeting=IMAP_GREETING,
    ),
    "accepted, then plain text goes on": ImapScript(
        {
            "CAPABILITY": _imap_caps(b"IMAP4rev1 AUTH=PLAIN STARTTLS"),
            "STARTTLS": _imap_starttls(
                b"TAG OK begin TLS\r\n* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN] still plain\r\n"
            ),
        },
        greeting=IMAP_GREETING,
    ),
    "accepted, then the connection closes": ImapScript(
        {
            "CAPABILITY": _imap_caps(b"IMAP4rev1 AUTH=PLAIN STARTTLS"),
            "STARTTLS": lambda conn, tag, args: (conn.send(tag + b" OK go\r\n"), conn.close()),
        },
        greeting=IMAP_GREETING,
    ),
    "PREAUTH greeting in the clear": ImapScript(
        {"CAPABILITY": _imap_caps(b"IMAP4rev1 AUTH=PLAIN STARTTLS")},
        greeting=b"* PREAUTH [CAPABILITY IMAP4rev1 STARTTLS] logged in already\r\n",
    ),
}


@pytest.mark.parametrize("command", ["sync", "doctor"])
@pytest.mark.parametrize("script", IMAP_STARTTLS.values(), ids=IMAP_STARTTLS.keys())
def test_imap_starttls_that_does_not_happen_gets_no_password(scripted, cli, script, command):
    with scripted(script, tls=False) as server:
        account = save(server)
        account.incoming.security = "starttls"
        save_account(account)
        run = cli(command, "work", *(["--timeout", "1"] if command == "doctor" else []))
        # and the connection is closed at once (it stayed up until the garbage collector
        # found its socket: the reader made for it kept it open)
        assert server.client_left()
    assert run.code != 0, run.out
    _assert_withheld(server)


# -- POP3 on a STLS port ----------------------------------------------------------------


def _pop3(**overrides):
    return Pop3Script(overrides)


def _send(data: bytes):
    return lambda conn, args: conn.send(data)


POP3_STLS = {
    "not offered, USER is": _pop3(CAPA=_send(b"+OK\r\nUSER\r\nUIDL\r\n.\r\n")),
    "no CAPA at all": _pop3(CAPA=_send(b"-ERR what\r\n")),
    "refused": _pop3(CAPA=_send(b"+OK\r\nSTLS\r\nUSER\r\n.\r\n"), STLS=_send(b"-ERR not now\r\n")),
    "accepted, then plain text goes on": _pop3(
        CAPA=_send(b"+OK\r\nSTLS\r\nUSER\r\n.\r\n"),
        STLS=lambda conn, args: (
            conn.send(b"+OK begin\r\n+OK still plain\r\n"),
            _keep_reading(conn),
        ),
    ),
}


@pytest.mark.parametrize("command", ["sync", "doctor"])
@pytest.mark.parametrize("script", POP3_STLS.values(), ids=POP3_STLS.keys())
def test_pop3_stls_that_does_not_happen_gets_no_password(scripted, cli, script, command):
    with scripted(script, tls=False) as server:
        account = save(server, "pop3")
        account.incoming.security = "starttls"
        save_account(account)
        run = cli(command, "work", *(["--timeout", "1"] if command == "doctor" else []))
    assert run.code != 0, run.out
    _assert_withheld(server)


# -- SMTP submission on a STARTTLS port --------------------------------------------------

SMTP_STARTTLS = {
    "not offered, AUTH is": SmtpScript(
        {"EHLO": _send(b"250-smtp.example.test\r\n250-AUTH PLAIN LOGIN\r\n250 8BITMIME\r\n")}
    ),
    "refused": SmtpScript(
        {
            "EHLO": _send(b"250-smtp.example.test\r\n250-STARTTLS\r\n250 AUTH PLAIN LOGIN\r\n"),
            "STARTTLS": _send(b"454 4.7.0 TLS not available\r\n"),
        }
    ),
    "accepted, then plain text goes on": SmtpScript(
        {
            "EHLO": _send(b"250-smtp.example.test\r\n250-STARTTLS\r\n250 AUTH PLAIN LOGIN\r\n"),
            "STARTTLS": lambda conn, args: (
                conn.send(b"220 go ahead\r\n250 AUTH PLAIN LOGIN\r\n"),
                _keep_reading(conn),
            ),
        }
    ),
}

MESSAGE = b"From: bob@example.test\r\nTo: alice@example.test\r\nSubject: hi\r\n\r\nHello.\r\n"


@pytest.mark.parametrize("command", ["send", "doctor"])
@pytest.mark.parametrize("script", SMTP_STARTTLS.values(), ids=SMTP_STARTTLS.keys())
def test_smtp_starttls_that_does_not_happen_gets_no_password(
    scripted, cli, script, command, tmp_path
):
    path = tmp_path / "m.eml"
    path.write_bytes(MESSAGE)
    with scripted(script, tls=False) as server:
        account = save(server, "smtp")
        account.outgoing.security = "starttls"
        save_account(account)
        if command == "send":
            run = cli("send", str(path))
        else:
            run = cli("doctor", "work", "--timeout", "1")
    assert run.code != 0, run.out
    _assert_withheld(server)


# -- implicit TLS with a pinned key that is not the server's ----------------------------

PINNED = {
    "imap": (lambda: ImapScript(), "incoming", "sync"),
    "pop3": (lambda: Pop3Script(), "incoming", "sync"),
    "smtp": (lambda: SmtpScript(), "outgoing", "send"),
}


@pytest.mark.parametrize("protocol", PINNED, ids=PINNED.keys())
def test_a_key_other_than_the_pinned_one_gets_no_password(scripted, cli, protocol, tmp_path):
    make, side, command = PINNED[protocol]
    path = tmp_path / "m.eml"
    path.write_bytes(MESSAGE)
    with scripted(make()) as server:
        account = save(server, protocol)
        getattr(account, side).pinned_sha256 = "00" * 32
        save_account(account)
        run = cli(command, str(path)) if command == "send" else cli(command, "work")
        doctor = cli("doctor", "work", "--timeout", "1")
    assert run.code != 0 and doctor.code != 0, (run.out, doctor.out)
    _assert_withheld(server)


# -- a login answered with a referral to another server ---------------------------------


def test_a_login_referral_is_not_followed_with_the_password(scripted, cli) -> None:
    """RFC 2221: `NO [REFERRAL imap://...]` to LOGIN names another server; tuimail goes
    nowhere it was not set up to go (the referred server, recording too, hears nothing)."""
    elsewhere = ImapScript()
    with scripted(elsewhere) as other:
        referral = f"imap://bob@{other.host}:{other.port}/".encode()

        def login(conn: Conn, tag: bytes, args: bytes) -> None:
            conn.send(tag + b" NO [REFERRAL " + referral + b"] try that server\r\n")

        with scripted(ImapScript({"LOGIN": login})) as server:
            save(server)
            run = cli("sync", "work")
    assert run.code != 0
    assert other.connections == []
    assert "REFERRAL" in run.err  # said in the server's words, not acted on


def test_a_preauth_greeting_in_the_clear_is_said_for_what_it_is(scripted, cli) -> None:
    """PREAUTH before STARTTLS: imaplib refused to send STARTTLS in its own words ("the
    server refused STARTTLS ...: command STARTTLS illegal in state AUTH, only allowed in
    states NONAUTH"); the server refused nothing. Nothing is sent; the sentence says why."""
    with scripted(IMAP_STARTTLS["PREAUTH greeting in the clear"], tls=False) as server:
        account = save(server)
        account.incoming.security = "starttls"
        save_account(account)
        run = cli("sync", "work")
    error = assert_clean_failure(run)
    assert "PREAUTH" in error and "illegal" not in error and "refused" not in error, error
    _assert_withheld(server)
