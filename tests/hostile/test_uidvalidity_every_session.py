"""A server that gives its folder a new UIDVALIDITY at every session, its messages
keeping their UIDs (seen with some Exchange and bridge setups): each sync compares a
sample of the stored messages by Message-ID, keeps the local copy and says so, in
`sync --json` (`renumbered`, reason `same-messages`) and in words; it used to drop the
folder's cache and download every message again at every sync."""

from __future__ import annotations

import json

from tests.hostile.conftest import save
from tests.hostile.scripted import Conn, ImapScript


class NewValidityEachSession(ImapScript):
    """INBOX of one message (UID 1), whose UIDVALIDITY is 100 + the number of logins."""

    def __init__(self) -> None:
        super().__init__()
        self.sessions = 0
        self.header_fetches = 0

    def cmd_login(self, conn: Conn, tag: bytes, args: bytes) -> None:
        self.sessions += 1
        super().cmd_login(conn, tag, args)

    def cmd_examine(self, conn: Conn, tag: bytes, args: bytes) -> None:
        conn.send(
            f"* 1 EXISTS\r\n* 0 RECENT\r\n* OK [UIDVALIDITY {100 + self.sessions}] ok\r\n"
            "* OK [UIDNEXT 2] ok\r\n* FLAGS (\\Seen)\r\n".encode()
            + tag
            + b" OK [READ-ONLY] done\r\n"
        )

    cmd_select = cmd_examine

    def cmd_status(self, conn: Conn, tag: bytes, args: bytes) -> None:
        conn.send(
            f"* STATUS INBOX (MESSAGES 1 UIDNEXT 2 UIDVALIDITY {100 + self.sessions})\r\n".encode()
            + tag
            + b" OK done\r\n"
        )

    def cmd_uid_fetch(self, conn: Conn, tag: bytes, args: bytes) -> None:
        if b"BODY.PEEK[HEADER" in args:
            self.header_fetches += 1
        super().cmd_uid_fetch(conn, tag, args)


def test_a_new_uidvalidity_at_every_session_keeps_the_local_copy(scripted, cli) -> None:
    script = NewValidityEachSession()
    with scripted(script) as server:
        save(server)
        first = json.loads(cli("sync", "work", "--json").out)[0]
        assert first["new"] == 1 and first["renumbered"] == []
        for _ in range(2):
            again = json.loads(cli("sync", "work", "--json").out)[0]
            assert again["new"] == 0 and again["rebuilt"] == [] and again["failures"] == []
            assert again["renumbered"] == [{"folder": "INBOX", "reason": "same-messages"}]
        plain = cli("sync", "work")
        assert plain.code == 0
        assert (
            "  note: INBOX: the server gave this folder a new UIDVALIDITY, but its messages "
            "kept their numbers (checked by Message-ID): the local copy was kept"
        ) in plain.out.splitlines()
        listed = json.loads(cli("list", "work", "--json").out)
        assert [m["subject"] for m in listed] == ["hello"]
    assert script.header_fetches == 4  # the first sync's, then one sample a sync
