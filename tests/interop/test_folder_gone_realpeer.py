"""Opening a message whose folder another mail program renamed (or deleted) since the
last sync says so, as the real Dovecot answers it: it said "the mail server refused:
Mailbox doesn't exist: Proj (0.001 + 0.000 secs)."."""

from __future__ import annotations

import pytest

from tests.cli.helpers import configure
from tests.imap.helpers import message
from tuimail.__main__ import main
from tuimail.cli.exits import EXIT_FAILURE

pytestmark = pytest.mark.interop


def test_reading_from_a_folder_renamed_elsewhere_names_the_folder(dovecot_peer, capsys):
    user = dovecot_peer.new_user()
    dovecot_peer.doveadm("mailbox", "create", "-u", user.login, "Proj")
    dovecot_peer.deliver(user, message(1, "in proj"), folder="Proj")
    configure(dovecot_peer, user)
    assert main(["sync"]) == 0
    dovecot_peer.doveadm("mailbox", "rename", "-u", user.login, "Proj", "Proj-old")
    capsys.readouterr()

    assert main(["read", "1", "--folder", "Proj"]) == EXIT_FAILURE
    out, err = capsys.readouterr()
    assert out == "" and err == "tuimail: the folder Proj no longer exists on the server\n"
