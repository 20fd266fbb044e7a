"""An attempt interrupted (Ctrl-C, the app quitting) after the server took the message:
the recipients whose transaction the server answered with 250 are delivered, whatever
happens after (QUIT unanswered, the other SMTPUTF8 transaction in flight), never
"maybe sent" (that would ask the user to send them a second copy)."""

from __future__ import annotations

import asyncio
import contextlib
import threading

import pytest

from tests.hostile.conftest import PASSWORD, TIMEOUT, save, save_pair
from tests.hostile.scripted import Conn, SmtpScript
from tuimail.core.outbox import Outbox
from tuimail.core.secrets import Secret

pytestmark = pytest.mark.timeout(60)

EHLO = b"250-smtp.example.test\r\n250-AUTH PLAIN\r\n250-8BITMIME\r\n250 SMTPUTF8\r\n"


def _interrupted_send(account, recipients: list[str], reached: threading.Event) -> Outbox:
    """Queue a message, start its attempt, cancel it once the script reached its hang
    (`reached`), then decide what it left as a new process would (recover())."""
    message = (
        f"From: bob@example.test\r\nTo: {', '.join(recipients)}\r\nSubject: hi\r\n\r\nHi.\r\n"
    ).encode()
    outbox = Outbox(account.name)

    async def run() -> None:
        entry = outbox.enqueue(message, "bob@example.test", recipients)
        task = asyncio.create_task(outbox.send(entry.id, account, Secret(PASSWORD), timeout=30))
        assert await asyncio.to_thread(reached.wait, 20), "the script never got there"
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task

    asyncio.run(run())
    outbox.recover()
    return outbox


def _hang_setting(reached: threading.Event):
    def hang(conn: Conn, args: bytes) -> None:
        reached.set()
        conn.hang()

    return hang


def test_an_interruption_while_quit_is_unanswered_leaves_the_message_sent(scripted) -> None:
    reached = threading.Event()
    script = SmtpScript({"QUIT": _hang_setting(reached)})
    with scripted(script) as server:
        account = save(server, "smtp")
        outbox = _interrupted_send(account, ["alice@example.test"], reached)
    assert len(script.delivered) == 1
    assert outbox.entries() == []  # nothing waits to be sent (again)
    (entry,) = outbox.entries(include_sent=True)
    assert entry.state == "sent" and entry.delivered == ["alice@example.test"]
    assert entry.copy == {"outcome": "not-tried"}


def test_an_interruption_in_the_second_transaction_keeps_the_first_delivered(scripted) -> None:
    reached = threading.Event()

    def end_of_data(conn: Conn, args: bytes) -> None:
        if any(b"SMTPUTF8" in c.upper() for c in script.commands if c.startswith(b"MAIL")):
            return _hang_setting(reached)(conn, args)
        script.delivered.append(b"ascii copy")
        conn.send(b"250 2.0.0 queued\r\n")

    script = SmtpScript({"EHLO": lambda c, a: c.send(EHLO), "END-OF-DATA": end_of_data})
    with scripted(script) as server:
        account = save(server, "smtp")
        outbox = _interrupted_send(account, ["ann@example.org", "jörg@example.org"], reached)
    assert script.delivered == [b"ascii copy"]
    (entry,) = outbox.entries()
    assert entry.state == "maybe_sent"
    assert entry.delivered == ["ann@example.org"] and entry.recipients == ["jörg@example.org"]


def test_an_interruption_during_the_sent_copy_says_who_has_it_and_copies_once(
    scripted, capsys
) -> None:
    """Ctrl-C while copying a partly deferred message to Sent said "interrupted before
    the message went out" (alice had it), and the retry for bob made a second copy."""
    from tuimail.cli.send import _interrupted

    reached, deferring = threading.Event(), [True]

    def rcpt(conn: Conn, args: bytes) -> None:
        later = deferring[0] and b"bob@" in args
        conn.send(b"451 4.7.1 try later\r\n" if later else b"250 2.1.5 ok\r\n")

    def imap(conn: Conn) -> None:  # the Sent copy's server: never answers
        reached.set()
        conn.hang()

    smtp_script = SmtpScript({"RCPT": rcpt})
    with scripted(imap) as imap_server, scripted(smtp_script) as smtp_server:
        account = save_pair(imap_server, smtp_server, timeout=TIMEOUT)
        outbox = _interrupted_send(account, ["alice@example.test", "bob@example.org"], reached)
        (entry,) = outbox.entries()
        assert entry.state == "retrying" and entry.delivered == ["alice@example.test"]
        assert entry.copy == {"outcome": "interrupted"}  # durable: not made again
        capsys.readouterr()
        _interrupted(outbox, entry.id)
        said = capsys.readouterr().err
        assert "sent to alice@example.test" in said and "bob@example.org" in said, said
        assert "before the message went out" not in said
        deferring[0] = False
        entry = asyncio.run(outbox.send(entry.id, account, Secret(PASSWORD), force=True))
    assert entry.state == "sent" and entry.copy == {"outcome": "interrupted"}
    assert len(smtp_script.delivered) == 2


def test_a_recipient_refused_here_is_not_left_waiting_by_an_interruption(scripted) -> None:
    """A UTF-8 address the server cannot take (no SMTPUTF8) is refused before sending;
    interrupted while QUIT waited, the message was left "retrying" for it (to fail later)
    instead of delivered to the others and refused for it."""
    reached = threading.Event()
    script = SmtpScript({"QUIT": _hang_setting(reached)})  # no SMTPUTF8 offered
    with scripted(script) as server:
        account = save(server, "smtp")
        outbox = _interrupted_send(account, ["ann@example.org", "jörg@example.org"], reached)
    assert outbox.entries() == []
    (entry,) = outbox.entries(include_sent=True)
    assert entry.state == "partial" and entry.delivered == ["ann@example.org"]
    assert list(entry.refused) == ["jörg@example.org"]
