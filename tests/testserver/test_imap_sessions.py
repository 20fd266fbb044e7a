"""Several sessions on one mailbox: IDLE push, updates at the next command, RFC 3501
7.4.1 (no EXPUNGE during a FETCH), and concurrent writers (no lost update, MODSEQ
strictly increasing). Runs against both test beds.
"""

from __future__ import annotations

import re
import threading
import time

from tests.testserver.imap_helpers import Raw, append, connect, flags_of, message, tagged

WAIT = 10.0  # generous: Dovecot pushes with a ~0.5 s delay, and the machine may be loaded


SERVER_PROTOCOLS = ("imap",)


def idle_until(client, predicate, timeout: float = WAIT) -> list:
    """Collect IDLE responses until predicate(all so far) holds; fails after timeout."""
    seen: list = []
    deadline = time.monotonic() + timeout
    while not predicate(seen):
        remaining = deadline - time.monotonic()
        assert remaining > 0, f"IDLE did not report in time; got {seen!r}"
        seen.extend(client.idle_check(timeout=min(remaining, 1.0)))
    return seen


def test_idle_push_exists_flags_expunge(mail_peer):
    user = mail_peer.new_user()
    mail_peer.deliver(user, message("first"))
    idler = connect(mail_peer, user)
    writer = connect(mail_peer, user)
    try:
        idler.select_folder("INBOX")
        writer.select_folder("INBOX")
        idler.idle()
        # A delivery (another session, or the MDA) shows up as EXISTS.
        mail_peer.deliver(user, message("second"))
        idle_until(idler, lambda seen: (2, b"EXISTS") in seen)
        # A flag change by another session shows up as FETCH (FLAGS ...).
        writer.add_flags([1], [b"\\Flagged"])
        seen = idle_until(
            idler,
            lambda seen: any(
                len(r) > 2 and r[1] == b"FETCH" and b"\\Flagged" in str(r[2]).encode() for r in seen
            ),
        )
        assert any(r[0] == 1 for r in seen if len(r) > 1 and r[1] == b"FETCH")
        # An expunge by another session shows up as EXPUNGE with the idler's number.
        writer.delete_messages([1])
        writer.expunge()
        idle_until(idler, lambda seen: (1, b"EXPUNGE") in seen)
        idler.idle_done()
        assert idler.search("ALL") == [2]
    finally:
        writer.logout()
        idler.logout()


def test_updates_reach_a_session_at_its_next_command(mail_peer):
    user = mail_peer.new_user()
    for i in range(3):
        mail_peer.deliver(user, message(f"m{i}"))
    other = connect(mail_peer, user)
    raw = Raw(mail_peer)
    try:
        raw.login(user)
        raw.command("SELECT INBOX")
        other.select_folder("INBOX")
        other.add_flags([2], [b"\\Seen"])
        other.delete_messages([1])
        other.expunge()
        append(other, message("new"))
        joined = b"".join(raw.command("NOOP"))
        # Dovecot's order (ours too): flag change with the old number, EXPUNGE, EXISTS.
        fetch = re.search(rb"\* 2 FETCH \([^)]*\\Seen", joined)
        expunge = joined.find(b"* 1 EXPUNGE")
        exists = joined.find(b"* 3 EXISTS")
        assert fetch and 0 <= fetch.start() < expunge < exists, joined
    finally:
        other.logout()
        raw.close()


def test_no_expunge_during_fetch_store_search(mail_peer):
    """RFC 3501 7.4.1: EXPUNGE is not sent while a non-UID FETCH, STORE or SEARCH runs."""
    user = mail_peer.new_user()
    for i in range(3):
        mail_peer.deliver(user, message(f"m{i}"))
    other = connect(mail_peer, user)
    raw = Raw(mail_peer)
    try:
        raw.login(user)
        raw.command("SELECT INBOX")
        other.select_folder("INBOX")
        other.delete_messages([1])
        other.expunge()
        for command in ("FETCH 2:3 (FLAGS)", "STORE 3 +FLAGS (\\Answered)", "SEARCH ALL"):
            lines = raw.command(command)
            assert tagged(lines) == b"OK", lines
            assert not any(b"EXPUNGE" in line for line in lines), (command, lines)
        # Sequence numbers still include the expunged message until we are told.
        lines = raw.command("FETCH 3 (UID)")
        assert b"UID 3" in lines[0], lines
        lines = raw.command("NOOP")
        assert b"* 1 EXPUNGE" in b"".join(lines)
        lines = raw.command("FETCH 2 (UID)")
        assert b"UID 3" in lines[0], lines
    finally:
        other.logout()
        raw.close()


def test_concurrent_clients_append_and_flag(mail_peer):
    """10 clients append and flag the same folder: nothing lost, MODSEQ strictly rising."""
    user = mail_peer.new_user()
    mail_peer.deliver(user, message("shared"))
    clients = 10
    appends = 3
    errors: list[BaseException] = []
    modseqs: dict[int, list[int]] = {}
    new_uids: list[int] = []
    lock = threading.Lock()
    start = threading.Barrier(clients)

    def work(n: int) -> None:
        try:
            client = connect(mail_peer, user, timeout=30)
            try:
                client.enable("CONDSTORE")
                client.select_folder("INBOX")
                start.wait(timeout=30)
                seen: list[int] = []
                for i in range(appends):
                    uid = append(client, message(f"client {n} message {i}"))
                    with lock:
                        new_uids.append(uid)
                    # Every client adds its own keyword to the one shared message.
                    result = client.add_flags([1], [f"$client{n}x{i}".encode()])
                    seen.append(client.fetch([1], ["MODSEQ"])[1][b"MODSEQ"][0])
                    assert result
                with lock:
                    modseqs[n] = seen
            finally:
                client.logout()
        except BaseException as exc:  # reported below, with the thread's name
            with lock:
                errors.append(exc)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not errors, errors
    assert len(new_uids) == clients * appends and len(set(new_uids)) == len(new_uids)
    for seen in modseqs.values():
        assert seen == sorted(seen) and len(set(seen)) == len(seen), seen
    with connect(mail_peer, user) as client:
        client.select_folder("INBOX")
        flags = flags_of(client.get_flags([1])[1])
        expected = {f"$client{n}x{i}".encode() for n in range(clients) for i in range(appends)}
        assert flags == expected  # no lost update
        assert len(client.search("ALL")) == 1 + clients * appends
        data = client.fetch("1:*", ["MODSEQ"])
        values = [d[b"MODSEQ"][0] for d in data.values()]
        highest = client.folder_status("INBOX", ["HIGHESTMODSEQ"])[b"HIGHESTMODSEQ"]
        assert max(values) == highest


def test_idle_push_is_immediate_on_the_bundled_server(mail_server):
    """New mail reaches an IDLE session at once (issue: 200 ms; slack for a loaded box)."""
    user = mail_server.new_user()
    with connect(mail_server, user) as client:
        client.select_folder("INBOX")
        client.idle()
        mail_server.deliver(user, message("fast"))
        responses = client.idle_check(timeout=5)
        client.idle_done()
    assert (1, b"EXISTS") in responses  # pushed, not found by polling (speed: bench/)


def test_new_keyword_is_announced_in_flags(mail_peer):
    user = mail_peer.new_user()
    mail_peer.deliver(user, message())
    other = connect(mail_peer, user)
    raw = Raw(mail_peer)
    try:
        raw.login(user)
        lines = raw.command("SELECT INBOX")
        assert b"$Project" not in b"".join(lines)
        other.select_folder("INBOX")
        other.add_flags([1], [b"$Project"])
        joined = b"".join(raw.command("NOOP"))
        flags = re.search(rb"\* FLAGS \(([^)]*)\)", joined)
        assert flags and b"$Project" in flags[1], joined
        assert re.search(rb"\* 1 FETCH \([^)]*\$Project", joined), joined
        lines = raw.command("STORE 1 +FLAGS ($Other)")  # our own STORE announces it too
        assert re.search(rb"\* FLAGS \([^)]*\$Other", b"".join(lines)), lines
    finally:
        other.logout()
        raw.close()
