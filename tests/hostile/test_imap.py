"""`tuimail sync | list | read` against scripted hostile IMAP servers.

Every case: a one-line error (no traceback, no terminal escapes), a non-zero status, within
the account timeout (plus retries), and nothing already in the store lost.
"""

from __future__ import annotations

import json

import pytest

from tests.hostile.conftest import assert_clean_failure, save, save_starttls
from tests.hostile.scripted import MESSAGE, Conn, ImapScript, Switch, imap_fetch_line, trickle
from tuimail.core import connect
from tuimail.core.config import save_account

pytestmark = pytest.mark.timeout(60)

ESCAPES = b"\x1b]52;c;aGVsbG8=\x07\x1b[2J\xc2\x9b31m"  # clipboard write, clear screen, C1 CSI


def greeting_then_close(conn: Conn) -> None:
    conn.send(b"* OK ready\r\n")


def garbage_greeting(conn: Conn) -> None:
    conn.send(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")
    conn.hang()


def endless_greeting(conn: Conn) -> None:
    conn.send(b"* OK ")
    conn.flood(b"A" * 65536)


def huge_literal(conn: Conn) -> None:
    conn.send(b"* OK [CAPABILITY IMAP4rev1] ready\r\n")
    conn.readline()
    conn.send(b"* CAPABILITY {999999999999}\r\n" + b"x" * 1000)
    conn.hang()


def silent(conn: Conn) -> None:
    conn.hang()


def escapes_greeting(conn: Conn) -> None:
    conn.send(b"* BYE " + ESCAPES + b" go away\r\n")


def _reply(text: bytes):
    def handler(conn: Conn, tag: bytes, args: bytes) -> None:
        conn.send(text.replace(b"TAG", tag))

    return handler


def _hang(conn: Conn, tag: bytes, args: bytes) -> None:
    conn.hang()


CASES = {
    "greeting then close": greeting_then_close,
    "garbage greeting": garbage_greeting,
    "endless line": endless_greeting,
    "literal of 999999999999 bytes": huge_literal,
    "escapes in the greeting": escapes_greeting,
    "escapes in the login refusal": ImapScript(
        {"LOGIN": _reply(b"TAG NO [AUTHENTICATIONFAILED] " + ESCAPES + b" wrong\r\n")}
    ),
    "escapes in the capability text": ImapScript(
        {"CAPABILITY": _reply(b"* CAPABILITY IMAP4rev1 " + ESCAPES + b"\r\nTAG OK done\r\n")},
        greeting=b"* OK hi\r\n",
    ),
    "tagged reply for another tag": ImapScript({"LOGIN": _reply(b"Z999 OK logged in\r\n")}),
    "tagged reply for a tag not in use": ImapScript(
        {"LOGIN": lambda conn, tag, args: conn.send(tag.rstrip(b"0123456789") + b"77 OK hi\r\n")}
    ),
    "endless line after login": ImapScript(
        {"LIST": lambda conn, tag, args: (conn.send(b"* LIST () "), conn.flood(b"B" * 65536))}
    ),
    "literal of 999999999999 bytes in LIST": ImapScript(
        {"LIST": _reply(b'* LIST () "/" {999999999999}\r\nINBOX')}
    ),
    "escapes in a folder name and its refusal": ImapScript(
        {"EXAMINE": _reply(b"TAG NO " + ESCAPES + b" no such folder\r\n")},
        folder=b'"' + ESCAPES.replace(b"\x07", b"") + b'evil"',
    ),
}


@pytest.mark.parametrize("script", CASES.values(), ids=CASES.keys())
def test_sync_fails_cleanly(scripted, cli, script) -> None:
    with scripted(script) as server:
        save(server)
        run = cli("sync", "work")
    assert_clean_failure(run)
    assert server.sent < 16 << 20  # the client stopped reading: nothing buffered without end


# (script, the words of its timeout: under TLS a missing greeting is an ordinary time-out;
# only on an unencrypted connection is it said as such, with the likely cause:
# tests/cli/test_config_errors.py)
HANGS = {
    "no greeting": (silent, "did not answer in time"),
    "greeting trickled a byte at a time": (
        lambda conn: trickle(conn, b"* OK hello"),
        "did not answer in time",
    ),
    "LIST answer trickled": (
        ImapScript({"LIST": lambda conn, tag, args: trickle(conn, b'* LIST () "/" INBOX')}),
        "did not answer in time",
    ),
    "no answer to EXAMINE": (ImapScript({"EXAMINE": _hang}), "did not answer in time"),
}


@pytest.mark.parametrize(("script", "words"), HANGS.values(), ids=HANGS.keys())
def test_sync_gives_up_after_the_account_timeout(scripted, cli, script, words) -> None:
    with scripted(script) as server:
        save(server)
        run = cli("sync", "work")
    error = assert_clean_failure(run)
    # a timeout (TimedOut), the account's: with tuimail's default (30 s) the client would
    # have outwaited the script's hang guard (the `scripted` fixture fails then)
    assert words in error


def test_huge_exists_and_uidnext(scripted, cli) -> None:
    def examine(conn: Conn, tag: bytes, args: bytes) -> None:
        conn.send(
            b"* 4294967295 EXISTS\r\n* OK [UIDVALIDITY 7] ok\r\n* OK [UIDNEXT 4294967295] ok\r\n"
            + tag
            + b" OK [READ-ONLY] done\r\n"
        )

    with scripted(ImapScript({"EXAMINE": examine})) as server:
        save(server)
        run = cli("sync", "work")
        listed = cli("list", "work")
    # no loop over 4294967295 numbers: the test's timeout is the guard against it
    assert run.code == 0 and "Traceback" not in run.err
    assert "hello" in listed.out  # the one message that really exists


def test_fetch_answers_for_uids_not_asked_are_not_stored(scripted, cli) -> None:
    def fetch(conn: Conn, tag: bytes, args: bytes) -> None:
        extra = imap_fetch_line(2, 777, b"unasked")
        conn.send(imap_fetch_line(1, 1) + extra + tag + b" OK done\r\n")

    with scripted(ImapScript({"UID FETCH": fetch})) as server:
        save(server)
        run = cli("sync", "work")
        assert run.code == 0, run.err
        listed = cli("list", "work")
    assert "hello" in listed.out and "unasked" not in listed.out


def test_escapes_in_subjects_never_reach_the_terminal(scripted, cli) -> None:
    subject = b"hi " + ESCAPES + b" there"
    with scripted(ImapScript(subject=subject)) as server:
        save(server)
        assert cli("sync", "work").code == 0
        listed = cli("list", "work")
        shown = cli("list", "work", "--json")
    for run in (listed, shown):
        assert run.code == 0 and "there" in run.out
        assert not any(bad in run.out for bad in ("\x1b", "\x9b", "\x07")), run.out


def test_read_ignores_a_body_for_another_uid(scripted, cli) -> None:
    def fetch(conn: Conn, tag: bytes, args: bytes) -> None:
        if b"BODY.PEEK[]" not in args:
            ImapScript.cmd_uid_fetch(script, conn, tag, args)
            return
        evil = b"Subject: forged\r\n\r\nFORGED BODY\r\n"
        conn.send(
            f"* 2 FETCH (UID 2 BODY[] {{{len(evil)}}}\r\n".encode()
            + evil
            + b")\r\n"
            + tag
            + b" OK done\r\n"
        )

    script = ImapScript({"UID FETCH": fetch})
    with scripted(script) as server:
        save(server)
        assert cli("sync", "work").code == 0
        run = cli("read", "1", "--account", "work")
    assert "FORGED" not in run.out
    assert_clean_failure(run)


def test_nothing_in_the_store_is_lost(scripted, cli) -> None:
    with scripted(ImapScript()) as good:
        save(good)
        assert cli("sync", "work").code == 0
        assert cli("read", "1", "--account", "work").code == 0
    for case in (
        "garbage greeting",
        "endless line after login",
        "escapes in a folder name and its refusal",
        "literal of 999999999999 bytes in LIST",
    ):
        with scripted(CASES[case]) as server:
            save(server)
            assert cli("sync", "work").code != 0
    listed = cli("list", "work")
    assert listed.code == 0 and "hello" in listed.out
    body = cli("read", "1", "--account", "work")
    assert body.code == 0 and "Body of the message." in body.out


def test_a_flood_of_untagged_answers_is_bounded(scripted, cli, monkeypatch) -> None:
    monkeypatch.setattr(connect, "MAX_RESPONSE", 4 << 20)

    def flood(conn: Conn, tag: bytes, args: bytes) -> None:
        conn.flood(b'* LIST () "/" INBOX' + b"x" * 1000 + b"\r\n")

    with scripted(ImapScript({"LIST": flood})) as server:
        save(server, timeout=20)  # the bound, not the clock, ends it (4 MB on a busy machine)
        run = cli("sync", "work")
    assert "more than 4 MB" in assert_clean_failure(run)
    assert server.sent < 16 << 20


def test_read_gives_up_after_the_account_timeout(scripted, cli) -> None:
    def fetch(conn: Conn, tag: bytes, args: bytes) -> None:
        if b"BODY.PEEK[]" in args:
            trickle(conn, b"* 1 FETCH (UID 1 BODY[] {100}\r\nFrom: a")
        else:
            ImapScript.cmd_uid_fetch(script, conn, tag, args)

    script = ImapScript({"UID FETCH": fetch})
    with scripted(script) as server:
        save(server)
        assert cli("sync", "work").code == 0
        run = cli("read", "1", "--account", "work")
    assert "did not answer in time" in assert_clean_failure(run)


def test_vanished_for_every_possible_uid_is_not_expanded(scripted, cli) -> None:
    """QRESYNC: `* VANISHED (EARLIER) 1:4294967295` once meant a list of 4 billion UIDs."""
    caps = b"IMAP4rev1 AUTH=PLAIN CONDSTORE QRESYNC ENABLE"
    modseq = [5]

    def capability(conn: Conn, tag: bytes, args: bytes) -> None:
        conn.send(b"* CAPABILITY " + caps + b"\r\n" + tag + b" OK done\r\n")

    def examine(conn: Conn, tag: bytes, args: bytes) -> None:
        conn.send(
            b"* 1 EXISTS\r\n* OK [UIDVALIDITY 7] ok\r\n* OK [UIDNEXT 2] ok\r\n"
            + f"* OK [HIGHESTMODSEQ {modseq[0]}] ok\r\n".encode()
            + tag
            + b" OK [READ-ONLY] done\r\n"
        )

    def status(conn: Conn, tag: bytes, args: bytes) -> None:
        conn.send(
            b"* STATUS INBOX (MESSAGES 1 UIDNEXT 2 UIDVALIDITY 7 "
            + f"HIGHESTMODSEQ {modseq[0]})\r\n".encode()
            + tag
            + b" OK done\r\n"
        )

    def fetch(conn: Conn, tag: bytes, args: bytes) -> None:
        if b"CHANGEDSINCE" in args:
            conn.send(b"* VANISHED (EARLIER) 1:4294967295\r\n" + tag + b" OK done\r\n")
        else:
            ImapScript.cmd_uid_fetch(script, conn, tag, args)

    script = ImapScript(
        {
            "CAPABILITY": capability,
            "ENABLE": lambda conn, tag, args: conn.send(
                b"* ENABLED QRESYNC\r\n" + tag + b" OK done\r\n"
            ),
            "EXAMINE": examine,
            "STATUS": status,
            "UID FETCH": fetch,
        },
        greeting=b"* OK [CAPABILITY " + caps + b"] ready\r\n",
    )
    with scripted(script) as server:
        save(server)
        assert cli("sync", "work").code == 0
        modseq[0] = 9
        run = cli("sync", "work")
        listed = cli("list", "work")
    assert run.code == 0, run.err
    assert any(b"CHANGEDSINCE" in c for c in script.commands)
    assert "hello" in listed.out  # gone by the server's word, back after the UID SEARCH


def _examine_with(untagged: bytes):
    def examine(conn: Conn, tag: bytes, args: bytes) -> None:
        conn.send(untagged + tag + b" OK [READ-ONLY] done\r\n")

    return examine


UNREADABLE_EXAMINE = {
    "EXISTS negative": b"* -3 EXISTS\r\n* OK [UIDVALIDITY 7] ok\r\n* OK [UIDNEXT 2] ok\r\n",
    "no EXISTS": b"* OK [UIDVALIDITY 7] ok\r\n* OK [UIDNEXT 2] ok\r\n",
    "UIDVALIDITY not a number": b"* 1 EXISTS\r\n* OK [UIDVALIDITY abc] ok\r\n",
}


@pytest.mark.parametrize("untagged", UNREADABLE_EXAMINE.values(), ids=UNREADABLE_EXAMINE.keys())
def test_an_unreadable_examine_answer_keeps_the_stored_mail(scripted, cli, untagged) -> None:
    """A folder whose size or UIDVALIDITY cannot be read is not taken for an empty one
    (that removed every stored message), nor reported in Python's words."""
    script = Switch(ImapScript())
    with scripted(script) as server:
        save(server)
        assert cli("sync", "work").code == 0
        script.current = ImapScript({"EXAMINE": _examine_with(untagged)})
        run = cli("sync", "work")
    error = assert_clean_failure(run)
    assert "INBOX" in error and "int()" not in error and "literal" not in error, error
    listed = cli("list", "work")
    assert listed.code == 0 and "hello" in listed.out
    assert "1 removed" not in run.out


def _two_messages(garbled: bytes):
    """An IMAP script with UIDs 1 and 2 whose header FETCH answer for UID 2 is `garbled`."""

    def examine(conn: Conn, tag: bytes, args: bytes) -> None:
        conn.send(
            b"* 2 EXISTS\r\n* OK [UIDVALIDITY 7] ok\r\n* OK [UIDNEXT 3] ok\r\n"
            + tag
            + b" OK [READ-ONLY] done\r\n"
        )

    def fetch(conn: Conn, tag: bytes, args: bytes) -> None:
        if b"BODY.PEEK[HEADER" in args:
            uids = args.split(b" ")[0]
            first = imap_fetch_line(1, 1) if b"1" in uids else b""
            conn.send(first + (garbled if b"2" in uids else b"") + tag + b" OK done\r\n")
        elif b"BODY.PEEK[]" in args:
            uid = int(args.split(b" ")[0])
            conn.send(
                f"* {uid} FETCH (UID {uid} BODY[] {{{len(MESSAGE)}}}\r\n".encode()
                + MESSAGE
                + b")\r\n"
                + tag
                + b" OK done\r\n"
            )
        else:
            ImapScript.cmd_uid_fetch(script, conn, tag, args)

    script = ImapScript(
        {
            "EXAMINE": examine,
            "UID FETCH": fetch,
            "UID SEARCH": lambda conn, tag, args: conn.send(
                b"* SEARCH 1 2\r\n" + tag + b" OK done\r\n"
            ),
        }
    )
    return script


def _sync_and_list(scripted, cli, script) -> tuple[dict, object]:
    with scripted(script) as server:
        save(server)
        run = cli("sync", "work")
        listed = cli("list", "work", "--json")
        body = cli("read", "2", "--account", "work")
    assert "Traceback" not in run.err
    return {row["uid"]: row for row in json.loads(listed.out)}, body


def test_a_message_whose_header_answer_is_unusable_is_listed_with_a_note(scripted, cli) -> None:
    """The server answers UID 2's header FETCH without a header: it was missing from the
    list without a word. Now listed with a note, and reading it works."""
    rows, body = _sync_and_list(scripted, cli, _two_messages(b"* 2 FETCH (UID 2 FLAGS ())\r\n"))
    assert set(rows) == {1, 2}, rows
    assert rows[1]["subject"] == "hello" and not rows[1].get("note")
    assert "could not be read" in rows[2]["note"], rows[2]
    assert body.code == 0 and "Body of the message." in body.out


def test_a_garbled_header_answer_does_not_hide_its_batch(scripted, cli) -> None:
    rows, body = _sync_and_list(scripted, cli, _two_messages(b"* 2 FETCH (UID 2 FLAGS (((((\r\n"))
    assert set(rows) == {1, 2}, rows
    assert "could not be read" in rows[2]["note"], rows[2]


def test_a_server_that_lies_about_condstore_still_gets_new_mail_synced(scripted, cli) -> None:
    """CONDSTORE advertised, CHANGEDSINCE refused (BAD): every later sync of the folder
    failed and new mail never came. The flags are read the plain way instead."""
    caps = b"IMAP4rev1 AUTH=PLAIN CONDSTORE"
    count = [1]

    def examine(conn: Conn, tag: bytes, args: bytes) -> None:
        n = count[0]
        conn.send(
            b"* %d EXISTS\r\n* OK [UIDVALIDITY 7] ok\r\n* OK [UIDNEXT %d] ok\r\n" % (n, n + 1)
            + b"* OK [HIGHESTMODSEQ %d] ok\r\n" % (n + 4)
            + tag
            + b" OK [READ-ONLY] done\r\n"
        )

    def fetch(conn: Conn, tag: bytes, args: bytes) -> None:
        if b"CHANGEDSINCE" in args:
            conn.send(tag + b" BAD CHANGEDSINCE not supported\r\n")
        elif b"BODY.PEEK[HEADER" in args:
            wanted = range(1, count[0] + 1)
            lines = b"".join(imap_fetch_line(i, i, b"message %d" % i) for i in wanted)
            conn.send(lines + tag + b" OK done\r\n")
        else:
            lines = b"".join(
                b"* %d FETCH (UID %d FLAGS ())\r\n" % (i, i) for i in range(1, count[0] + 1)
            )
            conn.send(lines + tag + b" OK done\r\n")

    def search(conn: Conn, tag: bytes, args: bytes) -> None:
        uids = b" ".join(b"%d" % i for i in range(1, count[0] + 1))
        conn.send(b"* SEARCH " + uids + b"\r\n" + tag + b" OK done\r\n")

    script = ImapScript(
        {
            "CAPABILITY": lambda conn, tag, args: conn.send(
                b"* CAPABILITY " + caps + b"\r\n" + tag + b" OK done\r\n"
            ),
            "EXAMINE": examine,
            "STATUS": lambda conn, tag, args: conn.send(tag + b" NO no status today\r\n"),
            "UID FETCH": fetch,
            "UID SEARCH": search,
        },
        greeting=b"* OK [CAPABILITY " + caps + b"] hi\r\n",
    )
    with scripted(script) as server:
        save(server)
        assert cli("sync", "work").code == 0
        count[0] = 2
        run = cli("sync", "work")
        listed = cli("list", "work")
    assert run.code == 0, run.err
    assert "message 1" in listed.out and "message 2" in listed.out, listed.out


def test_a_bad_answer_to_login_is_said_in_the_servers_words(scripted, cli) -> None:
    script = ImapScript({"LOGIN": _reply(b"TAG BAD [CLIENTBUG] syntax error in LOGIN\r\n")})
    with scripted(script) as server:
        save(server)
        run = cli("sync", "work")
    error = assert_clean_failure(run)
    assert "syntax error in LOGIN" in error and "command error" not in error, error


def test_a_bad_answer_to_starttls_is_said_in_the_servers_words(mail_server, cli) -> None:
    mail_server.faults.add(protocol="imap", kind="starttls_bad", message="not today")
    save_starttls(mail_server, mail_server.new_user())
    run = cli("sync", "work")
    error = assert_clean_failure(run)
    assert "not today" in error and "command error" not in error, error


def test_a_preauth_greeting_over_tls_is_logged_in_without_a_password(scripted, cli) -> None:
    """RFC 3501 7.1.4: PREAUTH means already logged in. LOGIN was sent anyway, refused
    ("illegal in state AUTH") and taken for a wrong password."""
    script = ImapScript(greeting=b"* PREAUTH [CAPABILITY IMAP4rev1] welcome back\r\n")
    with scripted(script) as server:
        save(server)
        run = cli("sync", "work")
        listed = cli("list", "work")
    assert run.code == 0, run.err
    assert "hello" in listed.out
    assert not any(b"LOGIN" in c.upper() for c in script.commands)


def _bye_in_the_fetch(conn: Conn, tag: bytes, args: bytes) -> None:
    # (before the message's data: a message that came whole before the BYE is kept)
    conn.send(b"* BYE Server shutting down.\r\n")
    conn.close()


def test_a_bye_during_a_command_is_said_in_the_servers_words(scripted, cli) -> None:
    """A server that says BYE in the middle of an answer (Dovecot shutting down): the
    line names what the server said, without imaplib's "command: UID =>" in front."""
    with scripted(ImapScript({"UID FETCH": _bye_in_the_fetch})) as server:
        save(server)
        run = cli("sync", "work")
    error = assert_clean_failure(run)
    assert "the connection to the mail server was lost: Server shutting down." in error
    assert "command:" not in error and "=>" not in error


def test_a_uid_repeated_in_a_fetch_answer_counts_once(scripted, cli) -> None:
    """A server that sends the one new message twice in its header FETCH answer: one is
    stored, and `tuimail sync` said "2 new". The count is what was stored."""

    def twice(conn, tag: bytes, args: bytes) -> None:
        if b"BODY.PEEK[HEADER" in args:
            line = imap_fetch_line(1, 1)
            conn.send(line + line + tag + b" OK done\r\n")
        else:
            conn.send(b"* 1 FETCH (UID 1 FLAGS ())\r\n" + tag + b" OK done\r\n")

    with scripted(ImapScript({"UID FETCH": twice})) as server:
        save(server)
        run = cli("sync", "work")
        listed = cli("list", "work")
    assert run.code == 0, run.err
    assert len(listed.out.strip().splitlines()) == 1, listed.out
    assert "1 new" in run.out, run.out


@pytest.mark.parametrize("download_bodies", [False, True], ids=["on reading", "during sync"])
def test_a_body_sent_empty_is_not_kept_for_the_message(scripted, cli, download_bodies) -> None:
    """A server that answers BODY[] with nothing (`{0}`) for a message whose RFC822.SIZE
    says it has some: the empty answer was cached as the message (when read, or by a sync
    with download_bodies), and it stayed empty even once the server sent it whole. Now it
    is not kept: said when reading, and asked for again next time."""

    def empty(conn: Conn, tag: bytes, args: bytes) -> None:
        if b"BODY.PEEK[]" in args:
            conn.send(b"* 1 FETCH (UID 1 BODY[] {0}\r\n)\r\n" + tag + b" OK done\r\n")
        else:
            ImapScript.cmd_uid_fetch(script.current, conn, tag, args)

    script = Switch(ImapScript({"UID FETCH": empty}))
    with scripted(script) as server:
        save(server, download_bodies=download_bodies)
        assert cli("sync", "work").code == 0
        if not download_bodies:
            assert "empty" in assert_clean_failure(cli("read", "1", "--account", "work"))
        script.current = ImapScript()
        again = cli("read", "1", "--account", "work")
    assert again.code == 0 and "Body of the message." in again.out, again.out


def test_a_password_outside_ascii_is_not_sent_where_only_login_takes_it(scripted, cli) -> None:
    """A server without AUTHENTICATE PLAIN: LOGIN cannot carry "ä" (imaplib writes ASCII),
    and the failure was said as the server sending invalid bytes. Now the sentence says
    why, and nothing is sent."""
    script = ImapScript(greeting=b"* OK [CAPABILITY IMAP4rev1] ready\r\n")
    script.overrides["CAPABILITY"] = _reply(b"* CAPABILITY IMAP4rev1\r\nTAG OK done\r\n")
    with scripted(script) as server:
        account = save(server)
        account.password_command = "printf %s 'p\u00e4sswort'"
        save_account(account)
        run = cli("sync", "work")
    error = assert_clean_failure(run)
    assert "only LOGIN" in error and "not valid" not in error, error
    assert not any(c.split(b" ")[1:2] in ([b"LOGIN"], [b"AUTHENTICATE"]) for c in script.commands)


def test_an_inbox_listed_as_inbox_in_other_letters_is_the_inbox(scripted, cli) -> None:
    """Yahoo lists INBOX as "Inbox" (INBOX is case-insensitive, RFC 3501 5.1): its mail
    was stored in a folder "Inbox" that `tuimail list` (and --folder Inbox, and
    everything else asking for INBOX) could not find."""
    with scripted(ImapScript(folder=b'"Inbox"')) as server:
        save(server)
        assert cli("sync", "work").code == 0
        listed = cli("list", "work")
        named = cli("list", "work", "--folder", "Inbox")
    assert listed.code == 0 and "hello" in listed.out, listed.err
    assert named.code == 0 and "hello" in named.out, named.err


def test_a_big_literal_is_read_into_one_buffer(scripted) -> None:
    """A message body (an IMAP literal) is read into one buffer of its announced size:
    read in chunks and joined, two copies of it were held at once (with the parse's
    copies, `tuimail read` of a 56 MB message not yet in the store peaked at 468 MB).
    Measured in Python allocations (tracemalloc), not time: the answer is built before."""
    import tracemalloc

    from tests.hostile.scripted import account_on
    from tuimail.core.imap.session import connect as imap_connect

    body = MESSAGE + b"x" * (8 << 20) + b"\r\n"
    answer = f"* 1 FETCH (UID 1 BODY[] {{{len(body)}}}\r\n".encode() + body + b")\r\n"

    def fetch(conn: Conn, tag: bytes, args: bytes) -> None:
        conn.send(answer)
        conn.send(tag + b" OK done\r\n")

    with scripted(ImapScript({"UID FETCH": fetch})) as server:
        client = imap_connect(account_on(server), "pw", timeout=10)
        try:
            client.select_folder("INBOX", readonly=True)
            tracemalloc.start()
            try:
                data = client.fetch([1], [b"BODY.PEEK[]"])
                peak = tracemalloc.get_traced_memory()[1]
            finally:
                tracemalloc.stop()
        finally:
            client.logout()
    assert data[1][b"BODY[]"] == body
    assert peak < 1.5 * len(body), f"{peak / len(body):.1f} copies held at once"
