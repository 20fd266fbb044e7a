"""A header announced and sent at 64 MB in a header FETCH: read to its end (the answer
goes on after it), but only its first 16 MB kept (tuimail.core.imap.fetchscan.
MAX_KEPT_LITERAL). Kept whole, each such literal cost about five times its size while
the answer was joined and parsed: a server sending a few of MAX_LITERAL (256 MB) each
could make a sync take gigabytes."""

from __future__ import annotations

import tracemalloc

import pytest

from tests.hostile.conftest import save
from tests.hostile.scripted import Conn, ImapScript, imap_fetch_line

pytestmark = pytest.mark.timeout(120)

BIG = 64 << 20
HEAD = b"From: Big <big@example.test>\r\nSubject: big one\r\nX-Filler: "
TAIL = b"\r\n\r\n"


def _fetch(conn: Conn, tag: bytes, args: bytes) -> None:
    """UID 1 with a 64 MB header (sent a megabyte at a time, so the server holds little),
    then UID 2 as usual, then the tagged OK."""
    if b"BODY.PEEK[HEADER" not in args:
        conn.send(b"* 1 FETCH (UID 1 FLAGS ())\r\n* 2 FETCH (UID 2 FLAGS ())\r\n")
        conn.send(tag + b" OK done\r\n")
        return
    size = len(HEAD) + BIG + len(TAIL)
    conn.send(
        b'* 1 FETCH (UID 1 FLAGS () INTERNALDATE "01-Jan-2024 10:00:00 +0000" RFC822.SIZE 9 '
        b"BODY[HEADER.FIELDS (FROM TO CC SUBJECT DATE MESSAGE-ID IN-REPLY-TO REFERENCES "
        b"CONTENT-TYPE)] {%d}\r\n" % size + HEAD
    )
    chunk = b"a" * (1 << 20)
    for _ in range(BIG >> 20):
        conn.send(chunk)
    conn.send(TAIL + b")\r\n" + imap_fetch_line(2, 2, b"after the big one") + tag + b" OK done\r\n")


def _examine(conn: Conn, tag: bytes, args: bytes) -> None:
    conn.send(
        b"* 2 EXISTS\r\n* OK [UIDVALIDITY 7] ok\r\n* OK [UIDNEXT 3] ok\r\n"
        + tag
        + b" OK [READ-ONLY] done\r\n"
    )


@pytest.mark.parametrize("flags", [(), ("--debug",)], ids=["bulk", "debug"])
def test_a_huge_header_literal_is_read_but_only_its_start_kept(
    scripted, cli, flags: tuple[str, ...]
) -> None:
    """Also with --debug, where the answer is read by imaplib (lines logged) instead of
    the bulk reader."""
    script = ImapScript(
        {
            "UID FETCH": _fetch,
            "EXAMINE": _examine,
            "UID SEARCH": lambda conn, tag, args: conn.send(b"* SEARCH 1 2\r\n" + tag + b" OK\r\n"),
        }
    )
    with scripted(script) as server:
        save(server, timeout=60)  # 64 MB on a slow, busy machine: time is not the point
        tracemalloc.start()
        try:
            run = cli("sync", "work", *flags)
            _now, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        listed = cli("list", "work")
    assert run.code == 0, run.err
    assert "big one" in listed.out and "after the big one" in listed.out
    # Kept whole: over 300 MB (five copies of 64 MB); now the 16 MB kept and its parse.
    assert peak < 160 << 20, f"{peak >> 20} MB"
