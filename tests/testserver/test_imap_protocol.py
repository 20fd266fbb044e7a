"""IMAP behaviour both test beds must show (bundled server and Dovecot), with imapclient,
stdlib imaplib and a raw socket, always over verified TLS (or STARTTLS).

Where the bundled server differs from Dovecot on purpose, a comment says so. Known
differences, none of which these tests rely on:
- \\Recent is never set (RECENT is always 0); the tests compare flags without it.
- Pre-login CAPABILITY already lists everything (Dovecot shows a short list until LOGIN).
- STORE in an EXAMINEd mailbox answers NO (Dovecot: OK and nothing changes).
- CREATE a/b creates a real "a" (Dovecot: a \\Noselect placeholder); RENAME INBOX moves
  its messages (RFC 3501; Dovecot: NO [CANNOT]); INBOX is subscribed from the start.
- FETCH 1 (FAST) with a macro in parentheses is accepted (Dovecot: BAD).
- A few malformed MIME messages get different BODYSTRUCTUREs (nested parts reusing the
  parent's boundary, invalid Content-Type); 227 of the 241 corpus messages match exactly.
"""

from __future__ import annotations

import base64
import imaplib
import re
import ssl
from datetime import UTC, datetime

import pytest
from imapclient import IMAPClient
from imapclient.exceptions import IMAPClientError

from tests.testserver.imap_helpers import (
    INNER,
    MULTIPART,
    Raw,
    append,
    connect,
    context,
    flags_of,
    message,
    tagged,
)
from testserver.server import MailServer

SERVER_PROTOCOLS = ("imap",)


def test_capabilities_after_login(mail_peer):
    user = mail_peer.new_user()
    with connect(mail_peer, user) as client:
        caps = set(client.capabilities())
    for cap in (
        b"IMAP4REV1",
        b"IDLE",
        b"UIDPLUS",
        b"MOVE",
        b"CONDSTORE",
        b"QRESYNC",
        b"SPECIAL-USE",
        b"LITERAL+",
        b"ENABLE",
        b"ID",
        b"NAMESPACE",
        b"UNSELECT",
        b"QUOTA",
    ):
        assert cap in caps, cap


def test_starttls_port_refuses_login_before_tls(mail_peer):
    user = mail_peer.new_user()
    raw = Raw(mail_peer, tls=False)
    try:
        assert raw.greeting.startswith(b"* OK")
        caps = b"".join(raw.command("CAPABILITY"))
        assert b"STARTTLS" in caps and b"LOGINDISABLED" in caps
        assert b"AUTH=PLAIN" not in caps
        lines = raw.command(f'LOGIN "{user.login}" "{user.password}"')
        assert tagged(lines) in (b"NO", b"BAD"), lines
        token = base64.b64encode(f"\0{user.login}\0{user.password}".encode()).decode()
        lines = raw.command(f"AUTHENTICATE PLAIN {token}")
        assert tagged(lines) in (b"NO", b"BAD"), lines
        # After STARTTLS the same credentials work.
        raw.starttls()
        caps = b"".join(raw.command("CAPABILITY"))
        assert b"LOGINDISABLED" not in caps and b"STARTTLS" not in caps
        raw.login(user)
        assert tagged(raw.command("SELECT INBOX")) == b"OK"
    finally:
        raw.close()


def test_imaplib_starttls_and_commands(mail_peer):
    user = mail_peer.new_user()
    imap = imaplib.IMAP4(mail_peer.host, mail_peer.ports.imap_starttls, timeout=10)
    try:
        assert "LOGINDISABLED" in imap.capabilities
        with pytest.raises(imaplib.IMAP4.error):
            imap.login(user.login, user.password)  # imaplib itself refuses (LOGINDISABLED)
        imap.starttls(ssl_context=context(mail_peer))
        typ, _ = imap.login(user.login, user.password)
        assert typ == "OK"
        typ, data = imap.append("INBOX", r"(\Flagged)", None, message("via imaplib"))
        assert typ == "OK" and b"APPENDUID" in data[0]
        typ, data = imap.select("INBOX")
        assert typ == "OK" and data == [b"1"]
        typ, data = imap.fetch("1", "(FLAGS BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
        assert typ == "OK"
        assert b"\\Flagged" in data[0][0]
        assert data[0][1].strip() == b"Subject: via imaplib"
        typ, data = imap.search(None, "SUBJECT", '"imaplib"')
        assert data == [b"1"]
        typ, data = imap.uid("SEARCH", "ALL")
        assert typ == "OK" and data[0].split()
        typ, _ = imap.store("1", "+FLAGS", r"(\Seen)")
        assert typ == "OK"
        typ, _ = imap.close()
        assert typ == "OK"
    finally:
        imap.logout()


def test_imaplib_implicit_tls(mail_peer):
    user = mail_peer.new_user()
    imap = imaplib.IMAP4_SSL(
        mail_peer.host, mail_peer.ports.imap_tls, ssl_context=context(mail_peer), timeout=10
    )
    try:
        imap.login(user.login, user.password)
        typ, data = imap.status("INBOX", "(MESSAGES UIDNEXT)")
        assert typ == "OK" and b"MESSAGES 0" in data[0]
    finally:
        imap.logout()


def test_tls_certificate_is_verified(mail_peer):
    # The default trust store does not know the test CA: verification must fail.
    bare = ssl.create_default_context()
    with pytest.raises(ssl.SSLError):
        IMAPClient(mail_peer.host, port=mail_peer.ports.imap_tls, ssl_context=bare, timeout=10)


def test_login_failure_and_authenticate_plain(mail_peer):
    user = mail_peer.new_user()
    with connect(mail_peer) as client:
        with pytest.raises(IMAPClientError):
            client.login(user.login, "wrong password")
    with connect(mail_peer) as client:
        client.plain_login(user.login, user.password)
        assert client.select_folder("INBOX")[b"EXISTS"] == 0
    raw = Raw(mail_peer)
    try:
        token = base64.b64encode(f"\0{user.login}\0{user.password}".encode()).decode()
        lines = raw.command(f"AUTHENTICATE PLAIN {token}")  # SASL-IR
        assert tagged(lines) == b"OK", lines
    finally:
        raw.close()
    raw = Raw(mail_peer)
    try:
        raw.send(b"a AUTHENTICATE PLAIN\r\n")
        assert raw.line().startswith(b"+")
        token = base64.b64encode(f"\0{user.login}\0{user.password}".encode())
        raw.send(token + b"\r\n")
        assert tagged(raw.until(b"a")) == b"OK"
    finally:
        raw.close()


def test_id_namespace_enable_noop_logout(mail_peer):
    user = mail_peer.new_user()
    client = connect(mail_peer, user)
    info = client.id_({"name": "tuimail-tests"})
    assert info  # a server identifies itself
    ns = client.namespace()
    assert ns.personal[0][0] == "" and ns.personal[0][1] == "/"
    assert client.enable("CONDSTORE") == [b"CONDSTORE"]
    client.select_folder("INBOX")
    assert client.noop()[0]
    client.logout()  # servers word the BYE differently; it must just succeed


# -- mailboxes --------------------------------------------------------------------------


def test_list_special_use_and_children(mail_peer):
    user = mail_peer.new_user()
    with connect(mail_peer, user) as client:
        client.create_folder("Projects/2026")
        folders = {name: flags for flags, _, name in client.list_folders()}
        assert "INBOX" in folders and "Projects/2026" in folders
        for name, role in (
            ("Sent", b"\\Sent"),
            ("Drafts", b"\\Drafts"),
            ("Trash", b"\\Trash"),
            ("Junk", b"\\Junk"),
            ("Archive", b"\\Archive"),
        ):
            assert role in folders[name], (name, folders[name])
        assert b"\\HasChildren" in folders["Projects"]
        assert b"\\HasNoChildren" in folders["Projects/2026"]
        top = {name for _, _, name in client.list_folders(pattern="%")}
        assert "Projects" in top and "Projects/2026" not in top
        assert client.find_special_folder(b"\\Sent") == "Sent"
    raw = Raw(mail_peer)
    try:
        raw.login(user)
        lines = raw.command('LIST "" "*" RETURN (SPECIAL-USE)')
        assert tagged(lines) == b"OK"
        assert any(b"\\Trash" in line and b"Trash" in line for line in lines)
        lines = raw.command('LIST (SPECIAL-USE) "" "*"')
        assert tagged(lines) == b"OK"
        names = [line for line in lines if line.startswith(b"* LIST")]
        assert len(names) == 5 and not any(b"INBOX" in line for line in names)
        lines = raw.command('LIST "" ""')
        assert lines[0].startswith(b"* LIST (\\Noselect") and b'"/"' in lines[0]
    finally:
        raw.close()


def test_create_rename_delete_subscribe(mail_peer):
    user = mail_peer.new_user()
    with connect(mail_peer, user) as client:
        client.create_folder("Work")
        with pytest.raises(IMAPClientError):
            client.create_folder("Work")
        append(client, message("kept"), "Work")
        client.rename_folder("Work", "Jobs")
        assert client.folder_exists("Jobs") and not client.folder_exists("Work")
        assert client.folder_status("Jobs", ["MESSAGES"])[b"MESSAGES"] == 1
        client.subscribe_folder("Jobs")
        assert "Jobs" in {name for _, _, name in client.list_sub_folders()}
        client.unsubscribe_folder("Jobs")
        assert "Jobs" not in {name for _, _, name in client.list_sub_folders()}
        client.delete_folder("Jobs")
        assert not client.folder_exists("Jobs")
        with pytest.raises(IMAPClientError):
            client.delete_folder("Jobs")
        with pytest.raises(IMAPClientError):
            client.select_folder("Nowhere")
        # Non-ASCII names travel as modified UTF-7.
        client.create_folder("Café/Überweisung")
        assert "Café/Überweisung" in {name for _, _, name in client.list_folders()}


def test_select_examine_status(mail_peer):
    user = mail_peer.new_user()
    mail_peer.deliver(user, message("one"))
    mail_peer.deliver(user, message("two"))
    with connect(mail_peer, user) as client:
        status = client.folder_status(
            "INBOX", ["MESSAGES", "RECENT", "UIDNEXT", "UIDVALIDITY", "UNSEEN", "HIGHESTMODSEQ"]
        )
        assert status[b"MESSAGES"] == 2 and status[b"UNSEEN"] == 2
        assert status[b"UIDNEXT"] == 3 and status[b"UIDVALIDITY"] > 0
        assert b"RECENT" in status and status[b"HIGHESTMODSEQ"] > 0
        info = client.select_folder("INBOX", readonly=True)
        assert info[b"EXISTS"] == 2 and info[b"READ-ONLY"]
        assert info[b"UIDVALIDITY"] == status[b"UIDVALIDITY"]
        assert info[b"UIDNEXT"] == 3
        # Ours answers NO; Dovecot answers OK but changes nothing. Either way: no change.
        try:
            client.add_flags([1], [b"\\Seen"])
        except IMAPClientError:
            pass
        assert flags_of(client.get_flags([1])[1]) == set()
        info = client.select_folder("INBOX")
        assert info[b"READ-WRITE"] and b"\\*" in info[b"PERMANENTFLAGS"]
        assert b"\\Seen" in info[b"FLAGS"]
        assert info[b"HIGHESTMODSEQ"] > 0


def test_append_flags_date_and_round_trip(mail_peer):
    user = mail_peer.new_user()
    raw = message("appended")
    when = datetime(2025, 12, 24, 18, 30, 15, tzinfo=UTC)
    with connect(mail_peer, user) as client:
        uid = append(client, raw, "Drafts", flags=[b"\\Draft", b"$Label1"], date=when)
        client.select_folder("Drafts")
        data = client.fetch([uid], ["FLAGS", "INTERNALDATE", "RFC822.SIZE", "BODY.PEEK[]"])[uid]
        assert flags_of(data[b"FLAGS"]) == {b"\\Draft", b"$Label1"}
        assert data[b"INTERNALDATE"].replace(tzinfo=None) == datetime(2025, 12, 24, 18, 30, 15)
        assert data[b"RFC822.SIZE"] == len(raw)
        assert data[b"BODY[]"] == raw
        with pytest.raises(IMAPClientError):
            client.append("No such folder", raw)
    assert mail_peer.messages(user, "Drafts") == [raw]


# -- FETCH ------------------------------------------------------------------------------


def test_fetch_envelope_and_simple_items(mail_peer):
    user = mail_peer.new_user()
    mail_peer.deliver(user, message(In_Reply_To="<parent@example.test>"))
    with connect(mail_peer, user) as client:
        client.select_folder("INBOX")
        data = client.fetch("1:*", ["UID", "FLAGS", "ENVELOPE", "RFC822.SIZE", "INTERNALDATE"])
        env = data[1][b"ENVELOPE"]
        assert env.subject == b"Hello there"
        assert env.from_[0].name == b"Alice Example"
        assert (env.from_[0].mailbox, env.from_[0].host) == (b"alice", b"example.test")
        assert env.sender[0].mailbox == b"alice" and env.reply_to[0].mailbox == b"alice"
        assert env.to[0].name == b"Bob Builder" and env.cc[0].mailbox == b"carol"
        assert env.bcc is None
        assert env.message_id == b"<hello@example.test>"
        assert env.in_reply_to == b"<parent@example.test>"
        assert env.date == datetime(2026, 3, 2, 10, 0)
        assert data[1][b"RFC822.SIZE"] == len(message(In_Reply_To="<parent@example.test>"))
        assert flags_of(data[1][b"FLAGS"]) == set()
    # Macros go bare (imapclient would wrap them in parentheses, which Dovecot refuses and
    # the bundled server tolerates).
    raw = Raw(mail_peer)
    try:
        raw.login(user)
        raw.command("EXAMINE INBOX")
        for macro, keys in (
            ("FAST", (b"FLAGS", b"INTERNALDATE", b"RFC822.SIZE")),
            ("ALL", (b"FLAGS", b"INTERNALDATE", b"RFC822.SIZE", b"ENVELOPE")),
            ("FULL", (b"FLAGS", b"INTERNALDATE", b"RFC822.SIZE", b"ENVELOPE", b"BODY (")),
        ):
            lines = raw.command(f"FETCH 1 {macro}")
            assert tagged(lines) == b"OK"
            assert all(key in lines[0] for key in keys), (macro, lines)
    finally:
        raw.close()


def _lower(value):
    if isinstance(value, bytes):
        return value.lower()
    if isinstance(value, tuple | list):
        return tuple(_lower(v) for v in value)
    return value


def test_fetch_bodystructure(mail_peer):
    user = mail_peer.new_user()
    mail_peer.deliver(user, MULTIPART)
    mail_peer.deliver(user, message())
    with connect(mail_peer, user) as client:
        client.select_folder("INBOX")
        data = client.fetch([1, 2], ["BODYSTRUCTURE", "BODY"])
        parts, subtype = data[1][b"BODYSTRUCTURE"][0], data[1][b"BODYSTRUCTURE"][1]
        assert subtype.lower() == b"mixed"
        text, pdf, attached = parts
        assert _lower(text[:3]) == (b"text", b"plain", (b"charset", b"utf-8"))
        assert text[5].lower() == b"quoted-printable"
        assert text[6] == len(b"Caf=C3=A9 au lait, searchable words")
        assert text[7] == 0  # the CRLF before the boundary is not part of the text
        assert _lower(pdf[:2]) == (b"application", b"pdf")
        assert pdf[5].lower() == b"base64" and pdf[6] == len(b"JVBERi0xLjQKJcfsj6IK")
        assert _lower(pdf[8]) == (b"attachment", (b"filename", b"report.pdf"))
        assert _lower(attached[:2]) == (b"message", b"rfc822")
        assert attached[6] == len(INNER) - 2  # the CRLF before a boundary belongs to it
        assert attached[7][1] == b"inner message"  # the subject in the inner envelope
        assert _lower(attached[8][:2]) == (b"text", b"plain")
        simple = data[2][b"BODYSTRUCTURE"]
        assert _lower(simple[:3]) == (b"text", b"plain", (b"charset", b"us-ascii"))
        assert simple[6] == len(b"First line\r\nsecond line\r\n") and simple[7] == 2
        # BODY is the non-extensible form: no disposition of the attachment.
        body_parts = data[1][b"BODY"][0]
        assert len(body_parts[1]) == 7


def test_fetch_sections_and_partial(mail_peer):
    user = mail_peer.new_user()
    mail_peer.deliver(user, MULTIPART)
    header, _, text = MULTIPART.partition(b"\r\n\r\n")
    with connect(mail_peer, user) as client:
        client.select_folder("INBOX")
        items = [
            "BODY.PEEK[]",
            "BODY.PEEK[HEADER]",
            "BODY.PEEK[TEXT]",
            "BODY.PEEK[1]",
            "BODY.PEEK[2]",
            "BODY.PEEK[2.MIME]",
            "BODY.PEEK[3]",
            "BODY.PEEK[3.HEADER]",
            "BODY.PEEK[3.TEXT]",
            "BODY.PEEK[3.1]",
            "BODY.PEEK[HEADER.FIELDS (SUBJECT TO)]",
            "BODY.PEEK[HEADER.FIELDS.NOT (SUBJECT TO DATE MESSAGE-ID MIME-VERSION CONTENT-TYPE)]",
            "RFC822.HEADER",
        ]
        data = client.fetch([1], items)[1]
        assert data[b"BODY[]"] == MULTIPART
        assert data[b"BODY[HEADER]"] == header + b"\r\n\r\n"
        assert data[b"BODY[TEXT]"] == text
        assert data[b"BODY[1]"] == b"Caf=C3=A9 au lait, searchable words"
        assert data[b"BODY[2]"] == b"JVBERi0xLjQKJcfsj6IK"
        assert data[b"BODY[2.MIME]"].startswith(b"Content-Type: application/pdf; name=report.pdf")
        assert data[b"BODY[2.MIME]"].endswith(b"\r\n\r\n")
        assert data[b"BODY[3]"] == INNER[:-2]
        assert data[b"BODY[3.HEADER]"] == INNER.partition(b"\r\n\r\n")[0] + b"\r\n\r\n"
        assert data[b"BODY[3.TEXT]"] == b"inner body"
        assert data[b"BODY[3.1]"] == b"inner body"
        assert data[b"BODY[HEADER.FIELDS (SUBJECT TO)]"] == (
            b"To: bob@example.test\r\nSubject: with attachments\r\n\r\n"
        )
        not_key = next(k for k in data if k.startswith(b"BODY[HEADER.FIELDS.NOT"))
        assert data[not_key] == b"From: Alice Example <alice@example.test>\r\n\r\n"
        assert data[b"RFC822.HEADER"] == header + b"\r\n\r\n"
        partial = client.fetch([1], ["BODY.PEEK[]<6.5>", "BODY.PEEK[1]<0.4>"])[1]
        assert partial[b"BODY[]<6>"] == MULTIPART[6:11]
        assert partial[b"BODY[1]<0>"] == b"Caf="
        # PEEK left \Seen alone; BODY[] without PEEK sets it.
        assert flags_of(client.get_flags([1])[1]) == set()
        client.fetch([1], ["BODY[TEXT]"])
        assert b"\\Seen" in client.get_flags([1])[1]


def test_rfc822_sets_seen_and_modseq(mail_peer):
    user = mail_peer.new_user()
    mail_peer.deliver(user, message())
    with connect(mail_peer, user) as client:
        client.select_folder("INBOX")
        before = client.fetch([1], ["MODSEQ"])[1][b"MODSEQ"][0]
        data = client.fetch([1], ["RFC822"])[1]
        assert data[b"RFC822"] == message()
        after = client.fetch([1], ["FLAGS", "MODSEQ"])[1]
        assert b"\\Seen" in after[b"FLAGS"] and after[b"MODSEQ"][0] > before


def test_fetch_by_sequence_and_uid_sets(mail_peer):
    user = mail_peer.new_user()
    for i in range(5):
        mail_peer.deliver(user, message(f"m{i}"))
    with connect(mail_peer, user) as client:
        client.select_folder("INBOX")
        client.delete_messages([2])
        client.expunge()
        uids = client.search("ALL")
        assert uids == [1, 3, 4, 5]
        assert sorted(client.fetch("3:*", ["UID"])) == [3, 4, 5]
        assert sorted(client.fetch("1,4", ["UID"])) == [1, 4]
        assert sorted(client.fetch("2:3", ["UID"])) == [3]
        assert sorted(client.fetch("9:*", ["UID"])) == [5]  # '*' is the highest UID
        client.use_uid = False
        assert {n: d[b"UID"] for n, d in client.fetch("2:*", ["UID"]).items()} == {
            2: 3,
            3: 4,
            4: 5,
        }


# -- STORE, COPY, MOVE, EXPUNGE -------------------------------------------------------


def test_store_flags_and_silent(mail_peer):
    user = mail_peer.new_user()
    mail_peer.deliver(user, message())
    with connect(mail_peer, user) as client:
        client.select_folder("INBOX")
        assert flags_of(client.add_flags([1], [b"\\Flagged", b"$Work"])[1]) == {
            b"\\Flagged",
            b"$Work",
        }
        assert flags_of(client.remove_flags([1], [b"\\Flagged"])[1]) == {b"$Work"}
        assert flags_of(client.set_flags([1], [b"\\Answered", b"\\Seen"])[1]) == {
            b"\\Answered",
            b"\\Seen",
        }
        assert client.add_flags([1], [b"\\Draft"], silent=True) is None
        assert flags_of(client.get_flags([1])[1]) == {b"\\Answered", b"\\Seen", b"\\Draft"}
    raw = Raw(mail_peer)
    try:
        raw.login(user)
        raw.command("SELECT INBOX")
        lines = raw.command("STORE 1 +FLAGS.SILENT (\\Flagged)")
        assert tagged(lines) == b"OK" and not any(b"FETCH" in line for line in lines)
        lines = raw.command("STORE 1 -FLAGS \\Flagged")  # a single flag without parentheses
        assert tagged(lines) == b"OK" and any(b"FETCH" in line for line in lines)
    finally:
        raw.close()


def test_store_unchangedsince_reports_modified(mail_peer):
    user = mail_peer.new_user()
    mail_peer.deliver(user, message("a"))
    mail_peer.deliver(user, message("b"))
    raw = Raw(mail_peer)
    try:
        raw.login(user)
        raw.command("ENABLE CONDSTORE")
        raw.command("SELECT INBOX")
        lines = raw.command("UID FETCH 1:2 (MODSEQ)")
        modseqs = {
            int(m[1]): int(m[2])
            for line in lines
            if (m := re.search(rb"UID (\d+) MODSEQ \((\d+)\)", line))
        }
        assert len(modseqs) == 2
        raw.command("UID STORE 2 +FLAGS (\\Seen)")  # message 2 changes after our snapshot
        lines = raw.command(
            f"UID STORE 1:2 (UNCHANGEDSINCE {max(modseqs.values())}) +FLAGS (\\Flagged)"
        )
        assert tagged(lines) == b"OK"
        assert b"[MODIFIED 2]" in lines[-1], lines
        fetches = [line for line in lines if b"FETCH" in line]
        assert len(fetches) == 1 and b"UID 1" in fetches[0] and b"MODSEQ" in fetches[0]
    finally:
        raw.close()


def test_copy_and_move_with_copyuid(mail_peer):
    user = mail_peer.new_user()
    for i in range(3):
        mail_peer.deliver(user, message(f"m{i}"))
    raw = Raw(mail_peer)
    try:
        raw.login(user)
        raw.command("SELECT INBOX")
        lines = raw.command("UID COPY 1:2 Archive")
        assert tagged(lines) == b"OK"
        assert re.search(rb"\[COPYUID \d+ 1:2 1:2\]", lines[-1]), lines
        lines = raw.command("MOVE 1 Trash")
        assert tagged(lines) == b"OK"
        joined = b"".join(lines)
        assert re.search(rb"COPYUID \d+ 1 1\]", joined), lines
        assert b"* 1 EXPUNGE" in joined
        lines = raw.command("UID MOVE 3 Trash")
        joined = b"".join(lines)
        assert re.search(rb"COPYUID \d+ 3 2\]", joined), lines
        assert b"* 2 EXPUNGE" in joined  # UID 3 was message 2 after the first move
        lines = raw.command("COPY 1 Nowhere")
        assert tagged(lines) == b"NO" and b"TRYCREATE" in lines[-1]
    finally:
        raw.close()
    assert len(mail_peer.messages(user, "Archive")) == 2
    assert len(mail_peer.messages(user, "Trash")) == 2
    assert len(mail_peer.messages(user, "INBOX")) == 1


def test_expunge_uid_expunge_close_unselect(mail_peer):
    user = mail_peer.new_user()
    for i in range(4):
        mail_peer.deliver(user, message(f"m{i}"))
    with connect(mail_peer, user) as client:
        client.select_folder("INBOX")
        client.add_flags([1, 2, 3], [b"\\Deleted"])
        client.uid_expunge([2])
        assert client.search("ALL") == [1, 3, 4]
        client.expunge()
        assert client.search("ALL") == [4]
        client.add_flags([4], [b"\\Deleted"])
        client.unselect_folder()  # no expunge
        client.select_folder("INBOX")
        assert client.search("ALL") == [4]
        client.close_folder()  # expunges
        assert client.folder_status("INBOX", ["MESSAGES"])[b"MESSAGES"] == 0


# -- SEARCH -----------------------------------------------------------------------------


def test_search_keys(mail_peer):
    user = mail_peer.new_user()
    with connect(mail_peer, user) as client:
        dates = [datetime(2026, 1, d, 12, 0, tzinfo=UTC) for d in (5, 10, 15, 20)]
        raws = [
            message(
                "Quarterly report",
                body="numbers inside\r\n",
                Date="Mon, 05 Jan 2026 12:00:00 +0000",
            ),
            message(
                "Lunch plans",
                body="pizza or sushi\r\n",
                From="Zed Zebra <zed@zoo.test>",
                Date="Sat, 10 Jan 2026 12:00:00 +0000",
            ),
            MULTIPART,
            message(
                "=?utf-8?q?Caf=C3=A9_meeting?=",
                body="x" * 3000 + "\r\n",
                X_Priority="1",
                Date="Tue, 20 Jan 2026 12:00:00 +0000",
            ),
        ]
        for raw, when in zip(raws, dates, strict=True):
            append(client, raw, date=when)
        client.select_folder("INBOX")
        client.add_flags([1], [b"\\Seen", b"\\Flagged"])
        client.add_flags([2], [b"\\Answered", b"$Todo"])
        client.add_flags([3], [b"\\Deleted", b"\\Draft"])

        def search(*criteria, charset=None):
            return client.search(list(criteria), charset=charset)

        assert search("ALL") == [1, 2, 3, 4]
        assert search("SEEN") == [1] and search("UNSEEN") == [2, 3, 4]
        assert search("FLAGGED") == [1] and search("UNFLAGGED") == [2, 3, 4]
        assert search("ANSWERED") == [2] and search("UNANSWERED") == [1, 3, 4]
        assert search("DELETED") == [3] and search("UNDELETED") == [1, 2, 4]
        assert search("DRAFT") == [3] and search("UNDRAFT") == [1, 2, 4]
        assert search("KEYWORD", "$Todo") == [2] and search("UNKEYWORD", "$Todo") == [1, 3, 4]
        assert search("FROM", "zebra") == [2]
        assert search("TO", "bob@example.test") == [1, 2, 3, 4]
        assert search("CC", "carol") == [1, 2, 4]
        assert search("SUBJECT", "report") == [1]
        assert search("SUBJECT", "café", charset="UTF-8") == [4]  # RFC 2047 decoded
        assert search("BODY", "sushi") == [2]
        assert search("BODY", "café au lait", charset="UTF-8") == [3]  # QP decoded
        assert search("TEXT", "lunch") == [2]
        assert search("HEADER", "X-Priority", "1") == [4]
        assert search("SINCE", "15-Jan-2026") == [3, 4]
        assert search("BEFORE", "10-Jan-2026") == [1]
        assert search("ON", "10-Jan-2026") == [2]
        assert search("SENTSINCE", "10-Jan-2026") == [2, 3, 4]  # MULTIPART: 3 Mar 2026
        assert search("SENTBEFORE", "10-Jan-2026") == [1]
        assert search("LARGER", "2000") == [4] and search("SMALLER", "2000") == [1, 2, 3]
        assert search("NOT", "SEEN") == [2, 3, 4]
        assert search("OR", "FLAGGED", "ANSWERED") == [1, 2]
        assert search("UID", "2:3") == [2, 3]
        assert search("2:*", "UNSEEN", "NOT", "DELETED") == [2, 4]
        assert search(["OR", "SEEN", "DRAFT"], "UNDELETED") == [1]
        modseq = client.fetch([4], ["MODSEQ"])[4][b"MODSEQ"][0]
        found = client.search(["MODSEQ", str(modseq)])
        assert 4 in found and found.modseq >= modseq
        client.use_uid = False
        assert client.search(["2:3"]) == [2, 3]


# -- CONDSTORE / QRESYNC ------------------------------------------------------------------


def test_condstore_changedsince(mail_peer):
    user = mail_peer.new_user()
    for i in range(3):
        mail_peer.deliver(user, message(f"m{i}"))
    with connect(mail_peer, user) as client:
        client.enable("CONDSTORE")
        info = client.select_folder("INBOX")
        highest = info[b"HIGHESTMODSEQ"]
        client.add_flags([2], [b"\\Seen"])
        changed = client.fetch("1:*", ["FLAGS"], modifiers=[f"CHANGEDSINCE {highest}"])
        assert list(changed) == [2] and b"MODSEQ" in changed[2]
        assert client.folder_status("INBOX", ["HIGHESTMODSEQ"])[b"HIGHESTMODSEQ"] > highest


def test_qresync_select_and_vanished(mail_peer):
    user = mail_peer.new_user()
    for i in range(4):
        mail_peer.deliver(user, message(f"m{i}"))
    raw = Raw(mail_peer)
    try:
        raw.login(user)
        assert b"QRESYNC" in b"".join(raw.command("ENABLE QRESYNC"))
        lines = raw.command("SELECT INBOX")
        uidvalidity = int(re.search(rb"UIDVALIDITY (\d+)", b"".join(lines))[1])
        highest = int(re.search(rb"HIGHESTMODSEQ (\d+)", b"".join(lines))[1])
        raw.command("UID STORE 1 +FLAGS (\\Deleted)")
        raw.command("UID STORE 3 +FLAGS (\\Flagged)")
        lines = raw.command("UID EXPUNGE 1")
        assert b"* VANISHED 1" in b"".join(lines)  # QRESYNC: VANISHED instead of EXPUNGE
        raw.command("UNSELECT")
        lines = raw.command(f"SELECT INBOX (QRESYNC ({uidvalidity} {highest} 1:4))")
        joined = b"".join(lines)
        assert tagged(lines) == b"OK"
        assert b"* VANISHED (EARLIER) 1" in joined
        fetch = [line for line in lines if b"FETCH" in line]
        assert len(fetch) == 1 and b"UID 3" in fetch[0] and b"\\Flagged" in fetch[0]
        lines = raw.command(f"UID FETCH 1:* (FLAGS) (CHANGEDSINCE {highest} VANISHED)")
        joined = b"".join(lines)
        assert b"* VANISHED (EARLIER) 1" in joined and b"UID 3" in joined
        assert b"UID 2 " not in joined
        # QRESYNC with a stale UIDVALIDITY: a plain select, no VANISHED.
        raw.command("UNSELECT")
        lines = raw.command(f"SELECT INBOX (QRESYNC ({uidvalidity + 1} {highest}))")
        assert tagged(lines) == b"OK" and b"VANISHED" not in b"".join(lines)
    finally:
        raw.close()


# -- robustness -------------------------------------------------------------------------


def test_malformed_commands_get_bad_and_session_continues(mail_peer):
    user = mail_peer.new_user()
    mail_peer.deliver(user, message())
    raw = Raw(mail_peer)
    try:
        raw.login(user)
        for bad in (
            "FROBNICATE",
            "FETCH 1 FLAGS",  # no mailbox selected
            "SELECT",
            'LOGIN "unterminated',
        ):
            lines = raw.command(bad)
            assert tagged(lines) == b"BAD", (bad, lines)
        raw.command("SELECT INBOX")
        for bad in ("FETCH", "FETCH 1 (FLAGS", "FETCH x FLAGS", "UID FROB 1", "STORE 1 FLAGZ (x)"):
            lines = raw.command(bad)
            assert tagged(lines) == b"BAD", (bad, lines)
        lines = raw.command("NOOP")
        assert tagged(lines) == b"OK"
        lines = raw.command("FETCH 1 (FLAGS)")
        assert tagged(lines) == b"OK" and b"FETCH" in lines[0]
        assert b"Traceback" not in b"".join(lines)
    finally:
        raw.close()


def test_literal_plus_and_synchronising_literal(mail_peer):
    user = mail_peer.new_user()
    raw = Raw(mail_peer)
    try:
        raw.login(user)
        body = message("literal")
        raw.send(b"a1 APPEND INBOX (\\Seen) {%d+}\r\n" % len(body) + body + b"\r\n")
        assert tagged(raw.until(b"a1")) == b"OK"
        raw.send(b"a2 APPEND INBOX {%d}\r\n" % len(body))
        assert raw.line().startswith(b"+")
        raw.send(body + b"\r\n")
        assert tagged(raw.until(b"a2")) == b"OK"
        raw.send(b"a3 SELECT {5}\r\n")  # a literal where a mailbox name goes
        assert raw.line().startswith(b"+")
        raw.send(b"INBOX\r\n")
        assert tagged(raw.until(b"a3")) == b"OK"
    finally:
        raw.close()
    assert len(mail_peer.messages(user)) == 2


def test_imaplib_mailbox_and_message_commands(mail_peer):
    user = mail_peer.new_user()
    mail_peer.deliver(user, message("one"))
    mail_peer.deliver(user, message("two"))
    imap = imaplib.IMAP4_SSL(
        mail_peer.host, mail_peer.ports.imap_tls, ssl_context=context(mail_peer), timeout=10
    )
    try:
        imap.login(user.login, user.password)
        assert imap.namespace()[0] == "OK"
        assert imap.create("Box")[0] == "OK"
        assert imap.subscribe("Box")[0] == "OK"
        assert any(b'"Box"' in line or line.endswith(b" Box") for line in imap.lsub()[1])
        assert imap.unsubscribe("Box")[0] == "OK"
        assert imap.rename("Box", "Crate")[0] == "OK"
        assert any(line.endswith((b" Crate", b'"Crate"')) for line in imap.list()[1])
        typ, data = imap.select("INBOX", readonly=True)
        assert (typ, data) == ("OK", [b"2"])
        typ, data = imap.select("INBOX")
        assert imap.check()[0] == "OK"
        typ, data = imap.copy("1:2", "Crate")
        assert typ == "OK"
        typ, data = imap.uid("COPY", "2", "Crate")
        assert typ == "OK"
        imap.store("1", "+FLAGS", r"(\Deleted)")
        typ, data = imap.expunge()
        assert typ == "OK" and data == [b"1"]
        imap.uid("STORE", "2", "+FLAGS", r"(\Deleted)")
        typ, data = imap.uid("EXPUNGE", "2")
        assert typ == "OK"
        with pytest.raises(imaplib.IMAP4.error):  # 1:* in an empty mailbox: BAD (as Dovecot)
            imap.fetch("1:*", "(UID)")
        typ, data = imap.search("UTF-8", "ALL")
        assert typ == "OK"
        assert imap.noop()[0] == "OK"
        imap.close()
        typ, data = imap.status("Crate", "(MESSAGES)")
        assert b"MESSAGES 3" in data[0]
        assert imap.delete("Crate")[0] == "OK"
    finally:
        imap.logout()


def test_select_condstore_and_examine_qresync(mail_peer):
    user = mail_peer.new_user()
    mail_peer.deliver(user, message())
    raw = Raw(mail_peer)
    try:
        raw.login(user)
        lines = raw.command("SELECT INBOX (CONDSTORE)")
        joined = b"".join(lines)
        assert tagged(lines) == b"OK" and b"HIGHESTMODSEQ" in joined
        lines = raw.command("STORE 1 +FLAGS (\\Answered)")
        assert b"MODSEQ (" in lines[0]  # CONDSTORE is on: STORE responses carry MODSEQ
        assert tagged(raw.command("ENABLE QRESYNC")) == b"OK"
        validity = int(re.search(rb"UIDVALIDITY (\d+)", joined)[1])
        lines = raw.command(f"EXAMINE INBOX (QRESYNC ({validity} 1))")
        assert tagged(lines) == b"OK" and b"[READ-ONLY]" in lines[-1]
        assert any(b"FETCH" in line and b"\\Answered" in line for line in lines)
    finally:
        raw.close()


def test_rfc822_text_and_authenticate_cancel(mail_peer):
    user = mail_peer.new_user()
    mail_peer.deliver(user, message())
    raw = Raw(mail_peer)
    try:
        raw.send(b"a AUTHENTICATE PLAIN\r\n")
        assert raw.line().startswith(b"+")
        raw.send(b"*\r\n")
        assert tagged(raw.until(b"a")) == b"BAD"
        raw.login(user)
        raw.command("SELECT INBOX")
        lines = raw.command("FETCH 1 (RFC822.TEXT)")
        assert b"RFC822.TEXT {25}\r\nFirst line\r\nsecond line\r\n" in lines[0]
        assert b"\\Seen" in lines[0]  # RFC822.TEXT is not a peek
    finally:
        raw.close()


def test_list_return_status_follows_each_folder(mail_peer):
    """LIST-STATUS (RFC 5819): each selectable folder's STATUS line comes right after its
    LIST line, with what STATUS gives; `\\Subscribed` marks the subscribed ones."""
    user = mail_peer.new_user()
    mail_peer.deliver(user, message("one"))
    with connect(mail_peer, user) as client:
        assert b"LIST-STATUS" in client.capabilities()
        client.create_folder("Quiet")
        client.unsubscribe_folder("Quiet")
        client.subscribe_folder("INBOX")
        expected = client.folder_status("INBOX", ["MESSAGES", "UIDNEXT"])
    raw = Raw(mail_peer)
    try:
        raw.login(user)
        lines = raw.command('LIST "" "*" RETURN (SUBSCRIBED STATUS (MESSAGES UIDNEXT))')
        assert tagged(lines) == b"OK"
        lines = [line.rstrip(b"\r\n") for line in lines]
        listed = [line for line in lines if line.startswith(b"* LIST")]
        statuses = [i for i, line in enumerate(lines) if line.startswith(b"* STATUS")]
        assert len(statuses) == len(listed) >= 2
        for i in statuses:
            name = lines[i].split(b" ")[2].strip(b'"')
            assert lines[i - 1].startswith(b"* LIST") and _listed_name(lines[i - 1]) == name
        inbox = next(lines[i] for i in statuses if b"INBOX" in lines[i].split(b" ")[2])
        assert inbox.endswith(
            b"(MESSAGES %d UIDNEXT %d)" % (expected[b"MESSAGES"], expected[b"UIDNEXT"])
        )
        flags = {_listed_name(line): line.split(b")")[0] for line in listed}
        assert b"\\Subscribed" in flags[b"INBOX"] and b"\\Subscribed" not in flags[b"Quiet"]
    finally:
        raw.close()


def _listed_name(line: bytes) -> bytes:
    return line.rsplit(b" ", 1)[1].strip(b'"')


def test_list_status_can_be_disabled(test_ca):
    with MailServer(
        ca=test_ca, protocols=("imap",), options={"imap": {"disable": ("LIST-STATUS",)}}
    ) as server:
        user = server.new_user()
        with connect(server, user) as client:
            assert b"LIST-STATUS" not in client.capabilities()
        raw = Raw(server)
        try:
            raw.login(user)
            lines = raw.command('LIST "" "*" RETURN (STATUS (MESSAGES))')
            assert tagged(lines) == b"BAD" and not any(b"* STATUS" in line for line in lines)
        finally:
            raw.close()
