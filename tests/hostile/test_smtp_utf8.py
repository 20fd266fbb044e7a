"""Two transactions for one message (an SMTPUTF8 copy for UTF-8 addresses, an ASCII copy
for the others) against a server that drops the line between them: the copy that went
is never sent again; the other stays in the outbox and goes on the retry."""

from __future__ import annotations

import json

import pytest

from tests.hostile.conftest import save
from tests.hostile.scripted import Conn, SmtpScript, Switch

pytestmark = pytest.mark.timeout(60)

EHLO = b"250-smtp.example.test\r\n250-AUTH PLAIN\r\n250-8BITMIME\r\n250 SMTPUTF8\r\n"
MESSAGE = (
    "From: bob@example.test\r\nTo: Jörg <jörg@example.org>, ann@example.org\r\n"
    "Subject: Grüße\r\n\r\nHallo.\r\n"
).encode()


def _busy_for_utf8(conn: Conn, args: bytes) -> None:
    if b"SMTPUTF8" in args.upper():  # shutting down between the two transactions
        conn.send(b"421 4.3.2 shutting down\r\n")
        conn.close()
    else:
        conn.send(b"250 2.1.0 ok\r\n")


def _rcpts(script: SmtpScript) -> list[bytes]:
    return [c for c in script.commands if c.upper().startswith(b"RCPT")]


def test_a_server_going_away_between_the_two_copies_sends_nothing_twice(
    scripted, cli, tmp_path
) -> None:
    path = tmp_path / "m.eml"
    path.write_bytes(MESSAGE)
    flaky = SmtpScript({"EHLO": lambda c, a: c.send(EHLO), "MAIL": _busy_for_utf8})
    good = SmtpScript({"EHLO": lambda c, a: c.send(EHLO)})
    switch = Switch(flaky)
    with scripted(switch) as server:
        save(server, "smtp")
        run = cli("send", "-t", str(path))
        assert run.code == 1, run.err
        assert len(flaky.delivered) == 1 and b"\r\nTo: " in flaky.delivered[0]
        assert flaky.delivered[0].partition(b"\r\n\r\n")[0].isascii()  # ann's copy
        waiting = json.loads(cli("outbox", "--json").out)
        assert len(waiting) == 1, run.err
        (entry,) = waiting
        assert entry["recipients"] == ["jörg@example.org"] and entry["state"] == "retrying"
        assert "421 4.3.2 shutting down" in run.err
        switch.current = good
        assert cli("outbox", "--retry").code == 0
    assert _rcpts(good) == ["RCPT TO:<jörg@example.org>".encode()]
    (copy,) = good.delivered
    assert "To: Jörg <jörg@example.org>".encode() in copy  # raw UTF-8, with SMTPUTF8
    assert json.loads(cli("outbox", "--json").out) == []


def test_an_rcpt_answer_that_is_not_smtp_in_the_second_copy_is_tried_again(
    scripted, cli, tmp_path
) -> None:
    """aiosmtplib's -1 (an answer that is not SMTP) at RCPT of the SMTPUTF8 transaction
    refused that recipient for good, listed as "-1 protocol: not-protocol (reply at
    RCPT)": it is the server's fault, so the recipient stays in the outbox (421)."""
    path = tmp_path / "m.eml"
    path.write_bytes(MESSAGE)

    def rcpt(conn: Conn, args: bytes) -> None:
        utf8 = any(b"SMTPUTF8" in c.upper() for c in script.commands if c.startswith(b"MAIL"))
        conn.send(b"25 what\r\n" if utf8 else b"250 2.1.5 ok\r\n")

    script = SmtpScript({"EHLO": lambda c, a: c.send(EHLO), "RCPT": rcpt})
    with scripted(script) as server:
        save(server, "smtp")
        run = cli("send", "-t", str(path))
    assert len(script.delivered) == 1  # ann's copy
    assert " -1" not in run.err and " -1" not in run.out, run.err  # not the id's "-1"
    (entry,) = json.loads(cli("outbox", "--json").out)
    assert entry["recipients"] == ["jörg@example.org"] and entry["state"] == "retrying"
    assert entry["refused"] == {} and entry["delivered"] == ["ann@example.org"]


def _garbled(conn: Conn) -> None:
    conn.send(b"25 queued\r\n")


@pytest.mark.parametrize("unclear", [_garbled, Conn.close], ids=["garbled", "dropped"])
def test_an_unclear_answer_to_the_second_copy_is_maybe_sent_never_sent_again(
    scripted, cli, tmp_path, unclear
) -> None:
    """ann's copy was taken; the SMTPUTF8 copy's data went out and the answer was not a
    reply (or the line dropped): Jörg may have it. It was turned into a refusal: a 421
    (the garbled answer) sent Jörg a second copy on `outbox --retry`, a 554 said "refused"
    for a message he may have."""
    path = tmp_path / "m.eml"
    path.write_bytes(MESSAGE)

    def end_of_data(conn: Conn, args: bytes) -> None:
        script.delivered.append(args)
        utf8 = any(b"SMTPUTF8" in c.upper() for c in script.commands if c.startswith(b"MAIL"))
        unclear(conn) if utf8 else conn.send(b"250 2.0.0 queued\r\n")

    script = SmtpScript({"EHLO": lambda c, a: c.send(EHLO), "END-OF-DATA": end_of_data})
    with scripted(script) as server:
        save(server, "smtp")
        run = cli("send", "-t", str(path))
        assert run.code == 1, run.err
        assert "Sent to ann@example.org." in run.out
        assert "may have been sent to jörg@example.org" in run.err, run.err
        assert "refused" not in run.err and "not delivered" not in run.err, run.err
        lost = "the connection was lost" in run.err  # no lost line for a garbled answer
        assert lost == (unclear is Conn.close), run.err
        (entry,) = json.loads(cli("outbox", "--json").out)
        assert entry["state"] == "maybe_sent" and entry["recipients"] == ["jörg@example.org"]
        assert entry["delivered"] == ["ann@example.org"] and entry["refused"] == {}
        cli("outbox", "--retry")
    assert len(script.delivered) == 2  # one copy each, nothing sent again by itself


def test_a_recipient_refused_in_an_unclear_copy_is_not_among_who_may_have_it(
    scripted, cli, tmp_path
) -> None:
    """zoë was refused (550) at RCPT of the SMTPUTF8 copy whose answer then never came:
    she never got it, so she is "not delivered to", not "may have been sent to"."""
    path = tmp_path / "m.eml"
    path.write_bytes(MESSAGE.replace(b"ann@", "zoë@example.org, ann@".encode()))

    def rcpt(conn: Conn, args: bytes) -> None:
        conn.send(b"550 5.1.1 no such user\r\n" if "zoë".encode() in args else b"250 ok\r\n")

    def end_of_data(conn: Conn, args: bytes) -> None:
        script.delivered.append(args)
        utf8 = any(b"SMTPUTF8" in c.upper() for c in script.commands if c.startswith(b"MAIL"))
        conn.close() if utf8 else conn.send(b"250 2.0.0 queued\r\n")

    script = SmtpScript(
        {"EHLO": lambda c, a: c.send(EHLO), "RCPT": rcpt, "END-OF-DATA": end_of_data}
    )
    with scripted(script) as server:
        save(server, "smtp")
        run = cli("send", "-t", str(path))
    assert run.code == 1, run.err
    assert "Sent to ann@example.org." in run.out
    assert "may have been sent to jörg@example.org:" in run.err, run.err
    assert "not delivered to: zoë@example.org" in run.err, run.err
    (entry,) = json.loads(cli("outbox", "--json").out)
    assert entry["state"] == "maybe_sent" and entry["recipients"] == ["jörg@example.org"]
    assert list(entry["refused"]) == ["zoë@example.org"]
