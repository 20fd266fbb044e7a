"""One message a server cannot send (a NO to its FETCH, or a BYE and a dropped
connection in the middle of the answer, as Dovecot does for a message file it cannot
read) never stops the folder: the others are stored, the bad one is reported by UID and
asked for again by the next sync, without the others being downloaded again."""

from __future__ import annotations

import json

import pytest

from tests.hostile.conftest import save
from tests.hostile.scripted import MESSAGE, Conn, ImapScript, imap_fetch_line


def _uids(text: bytes, top: int) -> list[int]:
    """A UID set ("1:3,7", "5:*") as the UIDs of 1..top in it."""
    out: list[int] = []
    for part in text.decode().split(","):
        low, _, high = part.partition(":")
        a, b = (int(x) if x != "*" else top for x in (low, high or low))
        out.extend(range(max(min(a, b), 1), min(max(a, b), top) + 1))
    return out


class Mailbox(ImapScript):
    """A folder of `count` messages (UIDs 1..count) of which the UIDs in `bad` cannot be sent:
    `how` is "no" (the messages before it, then a tagged NO [SERVERBUG]), "bye" (the
    messages before it, then BYE and the connection closed) or "dovecot" (as "bye",
    with `* n FETCH (UID n FLAGS ())` for the bad one before the BYE, as Dovecot 2.3);
    "down": BYE at once for every header FETCH. The bodies of `bad_bodies` cannot be
    sent either (Dovecot: `* n FETCH (UID n)`, then BYE and the connection closed)."""

    def __init__(
        self, count: int, bad: set[int], how: str, bad_bodies: frozenset[int] = frozenset()
    ) -> None:
        super().__init__()
        self.count, self.bad, self.how, self.bad_bodies = count, bad, how, bad_bodies
        self.logins = 0  # connections that logged in
        self.header_fetches: list[bytes] = []  # the UID sets asked for, in order
        self.body_fetches: list[bytes] = []  # the same of the body FETCHes
        self.selected = False  # this connection's folder (EXAMINE) is open
        self.bye_after = 0  # header FETCHes answered whole, then BYE before the tagged OK
        self.down_after_bye = False  # then a BYE greeting to every new connection

    def cmd_login(self, conn: Conn, tag: bytes, args: bytes) -> None:
        self.logins += 1
        super().cmd_login(conn, tag, args)

    def validity(self) -> int:
        """The folder's UIDVALIDITY (EXAMINE, SELECT, STATUS)."""
        return 7

    def cmd_examine(self, conn: Conn, tag: bytes, args: bytes) -> None:
        self.selected = True
        conn.send(
            f"* {self.count} EXISTS\r\n* 0 RECENT\r\n* OK [UIDVALIDITY {self.validity()}] ok"
            f"\r\n* OK [UIDNEXT {self.count + 1}] ok\r\n* FLAGS (\\Seen)\r\n".encode()
            + tag
            + b" OK [READ-ONLY] done\r\n"
        )

    cmd_select = cmd_examine

    def cmd_status(self, conn: Conn, tag: bytes, args: bytes) -> None:
        conn.send(
            f"* STATUS INBOX (MESSAGES {self.count} UIDNEXT {self.count + 1} "
            f"UIDVALIDITY {self.validity()})\r\n".encode()
            + tag
            + b" OK done\r\n"
        )

    def cmd_uid_search(self, conn: Conn, tag: bytes, args: bytes) -> None:
        words = args.split()
        asked = _uids(words[words.index(b"UID") + 1], self.count) if b"UID" in words else None
        found = [u for u in range(1, self.count + 1) if asked is None or u in asked]
        conn.send(
            b"* SEARCH " + " ".join(map(str, found)).encode() + b"\r\n" + tag + b" OK done\r\n"
        )

    def cmd_uid_fetch(self, conn: Conn, tag: bytes, args: bytes) -> None:
        uid_set, _, items = args.partition(b" ")
        asked = _uids(uid_set, self.count)
        if not self.selected:  # as Dovecot says it
            conn.send(tag + b" BAD Error in IMAP command UID FETCH: No mailbox selected\r\n")
            return
        if b"BODY.PEEK[]" in items:
            self._bodies(conn, tag, uid_set, asked)
            return
        if b"BODY.PEEK[HEADER" not in items:
            lines = b"".join(f"* {u} FETCH (UID {u} FLAGS ())\r\n".encode() for u in asked)
            conn.send(lines + tag + b" OK done\r\n")
            return
        self.header_fetches.append(uid_set)
        if self.bye_after:
            self.bye_after -= 1
            lines = b"".join(imap_fetch_line(u, u, f"m{u}".encode()) for u in asked)
            conn.send(lines + b"* BYE Autologout; idle for too long\r\n")
            if self.down_after_bye:
                self.greeting = b"* BYE Server shutting down.\r\n"
            conn.close()
            raise _Closed
        if self.how == "down":
            conn.send(b"* BYE Server shutting down.\r\n")
            conn.close()
            raise _Closed
        out = b""
        for uid in asked:
            if uid not in self.bad:
                out += imap_fetch_line(uid, uid, f"m{uid}".encode())
                continue
            if self.how == "no":
                conn.send(out + tag + b" NO [SERVERBUG] Internal error occurred.\r\n")
                return
            if self.how == "dovecot":
                out += f"* {uid} FETCH (UID {uid} FLAGS ())\r\n".encode()
            conn.send(out + b"* BYE FETCH failed: Internal error occurred.\r\n")
            conn.close()
            raise _Closed
        conn.send(out + tag + b" OK done\r\n")

    def _bodies(self, conn: Conn, tag: bytes, uid_set: bytes, asked: list[int]) -> None:
        self.body_fetches.append(uid_set)
        out = b""
        for uid in asked:
            if uid in self.bad_bodies:
                conn.send(out + f"* {uid} FETCH (UID {uid})\r\n".encode())
                conn.send(b"* BYE FETCH failed: Internal error occurred.\r\n")
                conn.close()
                raise _Closed
            body = MESSAGE.replace(b"Subject: hello", f"Subject: m{uid}".encode())
            out += f"* {uid} FETCH (UID {uid} BODY[] {{{len(body)}}}\r\n".encode() + body + b")\r\n"
        conn.send(out + tag + b" OK done\r\n")

    def __call__(self, conn: Conn) -> None:
        self.selected = False
        try:
            super().__call__(conn)
        except _Closed:
            pass


class _Closed(Exception):
    """The script closed the connection (ends this connection's script)."""


def _sync(cli) -> dict:
    run = cli("sync", "work", "--json")
    [account] = json.loads(run.out) if run.out.startswith("[") else [json.loads(run.out)]
    return account


def _subjects(cli) -> list[str]:
    run = cli("list", "work", "--json", "--limit", "1000")
    return [m["subject"] for m in json.loads(run.out)]


def _said(how: str) -> str:
    if how == "no":
        return "[SERVERBUG] Internal error occurred."
    return "FETCH failed: Internal error occurred."


@pytest.mark.parametrize("how", ["no", "bye", "dovecot"])
def test_one_message_the_server_cannot_send_leaves_the_others_synced(scripted, cli, how) -> None:
    script = Mailbox(10, bad={4}, how=how)
    with scripted(script) as server:
        save(server)
        first = _sync(cli)
        assert first["new"] == 9
        [failure] = first["failures"]
        assert failure["reason"] == "unreadable-messages" and failure["uids"] == [4]
        assert first["errors"] == [
            f"INBOX: 1 message could not be read from the server (UID 4): the server said "
            f"{_said(how)}; the next sync asks for it again"
        ]
        assert sorted(_subjects(cli)) == sorted(f"m{u}" for u in range(1, 11) if u != 4)

        # Asked for again, alone: the others are not downloaded again.
        script.header_fetches.clear()
        again = _sync(cli)
        assert again["new"] == 0 and again["failures"][0]["uids"] == [4]
        assert script.header_fetches == [b"4"]

        script.bad = set()  # the server recovered
        healed = _sync(cli)
        assert healed["new"] == 1 and healed["failures"] == []
        assert len(_subjects(cli)) == 10


@pytest.mark.parametrize("bad", [120, 20], ids=["in-the-first-batch", "in-the-batch-ahead"])
@pytest.mark.parametrize("how", ["no", "dovecot"])
def test_a_failing_message_in_a_pipelined_batch(scripted, cli, bad, how) -> None:
    """150 messages: a first sync asks for 51:150 and, before its answer is read, 1:50
    (tuimail.core.imap.ahead). The bad one fails either; the other 149 are stored."""
    script = Mailbox(150, bad={bad}, how=how)
    with scripted(script) as server:
        save(server)
        first = _sync(cli)
        assert [f["uids"] for f in first["failures"]] == [[bad]]
        assert first["new"] == 149
        assert len(_subjects(cli)) == 149
        assert script.header_fetches[0] == b"51:150" and b"1:50" in script.header_fetches


def test_a_server_failing_every_fetch_is_not_one_message(scripted, cli) -> None:
    """A BYE before any message on every header FETCH is the server's failure: the
    folder fails as a lost connection, no message is called unreadable."""
    script = Mailbox(10, bad=set(), how="down")
    with scripted(script) as server:
        save(server)
        account = _sync(cli)
        assert account["new"] == 0
        [failure] = account["failures"]
        assert failure["kind"] == "connection-lost" and "reason" not in failure
        assert failure["server_text"] == "Server shutting down."


def test_several_messages_lost_without_a_name_cost_a_few_reconnects(scripted, cli) -> None:
    """A server that drops the connection at each of 6 bad messages of 40 without naming
    them: each pass reconnects at most a few times (narrowing: NARROW_RECONNECTS) and
    stores what it can; what it could not settle is reported and asked again; within a
    few passes every good message is stored and only the bad ones are reported."""
    from tuimail.core.imap.sync import NARROW_RECONNECTS

    bad = {5, 6, 17, 23, 31, 40}
    script = Mailbox(40, bad=set(bad), how="bye")
    with scripted(script) as server:
        save(server)
        reported: list[int] = []
        for _ in range(6):
            script.logins = 0
            account = _sync(cli)
            # the pass's own connection, the narrowing's, and one for the folder's rest
            assert script.logins <= 2 + NARROW_RECONNECTS, script.logins
            reported = account["failures"][0]["uids"] if account["failures"] else []
            if set(reported) == bad:
                break
        assert set(reported) == bad
        assert len(_subjects(cli)) == 34


def test_bodies_after_a_chunk_fetched_one_by_one_are_asked_for_together(scripted, cli) -> None:
    """Bodies are downloaded 200 a command. The first chunk's lowest body cannot be sent
    (BYE): that chunk is asked for one message at a time, the last of which costs the
    connection. The next chunk starts on a fresh connection with its folder opened
    again: one FETCH for its 10 bodies, not 10 (on an unselected connection its FETCH
    was refused and taken for one message's failure)."""
    script = Mailbox(210, bad=set(), how="bye", bad_bodies={11})
    with scripted(script) as server:
        save(server, download_bodies=True)
        account = _sync(cli)
        assert account["new"] == 210
        assert [f["uids"] for f in account["failures"]] == [[11]]
        assert script.body_fetches[0] == b"11:210" and len(script.body_fetches) == 202
        assert script.body_fetches[-1] == b"1:10"


@pytest.mark.parametrize("debug", [False, True], ids=["bulk-reader", "imaplib-debug"])
def test_a_bye_after_a_whole_header_answer_keeps_it(scripted, cli, debug) -> None:
    """The server sends every header asked for, then BYE instead of the tagged OK: what
    came is stored, never asked for again (with --debug the answer is read by imaplib,
    which dropped it: the batch was fetched again on a new connection)."""
    script = Mailbox(10, bad=set(), how="bye")
    with scripted(script) as server:
        save(server)
        assert _sync(cli)["new"] == 10
        script.count, script.bye_after = 160, 1
        script.header_fetches.clear()
        run = cli(*(["--debug"] if debug else []), "sync", "work", "--json")
        [account] = json.loads(run.out) if run.out.startswith("[") else [json.loads(run.out)]
        assert account["new"] == 150 and account["failures"] == []
        asked = [u for uid_set in script.header_fetches for u in _uids(uid_set, 160)]
        assert sorted(asked) == list(range(11, 161))  # each once
        assert len(_subjects(cli)) == 160


def test_a_bye_after_a_whole_header_answer_then_a_server_down_keeps_it(scripted, cli) -> None:
    """The whole first batch, then BYE, and the server refuses new connections: the batch
    is stored, the folder's failure is reported (typed, the server's words), and the next
    sync asks only for what is missing."""
    script = Mailbox(10, bad=set(), how="bye")
    with scripted(script) as server:
        save(server)
        assert _sync(cli)["new"] == 10
        script.count, script.bye_after, script.down_after_bye = 160, 1, True
        script.header_fetches.clear()
        down = _sync(cli)
        [failure] = down["failures"]
        assert (failure["folder"], failure["kind"]) == ("INBOX", "busy")
        assert "Server shutting down." in failure["server_text"]
        assert down["new"] == 100  # 61:160: the batch whose answer came whole, stored
        assert len(_subjects(cli)) == 110
        script.greeting = ImapScript().greeting  # back
        script.header_fetches.clear()
        back = _sync(cli)
        assert back["new"] == 50 and back["failures"] == []
        asked = [u for uid_set in script.header_fetches for u in _uids(uid_set, 160)]
        assert sorted(asked) == list(range(11, 61))
        assert len(_subjects(cli)) == 160


class NewValidityEachLogin(Mailbox):
    """Mailbox whose UIDVALIDITY is 100 + the number of logins (its UIDs kept)."""

    def validity(self) -> int:
        return 100 + self.logins


class NewValidityOnce(NewValidityEachLogin):
    """Mailbox whose UIDVALIDITY is 101 at the first login, 102 from the second on."""

    def validity(self) -> int:
        return 101 if self.logins <= 1 else 102


def test_an_unreadable_message_on_a_server_with_a_new_uidvalidity_each_login(scripted, cli) -> None:
    """Narrowing down an unreadable message reconnects; on a server that gives the folder
    a new UIDVALIDITY at every login (UIDs kept) the folder opened again is checked by
    Message-ID and the pass goes on, rather than being redone from the start until it
    fails. The pass that took the new UIDVALIDITY says so."""
    script = NewValidityEachLogin(10, bad={4}, how="bye")
    with scripted(script) as server:
        save(server)
        first = _sync(cli)
        assert first["new"] == 9
        assert [f["uids"] for f in first["failures"]] == [[4]]
        assert first["renumbered"] == [{"folder": "INBOX", "reason": "same-messages"}]
        assert sorted(_subjects(cli)) == sorted(f"m{u}" for u in range(1, 11) if u != 4)
        again = _sync(cli)  # a new UIDVALIDITY again: checked, and only UID 4 asked for
        assert again["new"] == 0 and [f["uids"] for f in again["failures"]] == [[4]]
        assert again["renumbered"] == [{"folder": "INBOX", "reason": "same-messages"}]


def test_a_uidvalidity_taken_on_a_reconnect_is_said_by_that_pass_once(scripted, cli) -> None:
    """The UIDVALIDITY changes once, between the pass's first connection and the one its
    narrowing makes (UIDs kept): that pass says it (--json `renumbered`, the note line),
    the next one, under the same UIDVALIDITY, does not say it again."""
    script = NewValidityOnce(10, bad={4}, how="bye")
    with scripted(script) as server:
        save(server)
        run = cli("sync", "work")
        assert (
            "  note: INBOX: the server gave this folder a new UIDVALIDITY, but its messages "
            "kept their numbers (checked by Message-ID): the local copy was kept"
        ) in run.out.splitlines()
        assert len(_subjects(cli)) == 9
        again = _sync(cli)
        assert again["renumbered"] == [] and again["new"] == 0
        assert [f["uids"] for f in again["failures"]] == [[4]]


class DropOnce(Mailbox):
    """Mailbox that closes the connection once (no BYE) in the middle of the header answer
    asking for UID `at`, after `keep` of its messages."""

    def __init__(self, count: int, at: int, keep: int) -> None:
        super().__init__(count, bad=set(), how="bye")
        self.at, self.keep, self.dropped = at, keep, False

    def cmd_uid_fetch(self, conn: Conn, tag: bytes, args: bytes) -> None:
        uid_set, _, items = args.partition(b" ")
        asked = _uids(uid_set, self.count)
        if self.selected and b"BODY.PEEK[HEADER" in items and not self.dropped:
            if self.at in asked:
                self.dropped = True
                self.header_fetches.append(uid_set)
                lines = (imap_fetch_line(u, u, f"m{u}".encode()) for u in asked[: self.keep])
                conn.send(b"".join(lines))
                conn.close()
                raise _Closed
        super().cmd_uid_fetch(conn, tag, args)


@pytest.mark.parametrize("first", [0, 10], ids=["first-sync", "new-mail"])
def test_new_counts_what_a_folder_try_that_failed_stored(scripted, cli, first) -> None:
    """The connection closes in the middle of the second header answer (after 20 of its
    messages, the first answer's 100 stored): the folder is tried again on a new
    connection, which stores the rest. `new` counts every message stored, once: those of
    the try that failed too (it said only the second try's)."""
    script = DropOnce(first, at=first + 1, keep=20)
    with scripted(script) as server:
        save(server)
        if first:
            assert _sync(cli)["new"] == first
        script.count = 160
        account = _sync(cli)
        assert script.dropped and script.logins >= 2
        assert account["failures"] == [] and account["new"] == 160 - first
        assert sorted(_subjects(cli)) == sorted(f"m{u}" for u in range(1, 161))
        again = _sync(cli)
        assert again["new"] == 0


def _renumbered_line(uid: int) -> bytes:
    """imap_fetch_line of UID `uid` holding another message than before (its own
    Message-ID)."""
    line = imap_fetch_line(uid, uid, f"m{uid}".encode())
    same, other = b"<m1@example.test>", f"<r{uid}@example.test>".encode()
    size = line.index(b"{") + 1
    count = int(line[size : line.index(b"}", size)])
    grown = f"{{{count + len(other) - len(same)}}}".encode()
    return line.replace(f"{{{count}}}".encode(), grown, 1).replace(same, other)


class DropThenRenumber(DropOnce):
    """DropOnce whose folder is renumbered when the connection closed: a new UIDVALIDITY,
    other messages at UIDs 1..count."""

    def validity(self) -> int:
        return 8 if self.dropped else 7

    def cmd_uid_fetch(self, conn: Conn, tag: bytes, args: bytes) -> None:
        uid_set, _, items = args.partition(b" ")
        if not (self.dropped and self.selected and b"BODY.PEEK[HEADER" in items):
            super().cmd_uid_fetch(conn, tag, args)
            return
        self.header_fetches.append(uid_set)
        lines = b"".join(_renumbered_line(u) for u in _uids(uid_set, self.count))
        conn.send(lines + tag + b" OK done\r\n")


def test_new_counts_once_what_a_try_stored_before_the_folder_was_rebuilt(scripted, cli) -> None:
    """The first try stores 100 messages and loses its connection; the folder is then
    renumbered (other messages), so the next try drops those rows and downloads the
    folder again: `new` is the 160 messages in the store, not 260."""
    script = DropThenRenumber(160, at=1, keep=20)
    with scripted(script) as server:
        save(server)
        account = _sync(cli)
        assert script.dropped and account["failures"] == []
        assert account["renumbered"] == [{"folder": "INBOX", "reason": "rebuilt"}]
        assert account["new"] == 160
        assert len(_subjects(cli)) == 160


class RenumberedThenDrop(DropOnce):
    """DropOnce (disarmed: `dropped`) whose folder gets other messages at its UIDs and a
    new UIDVALIDITY when `renumbered` is set (the drop then comes in a list's header
    answer for several UIDs, not in the check's)."""

    renumbered = False

    def validity(self) -> int:
        return 8 if self.renumbered else 7

    def cmd_uid_fetch(self, conn: Conn, tag: bytes, args: bytes) -> None:
        uid_set, _, items = args.partition(b" ")
        asked = _uids(uid_set, self.count)
        if not self.renumbered or b"BODY.PEEK[HEADER" not in items:
            super().cmd_uid_fetch(conn, tag, args)
        elif not self.dropped and self.at in asked[:-1] and b"FIELDS (FROM TO" in items:
            super().cmd_uid_fetch(conn, tag, args)  # (the drop, in the list's headers)
        else:
            self.header_fetches.append(uid_set)
            conn.send(b"".join(_renumbered_line(u) for u in asked) + tag + b" OK done\r\n")


def test_a_rebuild_by_a_try_that_failed_is_said_by_the_try_that_completes(scripted, cli) -> None:
    """The folder was renumbered: the pass's first try rebuilds it, stores 100 messages
    and loses its connection; the next try finds the UIDVALIDITY it stored. The pass says
    the rebuild (`renumbered`, `rebuilt`) and counts the 160 messages once."""
    script = RenumberedThenDrop(10, at=1, keep=20)
    script.dropped = True
    with scripted(script) as server:
        save(server)
        assert _sync(cli)["new"] == 10
        script.count, script.renumbered, script.dropped = 160, True, False
        account = _sync(cli)
        assert script.dropped and account["failures"] == []
        assert account["renumbered"] == [{"folder": "INBOX", "reason": "rebuilt"}]
        assert account["rebuilt"] == ["INBOX"] and account["new"] == 160
        assert len(_subjects(cli)) == 160


class Renumbered(Mailbox):
    """Mailbox whose UIDVALIDITY is `now` (set by the test between syncs)."""

    now = 7

    def validity(self) -> int:
        return self.now


def test_a_new_uidvalidity_and_an_unreadable_message_still_sync(scripted, cli) -> None:
    """After a UIDVALIDITY change the stored messages are checked at their UIDs; one the
    server cannot send (Dovecot's BYE) made the check lose the connection, the folder
    step was retried and checked again, and failed: every pass, for ever (the stored
    UIDVALIDITY never changed). The retry rebuilds the folder instead, narrowing around
    the bad message as a first sync does."""
    script = Renumbered(10, bad=set(), how="bye")
    with scripted(script) as server:
        save(server)
        assert _sync(cli)["new"] == 10
        script.now, script.bad = 8, {4}
        again = _sync(cli)
        assert again["renumbered"] == [{"folder": "INBOX", "reason": "rebuilt"}]
        assert [f["uids"] for f in again["failures"]] == [[4]]
        assert sorted(_subjects(cli)) == sorted(f"m{u}" for u in range(1, 11) if u != 4)
        last = _sync(cli)  # the new UIDVALIDITY is stored: no check, no rebuild
        assert last["renumbered"] == [] and [f["uids"] for f in last["failures"]] == [[4]]
