"""A scripted IMAP server for the doctor's round trip: the test message, once the scripted
SMTP server took it, is UID 2 in INBOX (its X-Tuimail-Doctor header answered to a header
FETCH); UID 1 is a message of the user's own."""

from __future__ import annotations

import re

from tests.hostile.scripted import Conn, ImapScript, SmtpScript

GREETING = b"* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN UIDPLUS] ready\r\n"


class RoundTripInbox(ImapScript):
    """`search_also_names_mine`: SEARCH names UID 1 too, last (as a server that ignores
    the HEADER key, or lies); `on_select`: untagged lines added to SELECT's answer."""

    def __init__(
        self,
        smtp: SmtpScript,
        *,
        search_also_names_mine: bool = False,
        on_select: bytes = b"",
        greeting: bytes = GREETING,
    ) -> None:
        super().__init__(greeting=greeting)
        self.smtp = smtp
        self.also_mine = search_also_names_mine
        self.on_select = on_select

    def cmd_capability(self, conn: Conn, tag: bytes, args: bytes) -> None:
        conn.send(b"* CAPABILITY IMAP4rev1 AUTH=PLAIN UIDPLUS\r\n" + tag + b" OK done\r\n")

    def cmd_select(self, conn: Conn, tag: bytes, args: bytes) -> None:
        conn.send(
            b"* 2 EXISTS\r\n" + self.on_select + b"* OK [UIDVALIDITY 7] ok\r\n"
            b"* OK [UIDNEXT 3] ok\r\n" + tag + b" OK [READ-WRITE] ok\r\n"
        )

    def cmd_uid_search(self, conn: Conn, tag: bytes, args: bytes) -> None:
        found = [b"2"] if self.smtp.delivered else []
        if self.also_mine:
            found.append(b"1")
        conn.send(b" ".join([b"* SEARCH", *found]) + b"\r\n" + tag + b" OK done\r\n")

    def cmd_uid_fetch(self, conn: Conn, tag: bytes, args: bytes) -> None:
        sent = self.smtp.delivered[0] if self.smtp.delivered else b""
        token = re.search(rb"X-Tuimail-Doctor: *(\S+)", sent, re.I)
        headers = {1: b"X-Tuimail-Doctor: not-this-one\r\n\r\n"}
        if token:
            headers[2] = b"X-Tuimail-Doctor: " + token.group(1) + b"\r\n\r\n"
        for uid, header in headers.items():
            conn.send(
                b"* %d FETCH (UID %d BODY[HEADER.FIELDS (X-TUIMAIL-DOCTOR)] {%d}\r\n"
                % (uid, uid, len(header))
                + header
                + b")\r\n"
            )
        conn.send(tag + b" OK done\r\n")
