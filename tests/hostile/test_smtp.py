"""`tuimail send` against scripted hostile SMTP servers: the message stays in the outbox."""

from __future__ import annotations

import json

import pytest

from tests.hostile.conftest import TIMEOUT, assert_clean_failure, save, save_pair
from tests.hostile.scripted import Conn, SmtpScript, trickle
from tuimail.core.config import save_account

pytestmark = pytest.mark.timeout(60)

ESCAPES = b"\x1b]52;c;aGVsbG8=\x07\x1b[2J\xc2\x9b31m"
MESSAGE = b"From: bob@example.test\r\nTo: alice@example.test\r\nSubject: hi\r\n\r\nHello.\r\n"


def _send(data: bytes):
    return lambda conn, args: conn.send(data)


def _hang(conn: Conn, args: bytes) -> None:
    conn.hang()


CASES = {
    "greeting then close": lambda conn: conn.send(b"220 hi\r\n"),
    "garbage greeting": lambda conn: (conn.send(b"HTTP/1.1 400 Bad Request\r\n\r\n"), conn.hang()),
    "endless greeting line": lambda conn: (conn.send(b"220 "), conn.flood(b"A" * 65536)),
    "endless multi-line EHLO": SmtpScript(
        {"EHLO": lambda conn, args: conn.flood(b"250-" + b"B" * 500 + b"\r\n")}
    ),
    "escapes in the greeting": SmtpScript(greeting=b"554 " + ESCAPES + b" go away\r\n"),
    "escapes in the login refusal": SmtpScript({"AUTH": _send(b"535 " + ESCAPES + b"\r\n")}),
    "escapes in a recipient refusal": SmtpScript({"RCPT": _send(b"550 " + ESCAPES + b"\r\n")}),
    "escapes in the EHLO text": SmtpScript(
        {
            "EHLO": _send(b"250-" + ESCAPES + b"\r\n250 AUTH PLAIN\r\n"),
            "MAIL": _send(b"451 " + ESCAPES + b"\r\n"),
        }
    ),
}


def _outbox(cli) -> list[dict]:
    run = cli("outbox", "--json")
    return json.loads(run.out)


@pytest.mark.parametrize("script", CASES.values(), ids=CASES.keys())
def test_send_fails_cleanly_and_keeps_the_message(scripted, cli, script, tmp_path) -> None:
    path = tmp_path / "m.eml"
    path.write_bytes(MESSAGE)
    with scripted(script) as server:
        save(server, "smtp")
        run = cli("send", str(path))
    assert_clean_failure(run)
    assert server.sent < 16 << 20
    kept = _outbox(cli)
    assert len(kept) == 1 and kept[0]["subject"] == "hi"


@pytest.mark.parametrize("where", ["END-OF-DATA", "trickled greeting"])
def test_send_gives_up_after_the_account_timeout(scripted, cli, where, tmp_path) -> None:
    path = tmp_path / "m.eml"
    path.write_bytes(MESSAGE)
    if where == "trickled greeting":
        script = lambda conn: trickle(conn, b"220 hello")  # noqa: E731
    else:
        script = (lambda conn: conn.hang()) if where == "greeting" else SmtpScript({where: _hang})
    with scripted(script) as server:
        save(server, "smtp")
        run = cli("send", str(path))
    error = assert_clean_failure(run)  # within the hang guard: the account's timeout
    if where == "END-OF-DATA":  # the data went out: never sent twice automatically
        assert "may have been sent" in error
    else:
        assert "did not answer in time" in error
    assert len(_outbox(cli)) == 1


def test_a_good_server_gets_the_message(scripted, cli, tmp_path) -> None:
    path = tmp_path / "m.eml"
    path.write_bytes(MESSAGE)
    script = SmtpScript()
    with scripted(script) as server:
        save(server, "smtp")
        run = cli("send", str(path))
    assert run.code == 0, run.err
    assert len(script.delivered) == 1


@pytest.mark.parametrize("where", ["greeting", "APPEND"])
def test_the_sent_copy_gives_up_after_the_account_timeout(scripted, cli, where, tmp_path) -> None:
    """The copy to Sent waited 30 s (its own default) on a server that stopped answering,
    whatever the account's `timeout` said."""
    from tests.hostile.scripted import ImapScript

    path = tmp_path / "m.eml"
    path.write_bytes(MESSAGE)
    hang = lambda conn, *args: conn.hang()  # noqa: E731
    imap_script = hang if where == "greeting" else ImapScript({"APPEND": hang})
    smtp_script = SmtpScript()
    with scripted(imap_script) as imap, scripted(smtp_script) as smtp:
        save_pair(imap, smtp, timeout=TIMEOUT)
        run = cli("send", str(path))
    assert run.code == 0, run.err
    assert len(smtp_script.delivered) == 1
    assert "not saved on the server" in run.out and "in time" in run.out, run.out
    # its own default (30 s) would have outwaited the script's hang guard: the `scripted`
    # fixture fails then


@pytest.mark.parametrize(
    "answer",
    [b"250-" + b"Z" * 100_000 + b"\r\n250 ok\r\n", b"\x00\xffgarbage\r\n"],
    ids=["over-long", "garbled"],
)
def test_an_unreadable_answer_after_the_data_is_may_have_been_sent(
    scripted, cli, answer, tmp_path
) -> None:
    """The data went out and the answer cannot be read: the server may have taken the
    message, so it is "may have been sent" (never resent by `outbox --retry`), not a
    failure the user is invited to retry into a second copy."""
    path = tmp_path / "m.eml"
    path.write_bytes(MESSAGE)
    with scripted(SmtpScript({"END-OF-DATA": _send(answer)})) as server:
        save(server, "smtp")
        run = cli("send", str(path))
        error = assert_clean_failure(run)
        assert "may have been sent" in error
        (kept,) = _outbox(cli)
        assert kept["state"] == "maybe_sent"
        cli("outbox", "--retry")
        assert len(server.connections) == 1  # --retry leaves it alone: nothing resent


def _stop_reading(conn: Conn, args: bytes) -> None:
    conn.send(b"354 go ahead\r\n")
    # Nothing read for three account timeouts: the client's data backs up and it must give
    # up (then its close is seen by reading on); a client that waited for ever would get
    # the rest read after that and the message accepted: the assertions below fail.
    conn.stop.wait(3 * TIMEOUT)
    conn.sock.settimeout(TIMEOUT)
    while not conn.stop.is_set():  # then all of it, until the client has closed
        try:
            if not conn.sock.recv(1 << 20):
                return
        except TimeoutError:
            continue
        except (OSError, ValueError):
            return


def test_a_server_that_stops_reading_the_data_is_given_up_on_and_sent_once_later(
    scripted, cli, tmp_path
) -> None:
    """A big message is written a chunk at a time; a server that stops reading it is
    given up on after the account's timeout (before: a wait with no end), and as the
    end of the data never went out, the message waits to be sent again (not "may have
    been sent", which would ask the user to check a message the server cannot have)."""
    path = tmp_path / "big.eml"
    path.write_bytes(MESSAGE + (b"x" * 998 + b"\r\n") * 24_000)  # 24 MB: past the buffers
    with scripted(SmtpScript({"DATA": _stop_reading})) as server:
        save(server, "smtp")
        run = cli("send", str(path))
        error = assert_clean_failure(run)
    assert "may have been sent" not in error, error
    (kept,) = _outbox(cli)
    assert kept["state"] not in ("maybe_sent", "sent"), kept


@pytest.mark.parametrize("security", ["tls", "starttls"])
def test_a_garbled_greeting_is_a_protocol_violation_at_the_greeting(
    scripted, cli, security, tmp_path
) -> None:
    """A greeting that is not SMTP was worded as the EHLO stage, and on a STARTTLS port
    counted as a permanent security failure (never retried): it is a protocol violation
    at the greeting, and no security failure."""
    path = tmp_path / "m.eml"
    path.write_bytes(MESSAGE)
    script = lambda conn: (conn.send(b"HELLO THERE\r\n"), conn.hang())  # noqa: E731
    with scripted(script, tls=security == "tls") as server:
        account = save(server, "smtp")
        account.outgoing.security = security
        save_account(account)
        run = cli("send", str(path))
    error = assert_clean_failure(run)
    assert "at the greeting" in error and "EHLO" not in error and "STARTTLS" not in error, error
    (kept,) = _outbox(cli)
    failure = kept["failure"]
    assert failure["stage"] == "greeting", json.dumps(kept)
    assert failure["error"]["kind"] == "protocol", json.dumps(kept)  # not "security"
    assert failure["error"]["reason"] == "not-protocol", json.dumps(kept)
    assert '"HELLO THERE"' in error


@pytest.mark.parametrize(
    "body, declared",
    [("Grüße, ça va ☃\r\n".encode(), True), (b"plain ASCII\r\n", False)],
    ids=["8-bit", "ASCII"],
)
def test_eight_bit_data_is_declared_as_such(scripted, cli, tmp_path, body, declared) -> None:
    """A message with 8-bit bytes (git send-email's patches in UTF-8 are sent
    Content-Transfer-Encoding: 8bit) went out without BODY=8BITMIME (RFC 6152), so a
    server relaying it on to a 7-bit hop did not know to convert it."""
    path = tmp_path / "m.eml"
    path.write_bytes(
        b"From: bob@example.test\r\nTo: alice@example.test\r\nSubject: hi\r\n"
        b"MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n"
        b"Content-Transfer-Encoding: 8bit\r\n\r\n" + body
    )
    script = SmtpScript()
    with scripted(script) as server:
        save(server, "smtp")
        run = cli("send", str(path))
    assert run.code == 0, run.err
    (mail,) = [c for c in script.commands if c.upper().startswith(b"MAIL FROM")]
    assert (b"BODY=8BITMIME" in mail.upper()) is declared, mail
    assert body.rstrip(b"\r\n") in script.delivered[0]


def test_login_methods_none_of_which_tuimail_speaks_are_named(scripted, cli, tmp_path) -> None:
    """The refusal names the methods the server offers, not only those tuimail could use
    (it said "it offers: none" to a server offering GSSAPI and NTLM)."""
    path = tmp_path / "m.eml"
    path.write_bytes(MESSAGE)
    ehlo = b"250-smtp.example.test\r\n250-AUTH GSSAPI NTLM\r\n250 8BITMIME\r\n"
    with scripted(SmtpScript({"EHLO": _send(ehlo)})) as server:
        save(server, "smtp")
        run = cli("send", str(path))
    error = assert_clean_failure(run)
    assert "GSSAPI" in error and "NTLM" in error


@pytest.mark.parametrize(
    "answer",
    [b"250-x\r\n" * 20000 + b"250 ok\r\n", b"25 what\r\n"],
    ids=["answer too long", "two-digit code"],
)
def test_an_rcpt_answer_that_is_not_smtp_is_not_a_refusal(scripted, cli, tmp_path, answer):
    """aiosmtplib's -1 "reply" (an answer too long to hold, or not SMTP) at RCPT TO was
    recorded as the recipient refusing the message: "refused every recipient
    (alice@example.test: -1 Response too long)". It is the server's protocol violation."""
    path = tmp_path / "m.eml"
    path.write_bytes(MESSAGE)
    with scripted(SmtpScript({"RCPT": _send(answer)})) as server:
        save(server, "smtp")
        run = cli("send", str(path))
    error = assert_clean_failure(run)
    assert "refused" not in error and "-1 " not in error and "Response too long" not in error
    assert "at RCPT" in error, error
    assert len(_outbox(cli)) == 1
