"""`tuimail list` of several accounts says whose rows follow: the numbers are each
account's own and `read` takes the first account's unless told, so an unlabelled row of
the second account read another message (or none) of the first."""

from __future__ import annotations

from tests.cli.helpers import configure
from tests.imap.helpers import message
from tuimail.__main__ import main


def test_rows_of_several_accounts_come_under_their_account(mail_server, capsys) -> None:
    first, second = mail_server.new_user(), mail_server.new_user()
    mail_server.deliver(first, message(1, "first's"))
    mail_server.deliver(second, message(1, "second's"))
    configure(mail_server, first, name="one")
    configure(mail_server, second, name="two")
    assert main(["sync"]) == 0
    capsys.readouterr()

    assert main(["list"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "one INBOX:" and "first's" in lines[1]
    assert lines[2] == "two INBOX (tuimail read NUMBER --account two):"
    assert "second's" in lines[3] and len(lines) == 4
    assert main(["read", lines[3].split()[0], "--account", "two"]) == 0
    assert "second's" in capsys.readouterr().out

    assert main(["list", "two"]) == 0  # one account: no heading
    (row,) = capsys.readouterr().out.splitlines()
    assert "second's" in row
