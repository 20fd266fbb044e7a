"""`tuimail read` never shows a traceback: a message nested 1,000 deep is rendered (bounded,
with a note), and POP3 mail is read from the local store, the server not needed."""

from __future__ import annotations

import re

import pytest

from tests.imap.helpers import account_for
from tests.isolation import hostile_mail
from tests.isolation.helpers import composing_account, save_for_cli
from tests.pop3.helpers import message, pop3_account
from testserver.server import MailServer
from tuimail.__main__ import main

pytestmark = pytest.mark.timeout(300)


def test_read_renders_a_message_nested_1000_deep(mail_server, capsys) -> None:
    user = mail_server.new_user()
    mail_server.deliver(user, hostile_mail.nested(1000))
    save_for_cli(account_for(mail_server, user, name="work"), user.password)
    assert main(["sync", "work"]) == 0
    capsys.readouterr()
    assert main(["read", "1"]) == 0
    captured = capsys.readouterr()
    assert "recursion" not in captured.out + captured.err
    assert "Subject: nested deep" in captured.out
    assert "nested too deeply" in captured.out  # said, not hidden
    assert len(captured.out) < 1_000_000


def test_read_shows_pop3_mail_from_the_store(test_ca, capsys) -> None:
    with MailServer(ca=test_ca, protocols=("pop3", "smtp")) as server:
        user = server.new_user()
        server.deliver(user, message(1))
        server.deliver(user, message(2, b"The second body.\r\n"))
        save_for_cli(pop3_account(server, user), user.password)
        assert main(["sync", "pop"]) == 0
    capsys.readouterr()
    assert main(["list", "pop"]) == 0
    lines = capsys.readouterr().out.splitlines()
    line = next(line for line in lines if "message 2" in line)
    number = line.split()[0]
    assert number.isdigit()
    # The server is gone: the text comes from the store.
    assert main(["read", number, "--account", "pop"]) == 0
    out = capsys.readouterr().out
    assert "Subject: message 2" in out and "The second body." in out
    assert main(["read", "999", "--account", "pop"]) == 2
    assert "no message with number 999" in capsys.readouterr().err


@pytest.mark.parametrize("how", ["reply", "forward", "forward as attachment"])
def test_reply_and_forward_of_mail_nested_1000_deep(how) -> None:
    from tuimail.core import compose

    me = composing_account()
    raw = hostile_mail.nested(1000)
    if how == "reply":
        draft = compose.reply(raw, me)
    else:
        draft = compose.forward(raw, me, as_attachment=how.endswith("attachment"))
    assert "nested deep" in draft.subject


@pytest.mark.parametrize("how", ["reply", "reply all", "forward"])
def test_reply_and_forward_of_mail_from_a_utf8_address(how) -> None:
    """RFC 6532: `From: Dänglüe Ünïcode <danglüe@email.com>` (real internationalised mail)
    made the reply raise UnicodeEncodeError."""
    from tuimail.core import compose

    me = composing_account()
    raw = hostile_mail.utf8_addresses()
    raw = re.sub(rb"(?m)^From:.*$", "From: Jörg Ünïcöde <jörg@exämple.test>".encode(), raw, count=1)
    if how == "forward":
        draft = compose.forward(raw, me)
        assert "jörg@exämple.test" in draft.body
    else:
        draft = compose.reply(raw, me, reply_all=how == "reply all")
        assert any("jörg@exämple.test" in to for to in draft.to), draft.to
        assert "Jörg Ünïcöde" in draft.body  # the attribution line
