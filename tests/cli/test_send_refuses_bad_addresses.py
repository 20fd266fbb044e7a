"""`tuimail send` refuses a recipient no server could ever take before it queues
anything: exit 2 and a sentence naming it, never a message queued only to fail (or sent
to the readable recipients alone)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli.helpers import configure
from tuimail.__main__ import main
from tuimail.cli.exits import EXIT_USAGE
from tuimail.core.outbox import Outbox


def _send(tmp_path: Path, text: str, *argv: str) -> int:
    message = tmp_path / "m.eml"
    message.write_text(text)
    return main(["send", *argv, str(message)])


@pytest.mark.parametrize("address", ["bob@", "@example.org", "bob@@example.org", "bob@x..org"])
def test_an_impossible_argument_address_is_refused_before_queueing(
    mail_server, tmp_path, capsys, address
) -> None:
    configure(mail_server, mail_server.new_user())
    assert _send(tmp_path, "Subject: s\n\nbody\n", address) == EXIT_USAGE
    err = capsys.readouterr().err
    assert f"{address}: not sent: it is not an address (local@domain)" in err
    assert "Nothing was sent or queued" in err
    assert Outbox("work").count() == 0


@pytest.mark.parametrize("to", ["bob@", "{ok}, bob@", "Bob <bob>", "Bob <bob@>"])
def test_an_unreadable_header_address_stops_the_message(mail_server, tmp_path, capsys, to) -> None:
    """getaddresses drops "bob@" silently: "To: ok, bob@" went to ok alone."""
    ok = mail_server.new_user()
    configure(mail_server, mail_server.new_user())
    to = to.format(ok=ok.email)
    assert _send(tmp_path, f"To: {to}\nSubject: s\n\nbody\n", "-t") == EXIT_USAGE
    err = capsys.readouterr().err
    assert f"To: {to} cannot be read" in err and "Nothing was sent or queued" in err
    assert Outbox("work").count() == 0 and mail_server.messages(ok) == []


def test_an_empty_group_is_no_unreadable_address(mail_server, tmp_path, capsys) -> None:
    bob = mail_server.new_user()
    configure(mail_server, mail_server.new_user())
    text = "To: undisclosed-recipients:;\nSubject: s\n\nbody\n"
    assert _send(tmp_path, text, bob.email) == 0
    assert f"Sent to {bob.email}" in capsys.readouterr().out
