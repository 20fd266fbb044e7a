"""An update during IDLE that comes in pieces (a line split across packets or TLS records,
as a slow link or a line over one TLS record makes it): read whole, never taken for a
closed connection (imapclient's idle_check dropped the first piece and the watcher then
logged in again, the new mail told only after its back-off)."""

from __future__ import annotations

import pytest

from tests.hostile.idle_servers import GrowingInbox, watching
from tests.hostile.scripted import Conn, trickle
from tests.imap.helpers import tmp_store, until

pytestmark = pytest.mark.timeout(60)


class SplitPush(GrowingInbox):
    """During the first IDLE a second message arrives, its `* 2 EXISTS` sent in two
    pieces (0.3 s apart); later IDLEs wait for DONE. `logins` counts LOGINs."""

    def __init__(self, second_piece=None) -> None:
        super().__init__()
        self.logins = 0
        self.second_piece = second_piece or (lambda conn: conn.send(b"TS\r\n"))

    def cmd_login(self, conn: Conn, tag: bytes, args: bytes) -> None:
        with self.lock:
            self.logins += 1
        super().cmd_login(conn, tag, args)

    def cmd_idle(self, conn: Conn, tag: bytes, args: bytes) -> None:
        first = self.count_idle() == 1
        conn.send(b"+ idling\r\n")
        if first:
            conn.stop.wait(0.2)
            self.uids.append(2)
            conn.send(b"* 2 EXIS")
            conn.stop.wait(0.3)
            self.second_piece(conn)
        if conn.readline().upper() == b"DONE":
            conn.send(tag + b" OK idle done\r\n")


def test_an_update_in_two_pieces_is_read_whole(scripted, tmp_path) -> None:
    script = SplitPush()
    with watching(scripted, script, tmp_store(tmp_path), backoff=30) as (_watcher, recorder):
        until(lambda: "pushed" in recorder.new, 20, "the new mail was never told")
    assert "disconnected" not in recorder.states, recorder.states
    assert script.logins == 1  # one connection: the split update was no reason to leave


def test_an_update_never_finished_ends_by_the_read_timeout(scripted, tmp_path) -> None:
    """The rest of the line trickled for ever: the blocking read for it still ends by the
    account's timeout (the `scripted` fixture fails if the server outwaits its guard)."""
    script = SplitPush(lambda conn: trickle(conn, b"T", every=0.1))
    store = tmp_store(tmp_path)
    with watching(scripted, script, store, timeout=1, backoff=30) as (_watcher, recorder):
        until(lambda: "disconnected" in recorder.states, 15, "the watcher never gave up")
