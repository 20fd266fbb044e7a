"""How a server answers IDLE: news before its continuation (RFC 3501 7: untagged data may
come at any time, as when mail arrives just then) is news, not a failure; a tagged answer
instead (IDLE advertised, then refused with NO, BAD or an OK at once) makes the watcher
poll instead. Both ended the watcher for good ("failed": imapclient's "Unexpected IDLE
response"), so new mail was never told again."""

from __future__ import annotations

import pytest

from tests.hostile.idle_servers import GrowingInbox
from tests.hostile.scripted import Conn, account_on
from tests.imap.helpers import Recorder, tmp_store, until
from tuimail.core.imap.idle import AccountWatcher
from tuimail.core.imap.session import connector

pytestmark = pytest.mark.timeout(60)


class NewsFirst(GrowingInbox):
    """At the first IDLE a second message arrives, said before the continuation."""

    def cmd_idle(self, conn: Conn, tag: bytes, args: bytes) -> None:
        if self.count_idle() == 1:
            self.uids.append(2)
            conn.send(b"* 2 EXISTS\r\n+ idling\r\n")
        else:
            conn.send(b"+ idling\r\n")
        if conn.readline().upper() == b"DONE":
            conn.send(tag + b" OK idle done\r\n")


class RefusesIdle(GrowingInbox):
    """Advertises IDLE, answers it with `answer` (tagged); a second message arrives with
    the first refusal."""

    def __init__(self, answer: bytes) -> None:
        super().__init__()
        self.answer = answer

    def cmd_idle(self, conn: Conn, tag: bytes, args: bytes) -> None:
        if self.count_idle() == 1:
            self.uids.append(2)
        conn.send(tag + self.answer + b"\r\n")


def _watch_until_pushed(scripted, tmp_path, script, renew: float | None = None) -> Recorder:
    with scripted(script) as server:
        account = account_on(server)
        account.poll_interval = 0.2
        if renew is not None:
            account.idle_renew_seconds = renew
        watcher = AccountWatcher(
            tmp_store(tmp_path),
            account,
            connector(account, "pw", timeout=5),
            backoff_start=30,
            backoff_max=30,
        )
        recorder = Recorder()
        watcher.subscribe(recorder)
        watcher.start()
        try:
            until(lambda: "pushed" in recorder.new, 20, "the new mail was never told")
        finally:
            watcher.stop()
    assert "failed" not in recorder.states and "disconnected" not in recorder.states
    return recorder


def test_news_before_the_continuation_is_told(scripted, tmp_path) -> None:
    recorder = _watch_until_pushed(scripted, tmp_path, NewsFirst())
    assert "idle" in recorder.states


@pytest.mark.parametrize(
    "answer", [b" NO IDLE is disabled", b" BAD unknown command", b" OK done at once"]
)
def test_an_idle_refused_is_polled_instead(scripted, tmp_path, answer) -> None:
    script = RefusesIdle(answer)
    recorder = _watch_until_pushed(scripted, tmp_path, script)
    assert "polling" in recorder.states
    assert script.idles == 1  # asked once, not again and again


class RefusesDone(GrowingInbox):
    """Answers DONE with `answer` (a tagged NO or BAD to the IDLE that ran); during the
    second IDLE a second message arrives."""

    def __init__(self, answer: bytes) -> None:
        super().__init__()
        self.answer = answer

    def cmd_idle(self, conn: Conn, tag: bytes, args: bytes) -> None:
        conn.send(b"+ idling\r\n")
        if self.count_idle() == 2:
            self.uids.append(2)
            conn.send(b"* 2 EXISTS\r\n")
        if conn.readline().upper() == b"DONE":
            conn.send(tag + self.answer + b"\r\n")


@pytest.mark.parametrize("answer", [b" NO IDLE failed", b" BAD what"])
def test_an_idle_ended_with_no_or_bad_goes_on(scripted, tmp_path, answer) -> None:
    """The IDLE ran (the server's answer to DONE says NO or BAD): the watcher goes on
    idling and tells the mail the next IDLE brings, instead of ending for good."""
    script = RefusesDone(answer)
    recorder = _watch_until_pushed(scripted, tmp_path, script, renew=0.3)
    assert "idle" in recorder.states and script.idles >= 2


class RefusesNoop(GrowingInbox):
    """Answers NOOP (the check between two IDLEs) with `answer`; during the third IDLE a
    second message arrives."""

    def __init__(self, answer: bytes) -> None:
        super().__init__()
        self.answer = answer

    def cmd_idle(self, conn: Conn, tag: bytes, args: bytes) -> None:
        self.idle(conn, tag, 0.05 if self.count_idle() == 3 else None)

    def cmd_noop(self, conn: Conn, tag: bytes, args: bytes) -> None:
        conn.send(tag + self.answer + b"\r\n")


@pytest.mark.parametrize("answer", [b" NO not now", b" BAD what"])
def test_a_noop_refused_between_idles_goes_on(scripted, tmp_path, answer) -> None:
    """A NO or BAD to NOOP is an answer (the server is there): the watcher goes on and
    tells the mail a later IDLE brings, instead of ending for good."""
    script = RefusesNoop(answer)
    _watch_until_pushed(scripted, tmp_path, script, renew=0.3)
    assert script.idles >= 3
