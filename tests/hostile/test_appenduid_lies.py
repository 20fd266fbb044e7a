"""A server whose APPENDUID lies (RFC 4315: the UID it gave the appended draft) never gets
another message deleted when the draft is saved again: the old copy's UID is removed only
when the message there is this draft (its Message-ID), whatever the UIDVALIDITY says."""

from __future__ import annotations

import re

import pytest

from tests.hostile.conftest import PASSWORD, save
from tests.hostile.scripted import Conn, ImapScript
from tuimail.core.compose import Draft
from tuimail.core.drafts import DraftStore
from tuimail.core.secrets import Secret

pytestmark = pytest.mark.timeout(60)

OTHER = b"Message-ID: <someone-elses@example.test>\r\n\r\n"


class LyingDrafts(ImapScript):
    """Drafts (\\Drafts) holds UID 1, another draft of the user's; every APPEND is said to
    be UID 1 first, then 3, 4... (UID 1 is never the appended one)."""

    def __init__(self) -> None:
        super().__init__(greeting=b"* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN UIDPLUS] ready\r\n")
        self.uids = iter([1, 3, 4, 5])

    def cmd_capability(self, conn: Conn, tag: bytes, args: bytes) -> None:
        conn.send(b"* CAPABILITY IMAP4rev1 AUTH=PLAIN UIDPLUS\r\n" + tag + b" OK done\r\n")

    def cmd_list(self, conn: Conn, tag: bytes, args: bytes) -> None:
        conn.send(
            b'* LIST () "/" INBOX\r\n* LIST (\\Drafts) "/" Drafts\r\n' + tag + b" OK done\r\n"
        )

    def cmd_select(self, conn: Conn, tag: bytes, args: bytes) -> None:
        conn.send(
            b"* 2 EXISTS\r\n* OK [UIDVALIDITY 7] ok\r\n* OK [UIDNEXT 9] ok\r\n"
            + tag
            + b" OK [READ-WRITE] done\r\n"
        )

    def cmd_append(self, conn: Conn, tag: bytes, args: bytes) -> None:
        size = int(re.search(rb"\{(\d+)\+?\}$", args).group(1))
        if not args.endswith(b"+}"):
            conn.send(b"+ go ahead\r\n")
        conn.file.read(size)
        conn.readline()
        conn.send(tag + b" OK [APPENDUID 7 %d] done\r\n" % next(self.uids))

    def cmd_uid_fetch(self, conn: Conn, tag: bytes, args: bytes) -> None:
        uid = int(args.split(b" ")[0])
        if uid == 1:  # the user's other draft
            conn.send(
                b"* 1 FETCH (UID 1 BODY[HEADER.FIELDS (MESSAGE-ID)] {%d}\r\n" % len(OTHER)
                + OTHER
                + b")\r\n"
            )
        conn.send(tag + b" OK done\r\n")


def test_a_lying_appenduid_never_deletes_another_message(scripted) -> None:
    script = LyingDrafts()
    with scripted(script) as server:
        account = save(server)
        drafts = DraftStore(account.name)
        draft = Draft(to=["alice@example.test"], subject="plan", body="one\n")
        first = drafts.save(draft, account, Secret(PASSWORD))
        assert first.server_uid == 1  # as the server said
        draft.body = "two\n"
        drafts.save(draft, account, Secret(PASSWORD), first.id)
    sent = [c.split(b" ", 1)[1].upper() for c in script.commands]
    deleting = [c for c in sent if b"\\DELETED" in c or b"EXPUNGE" in c]
    assert deleting == [], deleting
