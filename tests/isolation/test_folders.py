"""One folder never stops an account: odd but valid folder names (`]` unquoted, as Dovecot
sends it; malformed modified UTF-7) are listed on their own and every other folder syncs,
over the bundled IMAP server; the LIST line parser is checked with hypothesis."""

from __future__ import annotations

import re
from contextlib import closing

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from imapclient.imap_utf7 import encode as utf7

from tests.hostile.scripted import Conn, ImapScript
from tests.imap.helpers import engine_for, message, other_client, tmp_store
from tests.isolation.helpers import scripted_engine
from tuimail.core.imap.actions import MailActions
from tuimail.core.imap.names import parse_line, parse_list
from tuimail.words.where import sync_errors

pytestmark = pytest.mark.timeout(300)

ODD = ("Odd]Name", "a]b[c", "Bad&Jjo")  # the last is not valid modified UTF-7


def test_odd_folder_names_are_listed_and_every_folder_syncs(mail_server, tmp_path) -> None:
    user = mail_server.new_user()
    mail_server.faults.add(protocol="imap", kind="raw_names")
    for name in (*ODD, "Plain"):
        mail_server.store.create_folder(user.login, name)
        mail_server.deliver(user, message(1, f"in {name}"), folder=name)
    mail_server.deliver(user, message(2, "in INBOX"))
    store = tmp_store(tmp_path)
    with closing(engine_for(mail_server, user, store)) as engine:
        result = engine.sync()
        # The second pass asks STATUS first; its answer names the folder unquoted too
        # (`* STATUS a]b[c (...)`, as Dovecot writes it)
        mail_server.deliver(user, message(2, "again in a]b[c"), folder="a]b[c")
        again = engine.sync()
    assert result.failures == [] and again.failures == []
    names = {f.name for f in store.folders("test", counts=False)}
    assert {*ODD, "Plain", "INBOX"} <= names
    for name in (*ODD, "Plain", "INBOX"):
        rows = store.message_rows(store.folder_id("test", name), 0, 10)
        expected = [f"in {name} {1 if name != 'INBOX' else 2}"]
        if name == "a]b[c":
            expected.insert(0, "again in a]b[c 2")
        assert [r.subject for r in rows] == expected


@pytest.mark.interop
def test_a_folder_with_brackets_syncs_again_on_dovecot(dovecot_peer, tmp_path) -> None:
    """Dovecot answers STATUS for `a]b[c` with the name unquoted: the second pass (the
    first one that asks STATUS) must read it, not drop the connection."""
    user = dovecot_peer.new_user()
    dovecot_peer.doveadm("mailbox", "create", "-u", user.login, "a]b[c")
    dovecot_peer.deliver(user, message(1, "in a]b[c"), folder="a]b[c")
    store = tmp_store(tmp_path)
    with closing(engine_for(dovecot_peer, user, store)) as engine:
        first = engine.sync()
        dovecot_peer.deliver(user, message(2, "again in a]b[c"), folder="a]b[c")
        again = engine.sync()
    assert first.failures == [] and again.failures == []
    rows = store.message_rows(store.folder_id("test", "a]b[c"), 0, 10)
    assert [r.subject for r in rows] == ["again in a]b[c 2", "in a]b[c 1"]


def _move_there_flag_and_undo(peer, user, store) -> tuple[list, list]:
    """Move an INBOX message into `a]b[c` and replay it, then flag it there and undo the
    move (both replayed from `a]b[c`): the failures of the two passes."""
    with closing(engine_for(peer, user, store)) as engine:
        engine.sync()
        inbox = store.folder_id("test", "INBOX")
        actions = MailActions(store, engine.account)
        row = store.message_rows(inbox, 0, 10)[0]
        actions.move([row.id], "a]b[c")
        first = engine.sync()
        actions.flag([row.id])
        assert actions.undo()
        second = engine.sync()
    return first.failures, second.failures


def test_messages_in_a_folder_with_brackets_can_be_acted_on(mail_server, tmp_path) -> None:
    """A queued action checks that its folder exists with LIST: the answer names `a]b[c`
    unquoted (as Dovecot does), which imapclient's folder_exists could not read, so the
    action failed as a protocol violation and was retried for ever (the message shown
    back in INBOX stayed in a]b[c on the server)."""
    user = mail_server.new_user()
    mail_server.faults.add(protocol="imap", kind="raw_names")
    mail_server.store.create_folder(user.login, "a]b[c")
    mail_server.deliver(user, message(1, "to move"))
    store = tmp_store(tmp_path)
    assert _move_there_flag_and_undo(mail_server, user, store) == ([], [])
    assert _subjects(mail_server, user) == {"INBOX": ["to move 1"], "a]b[c": []}


@pytest.mark.interop
def test_messages_in_a_folder_with_brackets_can_be_acted_on_dovecot(dovecot_peer, tmp_path):
    user = dovecot_peer.new_user()
    dovecot_peer.doveadm("mailbox", "create", "-u", user.login, "a]b[c")
    dovecot_peer.deliver(user, message(1, "to move"))
    store = tmp_store(tmp_path)
    assert _move_there_flag_and_undo(dovecot_peer, user, store) == ([], [])
    assert _subjects(dovecot_peer, user) == {"INBOX": ["to move 1"], "a]b[c": []}


def _subjects(peer, user) -> dict[str, list[str]]:
    found = {}
    for folder in ("INBOX", "a]b[c"):
        raws = peer.messages(user, folder)
        found[folder] = [re.search(rb"Subject: (.*?)\r?\n", r).group(1).decode() for r in raws]
    return found


def test_a_folder_that_cannot_be_selected_is_reported_alone(mail_server, tmp_path) -> None:
    user = mail_server.new_user()
    for name in ("Gone", "Kept"):
        mail_server.store.create_folder(user.login, name)
        mail_server.deliver(user, message(1, name), folder=name)
    store = tmp_store(tmp_path)
    with closing(engine_for(mail_server, user, store)) as engine:
        engine.sync_folder_list()
        mail_server.store.delete_folder(user.login, "Gone")
        result = engine.sync(["INBOX", "Gone", "Kept"])
    assert len(sync_errors(result)) == 1 and sync_errors(result)[0].startswith("Gone: ")
    assert [f.folder for f in result.folders] == ["INBOX", "Kept"]
    assert store.count_messages(store.folder_id("test", "Kept")) == 1


def test_an_unreadable_list_line_is_reported_and_the_others_are_kept() -> None:
    data = [
        b'(\\HasNoChildren) "/" INBOX',
        b"this is not a LIST answer",
        (b'(\\HasNoChildren) "/" {8}', b"Lit]eral"),
        b"",
        b'(\\Noselect) "/" "with \\"quotes\\" and space"',
        b"() NIL a]b[c",
        b'() "/" "Evil\x1b]0;x\x07"',
        b'() "/" "nul\x00name"',
    ]
    entries, bad = parse_list(data)
    assert [e.name for e in entries] == [
        "INBOX",
        "Lit]eral",
        'with "quotes" and space',
        "a]b[c",
        "Evil\x1b]0;x\x07",  # valid in a quoted name; sanitised where shown
    ]
    # Why each line cannot be read is data (BadListLine's problem), with the line itself
    assert [(b.problem, b.line) for b in bad] == [
        ("not-list", "this is not a LIST answer"),
        ("nul-cr-lf", '() "/" "nul\x00name"'),
    ]
    assert entries[3].delimiter is None and entries[2].flags == (b"\\Noselect",)


_NAME = st.text(
    st.characters(blacklist_categories=("Cc", "Cs"), blacklist_characters="\r\n"),
    min_size=1,
    max_size=30,
)


@settings(max_examples=300, deadline=None)
@given(_NAME, st.sampled_from(["/", ".", None]), st.sampled_from(["quoted", "literal", "atom"]))
def test_any_folder_name_survives_the_list_parser(name: str, delim, form: str) -> None:
    wire = utf7(name)
    head = b"(\\HasNoChildren) " + (b'"%s"' % delim.encode() if delim else b"NIL") + b" "
    if form == "literal":
        entry = parse_line(head + b"{%d}" % len(wire), wire)
    elif form == "atom" and not any(c in wire for c in b' (){"%*\\'):
        entry = parse_line(head + wire)
    else:
        entry = parse_line(head + b'"' + wire.replace(b"\\", b"\\\\").replace(b'"', b'\\"') + b'"')
    assert entry.name == name and not entry.malformed and entry.wire == wire
    assert entry.delimiter == delim


@settings(max_examples=500, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.binary(max_size=80), st.tuples(st.binary(max_size=40), st.binary(max_size=40))
        ),
        max_size=8,
    )
)
def test_the_list_parser_never_raises_and_reads_malformed_utf7_back(data) -> None:
    entries, bad = parse_list(data)
    assert len(entries) + len(bad) <= len(data)
    for entry in entries:
        if entry.malformed:
            assert entry.name.encode("utf-8", "replace")  # shown as the server spelled it
        else:
            assert utf7(entry.name) == entry.wire


class _LsubBad(ImapScript):
    def cmd_list(self, conn: Conn, tag: bytes, args: bytes) -> None:
        conn.send(b'* LIST () "/" INBOX\r\n* LIST () "/" Other\r\n' + tag + b" OK done\r\n")

    def cmd_lsub(self, conn: Conn, tag: bytes, args: bytes) -> None:
        conn.send(tag + b" BAD unknown command\r\n")


def test_a_refused_lsub_keeps_the_folder_list(test_ca, tmp_path) -> None:
    store = tmp_store(tmp_path)
    with scripted_engine(test_ca, _LsubBad(), store) as engine:
        engine.sync_folder_list()
    assert {"INBOX", "Other"} <= {f.name for f in store.folders("work", counts=False)}


@pytest.mark.parametrize("name", ["Odd]Name", "a]b[c", "[Brackets] x", "Dépenses & reçus"])
def test_odd_names_created_by_another_client_sync(mail_peer, tmp_path, name) -> None:
    """The names as a real server sends them (Dovecot sends `]` unquoted)."""
    user = mail_peer.new_user()
    other = other_client(mail_peer, user)
    try:
        other.create_folder(name)
        other.append(name, message(1, "odd"))
        other.append("INBOX", message(2, "inbox"))
    finally:
        other.logout()
    store = tmp_store(tmp_path)
    with closing(engine_for(mail_peer, user, store)) as engine:
        result = engine.sync()
    assert result.failures == []
    assert store.count_messages(store.folder_id("test", name)) == 1
    assert store.count_messages(store.folder_id("test", "INBOX")) == 1


def test_a_malformed_name_is_sent_back_as_listed_by_a_later_process(mail_server, tmp_path) -> None:
    """`tuimail read` runs in a process that never listed the folders: the store says
    which names go to the server as written."""
    from tuimail.core.imap import names

    user = mail_server.new_user()
    mail_server.faults.add(protocol="imap", kind="raw_names")
    mail_server.store.create_folder(user.login, "Bad&Jjo")
    mail_server.deliver(user, message(1, "odd"), folder="Bad&Jjo")
    store = tmp_store(tmp_path)
    with closing(engine_for(mail_server, user, store)) as first:
        assert first.sync(["Bad&Jjo"]).failures == []
    with names._raw_lock:  # as in a new process
        names._raw_names.clear()
    (row,) = store.message_rows(store.folder_id("test", "Bad&Jjo"), 0, 10)
    with closing(engine_for(mail_server, user, store)) as later:
        assert later.fetch_body(row.id).endswith(b"Body of 1.\r\n")
    # Remembered for that mailbox only: another account's "Bad&Jjo" (another server, or
    # another login on the same server) is a UTF-7 name.
    server = (mail_server.host, mail_server.ports.imap_tls)
    assert names.is_raw((*server, user.login), "Bad&Jjo")
    assert not names.is_raw(("imap.elsewhere.test", 993, user.login), "Bad&Jjo")
    assert not names.is_raw((*server, "someone-else"), "Bad&Jjo")


@pytest.mark.parametrize(
    ("name", "delimiter", "label", "depth"),
    [
        ("Projects/v2.0", "/", "v2.0", 1),  # a dot is part of the name under "/"
        ("INBOX.Sent.2024", ".", "2024", 2),
        ("[@click=app.quit()]x", "/", "[@click=app.quit()]x", 0),
        ("[/]", "/", "]", 1),
        ("/".join(["deep"] * 40), "/", "deep", 6),  # bounded: still on screen
        ("a/b", None, "a/b", 0),
    ],
)
def test_the_folder_tree_shows_names_split_at_their_own_delimiter(
    name, delimiter, label, depth
) -> None:
    from tuimail.core.service import FolderInfo
    from tuimail.ui.widgets.folder_tree import _folder_label

    folder = FolderInfo("work", name, None, 0, 0, delimiter)
    assert (folder.label, folder.depth) == (label, depth)
    shown = _folder_label(folder).plain
    assert shown.endswith(label) and len(shown) < 2 * 6 + 3 + len(label)


class _RawUtf8Name(ImapScript):
    """A server that lists a folder in raw UTF-8 (as some do without UTF8=ACCEPT) and
    opens it only when named by the same bytes."""

    NAME = "Dépenses".encode()

    def cmd_list(self, conn: Conn, tag: bytes, args: bytes) -> None:
        conn.send(b'* LIST () "/" INBOX\r\n* LIST () "/" "' + self.NAME + b'"\r\n')
        conn.send(tag + b" OK done\r\n")

    cmd_lsub = cmd_list

    def cmd_examine(self, conn: Conn, tag: bytes, args: bytes) -> None:
        if args not in (b"INBOX", b'"INBOX"', b'"' + self.NAME + b'"'):
            conn.send(tag + b" NO [NONEXISTENT] no such folder\r\n")
            return
        ImapScript.cmd_examine(self, conn, tag, args)


def test_a_folder_listed_in_raw_utf8_is_opened_by_the_same_bytes(test_ca, tmp_path) -> None:
    store = tmp_store(tmp_path)
    with scripted_engine(test_ca, _RawUtf8Name(), store) as engine:
        result = engine.sync()
    assert result.failures == [], result.failures
    assert {f.folder for f in result.folders} == {"INBOX", "Dépenses"}
    assert store.count_messages(store.folder_id("work", "Dépenses")) == 1
