"""New mail told during IDLE is fetched at once (one UID FETCH of the headers above the
newest stored). A server that sends that whole answer and then BYE instead of its tagged
OK: the message that came is stored and told, and not fetched again by the catch-up on
the next connection; the lost connection is still reported (typed, the server's words).
It used to be dropped with the answer and fetched again after the reconnect."""

from __future__ import annotations

import pytest

from tests.hostile.idle_servers import GrowingInbox, watching
from tests.hostile.scripted import Conn, imap_fetch_line
from tests.imap.helpers import tmp_store, until
from tuimail.core.errors import ConnectionLost

pytestmark = pytest.mark.timeout(60)


class ByeAfterPushedHeader(GrowingInbox):
    """During the first IDLE message 2 ("pushed") arrives; the first header FETCH that
    names it is answered whole, then `* BYE` and the connection closed. `asked` counts
    the header FETCHes whose answer held message 2."""

    def __init__(self) -> None:
        super().__init__()
        self.asked = 0

    def cmd_idle(self, conn: Conn, tag: bytes, args: bytes) -> None:
        self.idle(conn, tag, 0.1 if self.count_idle() == 1 else None)

    def cmd_uid_fetch(self, conn: Conn, tag: bytes, args: bytes) -> None:
        if b"BODY.PEEK[HEADER" in args and len(self.uids) > 1:
            low = int(args.split(b" ", 1)[0].split(b":")[0].split(b",")[0])
            if low <= 2:
                with self.lock:
                    self.asked += 1
                    first = self.asked == 1
                if first:
                    conn.send(imap_fetch_line(2, 2, b"pushed") + b"* BYE Autologout\r\n")
                    conn.close()
                    return
        super().cmd_uid_fetch(conn, tag, args)


def test_a_bye_after_the_pushed_header_keeps_it(scripted, tmp_path) -> None:
    script = ByeAfterPushedHeader()
    store = tmp_store(tmp_path)
    with watching(scripted, script, store, backoff=0.2) as (_watcher, recorder):
        lost = recorder.wait_for(lambda e: getattr(e, "state", "") == "disconnected", 20)
        until(lambda: recorder.states.count("idle") >= 2, 20, "never idle again")
    assert recorder.new == ["hello", "pushed"]  # (the first sync, then the push) once each
    assert script.asked == 1  # the catch-up did not fetch it again
    assert isinstance(lost.error, ConnectionLost) and lost.error.server_text == "Autologout"
