"""A bare CR in a header is no line end (Dovecot and Postfix end lines at LF): mail with
"Subject: invoice\\rFrom: CEO <ceo@bank.example>" above the real From showed the CEO as
the sender in the reader (and replies went to the CEO), while the list, the server and
DMARC saw the real sender. The reader, the list, a reply and the delivery report now
read the fields the server reads."""

from __future__ import annotations

import json

import pytest

from tests.cli.helpers import configure
from tuimail.__main__ import main
from tuimail.core.compose import forward, reply
from tuimail.core.mime import parse_message

pytestmark = pytest.mark.interop

SMUGGLED = (
    b"Subject: invoice\rFrom: CEO <ceo@bank.example>\r\n"
    b"From: Mallory <mallory@evil.example>\r\n"
    b"To: someone@example.test\r\n"
    b"Date: Sat, 05 Dec 2026 12:00:00 +0000\r\n"
    b"Message-ID: <smuggled@evil.example>\r\n\r\n"
    b"pay now\r\n"
)


def test_a_from_hidden_behind_a_bare_cr_is_never_shown_as_the_sender(dovecot_peer, capsys):
    user = dovecot_peer.new_user()
    dovecot_peer.deliver(user, SMUGGLED)
    (stored,) = dovecot_peer.messages(user)
    assert b"invoice\rFrom: CEO" in stored  # the server kept the bytes as they came
    account = configure(dovecot_peer, user)
    assert main(["sync"]) == 0
    capsys.readouterr()

    assert main(["list", "--json"]) == 0
    (row,) = json.loads(capsys.readouterr().out)
    assert row["from"] == "mallory@evil.example"
    assert main(["read", str(row["uid"])]) == 0
    shown = capsys.readouterr().out
    head = shown.split("\n\n")[0].splitlines()
    assert [line for line in head if line.startswith("From:")] == [
        "From: Mallory <mallory@evil.example>"
    ]
    assert "Subject: invoice From: CEO <ceo@bank.example>" in head

    parsed = parse_message(stored)
    assert [v for n, v in parsed.headers if n == "From"] == ["Mallory <mallory@evil.example>"]
    assert reply(stored, account).to == ["Mallory <mallory@evil.example>"]
    assert "From: Mallory <mallory@evil.example>" in forward(stored, account).body
