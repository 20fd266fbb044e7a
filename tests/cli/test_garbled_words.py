"""An encoded word with no base64 in it ("=?utf-8?B?!!!?=") is shown as written: the
Subject of such a message was empty in the list, `--json` and the reader."""

from __future__ import annotations

import json

from tests.cli.helpers import configure
from tuimail.__main__ import main

RAW = (
    b"From: a@example.test\r\nTo: b@example.test\r\nSubject: =?utf-8?B?!!!?= urgent\r\n"
    b"Date: Sat, 05 Dec 2026 12:00:00 +0000\r\nMessage-ID: <garbled@example.test>\r\n\r\nbody\r\n"
)


def test_a_subject_of_undecodable_words_is_shown_not_dropped(mail_server, capsys) -> None:
    user = mail_server.new_user()
    mail_server.deliver(user, RAW)
    configure(mail_server, user)
    assert main(["sync"]) == 0
    capsys.readouterr()
    assert main(["list", "--json"]) == 0
    (row,) = json.loads(capsys.readouterr().out)
    assert row["subject"] == "!!! urgent"
    assert main(["read", str(row["uid"])]) == 0
    assert "Subject: !!! urgent\n" in capsys.readouterr().out
