"""Command-line test fixtures: a configured, synced IMAP account on the bundled server."""

from __future__ import annotations

import pytest

from tests.cli.helpers import configure
from tests.imap.helpers import message
from tuimail.__main__ import main


@pytest.fixture
def synced(mail_server, capsys):
    """A user with one message (subject "exit 1") saved as account "work" and synced;
    what the sync printed is read away. Returns the user."""
    user = mail_server.new_user()
    mail_server.deliver(user, message(1, "exit"))
    configure(mail_server, user)
    assert main(["sync"]) == 0
    capsys.readouterr()
    return user
