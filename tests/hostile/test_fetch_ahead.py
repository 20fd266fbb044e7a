"""Header batches asked for one ahead (tuimail.core.imap.ahead) against scripted servers
that cut, reorder, refuse or garble the answers in flight: what was read is kept,
nothing is stored twice, and what breaks the protocol is a typed ProtocolViolation."""

from __future__ import annotations

from collections.abc import Callable
from itertools import zip_longest
from pathlib import Path

import pytest

from tests.hostile.ahead_servers import Inbox, uids_of
from tests.hostile.scripted import Conn, ScriptedServer, account_on
from tuimail.core.errors import ConnectionLost, ProtocolViolation
from tuimail.core.imap.errors import classify_imap
from tuimail.core.imap.session import ImapError, connector
from tuimail.core.imap.sync import SyncEngine
from tuimail.core.store import Store

pytestmark = pytest.mark.timeout(60)

N = 50


def engine_on(server: ScriptedServer, path: Path) -> SyncEngine:
    account = account_on(server)
    engine = SyncEngine(
        Store(path / "store.sqlite3"), account, connector(account, "pw", timeout=10)
    )
    engine.first_batch, engine.batch = 5, 10  # UIDs 50-46, then 45-36, 35-26, ...
    return engine


def stored(engine: SyncEngine) -> list[int]:
    return engine.store.uids(engine.store.folder_id("work", "INBOX"))


class CutAfter(Inbox):
    """On the first connection: answers the first `whole` header FETCHes, then takes the
    next command (asked ahead) and closes without a word (`inside`: after half of its
    answer)."""

    def __init__(self, whole: int, inside: bool) -> None:
        super().__init__(N)
        self.whole, self.inside = whole, inside

    def answer_fetch(self, conn: Conn, tag: bytes, spec: bytes) -> None:
        if self.connections == 1 and len(self.fetches) > self.whole:
            if self.inside:
                lines = self.lines(spec)
                conn.send(lines[: len(lines) // 2])
            conn.close()
            return
        super().answer_fetch(conn, tag, spec)


@pytest.mark.parametrize("inside", [False, True], ids=["between answers", "inside an answer"])
def test_a_cut_with_a_batch_asked_ahead_keeps_what_was_read(test_ca, tmp_path, inside) -> None:
    script = CutAfter(whole=2, inside=inside)
    with ScriptedServer(test_ca, script) as server:
        engine = engine_on(server, tmp_path)
        with pytest.raises(Exception) as raised:
            engine.sync_folder("INBOX")
        assert isinstance(classify_imap(raised.value), ConnectionLost), raised.value
        # The two whole answers (UIDs 50-46 and 45-36) were written; the third was not.
        assert stored(engine) == list(range(36, N + 1))
        assert script.fetches[:3] == [b"46:50", b"36:45", b"26:35"]
        engine.drop_connection()
        assert engine.sync().failures == []
        assert stored(engine) == list(range(1, N + 1))
        assert engine.store.count_messages(engine.store.folder_id("work", "INBOX")) == N
        engine.close()
    assert server.errors == []


class Reordered(Inbox):
    """Answers the first two header FETCHes (both asked before either answer) in another
    order than asked: the second one's tagged line first ("second first"), or the two
    answers' responses interleaved ("interleaved"); later ones as asked."""

    def __init__(self, how: str) -> None:
        super().__init__(N)
        self.how, self.done = how, False

    def answer_fetch(self, conn: Conn, tag: bytes, spec: bytes) -> None:
        if self.done or 1 in uids_of(spec, self.n):
            super().answer_fetch(conn, tag, spec)
            return
        self.done = True
        second_tag, second = self.next_fetch(conn)
        first, ok = self.responses(spec), tag + b" OK done\r\n"
        then, then_ok = self.responses(second), second_tag + b" OK done\r\n"
        if self.how == "second first":
            conn.send(b"".join(first + then) + then_ok + ok)
        else:
            mixed = [r for pair in zip_longest(first, then, fillvalue=b"") for r in pair]
            conn.send(b"".join(mixed) + ok + then_ok)


@pytest.mark.parametrize("how", ["second first", "interleaved"])
def test_answers_in_another_order_are_all_kept(test_ca, tmp_path, how) -> None:
    """RFC 3501 5.5 lets a server complete commands in another order, and Dovecot runs
    two FETCHes at once, interleaving their answers: nothing is lost, nothing is stored
    or asked for twice, the pass does not fail."""
    script = Reordered(how)
    with ScriptedServer(test_ca, script) as server:
        engine = engine_on(server, tmp_path)
        result = engine.sync()
        assert result.failures == []
        assert stored(engine) == list(range(1, N + 1))
        assert result.new == N
        assert script.connections == 1
        asked = [uid for spec in script.fetches for uid in uids_of(spec, N)]
        assert sorted(asked) == list(range(1, N + 1))  # none asked twice
        # A range whose messages all came in the answer before is not taken for a gap
        # in the folder (which would list the rest with a UID SEARCH).
        assert not any(b"SEARCH" in command.upper() for command in script.commands)
        engine.close()
    assert server.errors == []


def _unknown_tag(script: Inbox, conn: Conn, tag: bytes, spec: bytes) -> None:
    conn.send(script.lines(spec) + b"Z99 OK done\r\n")


def _twice(script: Inbox, conn: Conn, tag: bytes, spec: bytes) -> None:
    second_tag, second = script.next_fetch(conn)
    ok = tag + b" OK done\r\n"
    conn.send(script.lines(spec) + ok + script.lines(second) + ok)  # the first tag again


class Garbled(Inbox):
    """The second header FETCH (another one asked ahead of it) answered by `how`."""

    def __init__(self, how: Callable[[Inbox, Conn, bytes, bytes], None]) -> None:
        super().__init__(N)
        self.how = how

    def answer_fetch(self, conn: Conn, tag: bytes, spec: bytes) -> None:
        if len(self.fetches) == 2:
            self.how(self, conn, tag, spec)
            conn.hang()
            return
        super().answer_fetch(conn, tag, spec)


@pytest.mark.parametrize(
    ("how", "kept"),
    [(_unknown_tag, 46), (_twice, 36)],  # the answers read whole before it are kept
    ids=["a tag never sent", "a tag answered twice"],
)
def test_a_tagged_line_out_of_spec_is_a_protocol_violation(test_ca, tmp_path, how, kept) -> None:
    with ScriptedServer(test_ca, Garbled(how)) as server:
        engine = engine_on(server, tmp_path)
        with pytest.raises(ProtocolViolation):
            engine.sync_folder("INBOX")
        assert stored(engine) == list(range(kept, N + 1))
        engine.drop_connection()
        engine.close()
    assert server.errors == []


class RefusedOnce(Inbox):
    """The second header FETCH is refused (NO) once; the one asked ahead of it is
    answered."""

    def answer_fetch(self, conn: Conn, tag: bytes, spec: bytes) -> None:
        if len(self.fetches) == 2:
            conn.send(tag + b" NO [UNAVAILABLE] try later\r\n")
            return
        super().answer_fetch(conn, tag, spec)


def test_a_refused_batch_leaves_the_connection_in_step(test_ca, tmp_path) -> None:
    """The answer asked ahead of a refused batch is read and dropped, so the connection
    goes on: the next pass on it reads its own answers and stores everything once."""
    script = RefusedOnce(N)
    with ScriptedServer(test_ca, script) as server:
        engine = engine_on(server, tmp_path)
        with pytest.raises(ImapError):
            engine.sync_folder("INBOX")
        assert stored(engine) == list(range(46, N + 1))
        assert engine.client._imap.tagged_commands == {}  # no answer left unread
        assert engine.sync().failures == []
        assert stored(engine) == list(range(1, N + 1))
        assert script.connections == 1
        engine.close()
    assert server.errors == []


def test_a_big_pass_ends_with_a_small_batch(test_ca, tmp_path) -> None:
    """The last batch is written with nothing left for the server to prepare meanwhile:
    a rest of over 2 * TAIL is asked as two batches, the last of TAIL. Every UID is asked
    for once and stored once (first sync, then new mail)."""
    script = Inbox(1200)
    with ScriptedServer(test_ca, script) as server:
        engine = engine_on(server, tmp_path)
        engine.first_batch, engine.batch = 100, 1200
        assert engine.sync().failures == []
        assert script.fetches == [b"1101:1200", b"501:1100", b"1:500"]  # TAIL = 500
        script.n = 2400
        script.fetches.clear()
        assert engine.sync().new == 1200
        assert [len(uids_of(spec, 2400)) for spec in script.fetches] == [100, 600, 500]
        assert stored(engine) == list(range(1, 2401))
        engine.close()
    assert server.errors == []
