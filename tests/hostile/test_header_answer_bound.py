"""A header FETCH answer keeps at most MAX_KEPT_ANSWER of its literals in full, whatever
their number: each was bounded (MAX_KEPT_LITERAL, 16 MB) but not their sum, so one answer
under the command's 1 GB bound (MAX_RESPONSE) could hold 64 headers of 16 MB at once."""

from __future__ import annotations

import io

import pytest

from tests.hostile.conftest import save
from tests.hostile.scripted import Conn, ImapScript
from tuimail.core.imap import fetchscan

pytestmark = pytest.mark.timeout(60)

BIG = 1 << 20  # each header literal (above what one buffer holds: the chunked path)


def _answer(count: int) -> bytes:
    out = b""
    for uid in range(1, count + 1):
        header = b"Subject: big %d\r\nX-Filler: " % uid
        header += b"x" * (BIG - len(header) - 4) + b"\r\n\r\n"
        out += (
            b'* %d FETCH (UID %d FLAGS () INTERNALDATE "01-Jan-2024 10:00:00 +0000" '
            b"RFC822.SIZE %d BODY[HEADER.FIELDS (SUBJECT)] {%d}\r\n" % (uid, uid, BIG, BIG)
        )
        out += header + b")\r\n"
    return out


def test_the_literals_kept_of_one_answer_are_bounded_as_a_whole(monkeypatch) -> None:
    monkeypatch.setattr(fetchscan, "MAX_KEPT_ANSWER", 3 * BIG, raising=False)
    monkeypatch.setattr(fetchscan, "MIN_KEPT_LITERAL", 4096, raising=False)
    data = _answer(10)
    reader = fetchscan._Reader(io.BufferedReader(io.BytesIO(data)), lambda n: None)
    kept = []
    for _ in range(10):
        line = reader.line()
        size = int(line[line.rindex(b"{") + 1 : -1])
        kept.append(reader.literal(size))
        assert reader.line() == b")"
    assert sum(len(k) for k in kept) <= 3 * BIG + 7 * 4096 + 10 * (1 << 16)
    assert all(k.startswith(b"Subject: big ") for k in kept)  # every summary still there


class BigHeaders(ImapScript):
    def cmd_search(self, conn: Conn, tag: bytes, args: bytes) -> None:
        conn.send(b"* SEARCH " + b" ".join(b"%d" % u for u in range(1, 7)) + b"\r\n")
        conn.send(tag + b" OK done\r\n")

    cmd_uid_search = cmd_search

    def cmd_examine(self, conn: Conn, tag: bytes, args: bytes) -> None:
        conn.send(
            b"* 6 EXISTS\r\n* OK [UIDVALIDITY 7] ok\r\n* OK [UIDNEXT 7] ok\r\n"
            + tag
            + b" OK [READ-ONLY] done\r\n"
        )

    cmd_select = cmd_examine

    def cmd_uid_fetch(self, conn: Conn, tag: bytes, args: bytes) -> None:
        if b"BODY.PEEK[HEADER" in args:
            conn.send(_answer(6) + tag + b" OK done\r\n")
        else:
            flags = b"".join(b"* %d FETCH (UID %d FLAGS ())\r\n" % (u, u) for u in range(1, 7))
            conn.send(flags + tag + b" OK done\r\n")


def test_every_message_of_an_answer_past_the_bound_is_still_listed(
    scripted, cli, monkeypatch
) -> None:
    monkeypatch.setattr(fetchscan, "MAX_KEPT_ANSWER", 2 * BIG, raising=False)
    with scripted(BigHeaders()) as server:
        save(server)
        synced = cli("sync", "work")
        listed = cli("list", "work")
    assert synced.code == 0, synced.err
    for uid in range(1, 7):
        assert f"big {uid}" in listed.out, listed.out
