"""Bundled-server-only IMAP behaviour: faults, UIDVALIDITY reset, QUOTA, limits, options,
and that no Python error text ever reaches a client."""

from __future__ import annotations

import base64
import contextlib
import imaplib
import socket
import ssl
import time

import pytest
from imapclient.exceptions import IMAPClientError

from tests.testserver.imap_helpers import Raw, append, connect, context, message, tagged
from testserver.imap import fetch as fetchlib
from testserver.server import MailServer

SERVER_PROTOCOLS = ("imap",)


@pytest.fixture
def small_server(test_ca):
    options = {"imap": {"max_literal": 2000, "idle_timeout": 1.0, "disable": ("UNSELECT",)}}
    with MailServer(ca=test_ca, protocols=("imap",), options=options) as server:
        yield server


def read_all(sock: socket.socket, limit: float = 10) -> bytes:
    """Everything the server sends until it closes (or `limit` seconds pass)."""
    sock.settimeout(limit)
    chunks = []
    try:
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    except (TimeoutError, ConnectionError, ssl.SSLError):
        pass
    return b"".join(chunks)


# -- faults -----------------------------------------------------------------------------


def test_silent_server_never_greets(mail_server):
    mail_server.faults.add(protocol="imap", kind="silent", times=1)
    sock = socket.create_connection((mail_server.host, mail_server.ports.imap_tls), timeout=5)
    tls = context(mail_server).wrap_socket(sock, server_hostname=mail_server.host)
    tls.settimeout(0.5)
    with pytest.raises(TimeoutError):
        tls.recv(100)
    tls.close()
    with connect(mail_server) as client:  # the fault was used up
        assert client.welcome.startswith(b"* OK")


def test_delay_and_drip(mail_server):
    user = mail_server.new_user()
    mail_server.faults.add(protocol="imap", kind="delay", delay=0.3, times=1)
    start = time.monotonic()
    with connect(mail_server, user) as client:
        assert time.monotonic() - start >= 0.3
    mail_server.faults.add(protocol="imap", kind="drip", chunk=7, delay=0.002, times=1)
    mail_server.deliver(user, message("dripped"))
    sock = socket.create_connection((mail_server.host, mail_server.ports.imap_tls), timeout=5)
    tls = context(mail_server).wrap_socket(sock, server_hostname=mail_server.host)
    pieces = []
    while b"\r\n" not in b"".join(pieces):
        pieces.append(tls.recv(1000))
    assert max(len(p) for p in pieces) <= 7 and b"".join(pieces).startswith(b"* OK")
    tls.close()
    mail_server.faults.add(protocol="imap", kind="drip", chunk=5, delay=0.0, times=1)
    with connect(mail_server, user) as client:  # a dripped session still works end to end
        client.select_folder("INBOX")
        assert client.fetch([1], ["ENVELOPE"])[1][b"ENVELOPE"].subject == b"dripped"


def test_drop_at_command_and_after_bytes(mail_server):
    user = mail_server.new_user()
    mail_server.faults.add(protocol="imap", kind="drop", command="SELECT", times=1)
    client = connect(mail_server, user)
    with pytest.raises((IMAPClientError, OSError)):
        client.select_folder("INBOX")
    mail_server.faults.add(protocol="imap", kind="drop", after_bytes=10, times=1)
    sock = socket.create_connection((mail_server.host, mail_server.ports.imap_tls), timeout=5)
    tls = context(mail_server).wrap_socket(sock, server_hostname=mail_server.host)
    assert read_all(tls) == b"* OK [CAPA"  # exactly 10 bytes, then the close
    tls.close()


def test_bye_at_greeting_and_at_command(mail_server):
    user = mail_server.new_user()
    mail_server.faults.add(protocol="imap", kind="bye", times=1)
    sock = socket.create_connection((mail_server.host, mail_server.ports.imap_tls), timeout=5)
    tls = context(mail_server).wrap_socket(sock, server_hostname=mail_server.host)
    assert read_all(tls).startswith(b"* BYE")
    tls.close()
    mail_server.faults.add(protocol="imap", kind="bye", command="NOOP", times=1)
    raw = Raw(mail_server)
    try:
        raw.login(user)
        raw.send(b"a NOOP\r\n")
        assert read_all(raw.sock).startswith(b"* BYE")
    finally:
        raw.close()


def test_no_starttls_and_strip_starttls(mail_server):
    user = mail_server.new_user()
    mail_server.faults.add(protocol="imap", kind="no_starttls", port="starttls", times=1)
    raw = Raw(mail_server, tls=False)
    try:
        assert b"STARTTLS" not in raw.greeting
        assert tagged(raw.command("STARTTLS")) == b"BAD"
        assert tagged(raw.command(f'LOGIN "{user.login}" "{user.password}"')) == b"NO"
    finally:
        raw.close()
    mail_server.faults.add(protocol="imap", kind="strip_starttls", port="starttls", times=1)
    imap = imaplib.IMAP4(mail_server.host, mail_server.ports.imap_starttls, timeout=10)
    try:
        assert "STARTTLS" not in imap.capabilities
        # The server itself still refuses a password in clear text.
        with pytest.raises(imaplib.IMAP4.error, match="PRIVACYREQUIRED"):
            imap.login(user.login, user.password)
    finally:
        imap.shutdown()


def test_starttls_fail_and_injection(mail_server):
    mail_server.faults.add(protocol="imap", kind="starttls_fail", times=1)
    imap = imaplib.IMAP4(mail_server.host, mail_server.ports.imap_starttls, timeout=10)
    with pytest.raises((ssl.SSLError, OSError, imaplib.IMAP4.abort)):
        imap.starttls(ssl_context=context(mail_server))
    with contextlib.suppress(OSError):
        imap.shutdown()

    mail_server.faults.add(
        protocol="imap", kind="inject_before_starttls", data=b"* OK [ALERT] injected\r\n", times=1
    )
    raw = Raw(mail_server, tls=False)
    try:
        lines = raw.command("STARTTLS")
        assert lines[0] == b"* OK [ALERT] injected\r\n" and tagged(lines) == b"OK"
    finally:
        raw.close()

    mail_server.faults.add(
        protocol="imap", kind="inject_after_starttls", data=b"* OK plaintext\r\n", times=1
    )
    raw = Raw(mail_server, tls=False)
    try:
        raw.send(b"s STARTTLS\r\n")
        line = b""
        while not line.endswith(b"\n"):  # byte by byte: leave the injection unread
            line += raw.sock.recv(1)
        assert line.startswith(b"s OK")
        with pytest.raises((ssl.SSLError, OSError)):
            context(mail_server).wrap_socket(raw.sock, server_hostname=mail_server.host)
    finally:
        raw.close()


def test_fail_append_and_no_capability(mail_server):
    user = mail_server.new_user()
    mail_server.faults.add(protocol="imap", kind="fail_append", times=1)
    with connect(mail_server, user) as client:
        with pytest.raises(IMAPClientError, match="SERVERBUG"):
            client.append("INBOX", message())
    assert mail_server.messages(user) == []
    mail_server.faults.add(protocol="imap", kind="no_capability", data=b"IDLE", times=1)
    with connect(mail_server, user) as client:
        assert b"IDLE" not in client.capabilities()
        assert b"MOVE" in client.capabilities()


# -- store-side changes -----------------------------------------------------------------


def test_uidvalidity_change_disconnects_the_selected_session(mail_server):
    user = mail_server.new_user()
    mail_server.deliver(user, message())
    raw = Raw(mail_server)
    try:
        raw.login(user)
        old = b"".join(raw.command("SELECT INBOX"))
        mail_server.store.reset_uidvalidity(user.login, "INBOX")
        # Like Dovecot: BYE at once (not only at the next command), then the close.
        assert read_all(raw.sock).startswith(b"* BYE")
    finally:
        raw.close()
    with connect(mail_server, user) as client:
        info = client.select_folder("INBOX")
        assert str(info[b"UIDVALIDITY"]).encode() not in old


def test_uidvalidity_change_while_idling(mail_server):
    user = mail_server.new_user()
    with connect(mail_server, user) as client:
        client.select_folder("INBOX")
        client.idle()
        mail_server.store.reset_uidvalidity(user.login, "INBOX")
        seen = []
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and not any(r and r[0] == b"BYE" for r in seen):
            seen.extend(client.idle_check(timeout=1))
        assert any(r and r[0] == b"BYE" for r in seen), seen


def test_quota(mail_server):
    user = mail_server.new_user()
    raw = Raw(mail_server)
    try:
        raw.login(user)
        lines = raw.command("GETQUOTAROOT INBOX")
        assert lines[0] == b'* QUOTAROOT "INBOX"\r\n' and tagged(lines) == b"OK"
        assert tagged(raw.command('GETQUOTA "User quota"')) == b"NO"
        mail_server.store.user(user.login).quota_kb = 10
        lines = raw.command("GETQUOTAROOT INBOX")
        assert b'* QUOTA "User quota" (STORAGE 0 10)' in b"".join(lines)
        body = message(body="x" * 8000)
        raw.send(b"a APPEND INBOX {%d+}\r\n" % len(body) + body + b"\r\n")
        assert tagged(raw.until(b"a")) == b"OK"
        lines = raw.command('GETQUOTA "User quota"')
        used = -(-len(body) // 1024)  # kB, rounded up
        assert f"(STORAGE {used} 10)".encode() in lines[0]
        raw.send(b"b APPEND INBOX {%d+}\r\n" % len(body) + body + b"\r\n")
        lines = raw.until(b"b")
        assert tagged(lines) == b"NO" and b"OVERQUOTA" in lines[-1]
    finally:
        raw.close()


# -- limits and options -----------------------------------------------------------------


def test_oversize_literal_refused_without_reading_it(small_server):
    user = small_server.new_user()
    raw = Raw(small_server)
    try:
        raw.login(user)
        raw.send(b"a APPEND INBOX {5000}\r\n")  # synchronising: never sent
        lines = raw.until(b"a")
        assert tagged(lines) == b"NO" and b"TOOBIG" in lines[-1]
        assert tagged(raw.command("NOOP")) == b"OK"  # the session goes on
        raw.send(b"b APPEND INBOX {5000+}\r\n" + b"x" * 100)  # non-synchronising: closed
        rest = read_all(raw.sock)
        assert b"b BAD" in rest and b"* BYE" in rest
    finally:
        raw.close()
    assert small_server.messages(user) == []


def test_idle_timeout_and_disabled_capability(small_server):
    user = small_server.new_user()
    raw = Raw(small_server)
    try:
        caps = b"".join(raw.command("CAPABILITY"))
        assert b"UNSELECT" not in caps and b"IDLE" in caps
        raw.login(user)
        raw.command("SELECT INBOX")
        assert tagged(raw.command("UNSELECT")) == b"BAD"
        assert read_all(raw.sock, limit=10).startswith(b"* BYE")  # idle_timeout=1 s
    finally:
        raw.close()


# -- no Python text to clients -----------------------------------------------------------


def test_internal_error_is_not_shown_to_the_client(mail_server, monkeypatch):
    user = mail_server.new_user()
    mail_server.deliver(user, message())

    def broken(message):
        raise RuntimeError("secret internal detail")

    monkeypatch.setattr(fetchlib, "envelope", broken)
    raw = Raw(mail_server)
    try:
        raw.login(user)
        raw.command("SELECT INBOX")
        lines = raw.command("FETCH 1 (ENVELOPE)")
        text = b"".join(lines)
        assert tagged(lines) == b"NO" and b"SERVERBUG" in text
        assert b"secret" not in text and b"Traceback" not in text and b"Error" not in text
        assert tagged(raw.command("FETCH 1 (FLAGS)")) == b"OK"  # the session goes on
    finally:
        raw.close()


NASTY = [
    b"\x00\x01\x02\xff\xfe",
    b"a",
    b"a " + b"(" * 200,
    b"a FETCH 1:* (BODY[" + b"1." * 500 + b"])",
    b"a FETCH 99999999999999999999999 FLAGS",
    b"a SEARCH " + b"NOT " * 300 + b"ALL",
    b"a SEARCH OR",
    b"a SEARCH SINCE 31-Foo-2020",
    b"a STORE 1 +FLAGS (\\Bogus)",
    b'a APPEND INBOX (\\Seen) "not a date" {3}',
    b"a UID FETCH 1:* (BODY.PEEK[HEADER.FIELDS ()])",
    b"a SELECT INBOX (QRESYNC (1 2))",
    b"a LIST",
    b"a STATUS INBOX (BOGUS)",
    b"a AUTHENTICATE PLAIN !!!!",
    b"a FETCH 1 BODY[]<5.x>",
    b"a UID STORE * (UNCHANGEDSINCE x) +FLAGS (\\Seen)",
    b"a ENABLE",
    b"a CREATE &Jjo",
    b"a COPY 1",
]


def test_garbage_never_yields_python_text(mail_server):
    user = mail_server.new_user()
    mail_server.deliver(user, message())
    raw = Raw(mail_server)
    try:
        raw.login(user)
        raw.command("SELECT INBOX")
        received = []
        for line in NASTY:
            raw.send(line + b"\r\n")
            if line.endswith(b"{3}"):
                reply = raw.line()
                received.append(reply)
                if reply.startswith(b"+"):
                    raw.send(b"abc\r\n")
                else:
                    continue
            received.append(raw.line())
            while not (received[-1].startswith(b"a ") or received[-1].startswith(b"* BAD")):
                received.append(raw.line())
        text = b"".join(received)
        for word in (b"Traceback", b"Error:", b"Exception", b'File "', b"line "):
            assert word not in text, text
        assert tagged(raw.command("NOOP")) == b"OK"
        token = base64.b64encode(b"\0x\0y").decode()  # AUTHENTICATE after login: BAD
        assert tagged(raw.command(f"AUTHENTICATE PLAIN {token}")) == b"BAD"
    finally:
        raw.close()


def test_append_then_idle_with_imapclient_literal_plus(mail_server):
    """imapclient uses LITERAL+ when offered; a big APPEND goes through in one go."""
    user = mail_server.new_user()
    big = message(body="y" * 200_000 + "\r\n")
    with connect(mail_server, user) as client:
        uid = append(client, big)
        client.select_folder("INBOX")
        assert client.fetch([uid], ["RFC822.SIZE"])[uid][b"RFC822.SIZE"] == len(big)


def test_real_mail_corpus_fetches_cleanly(mail_server):
    """Every message of the shared corpus: ENVELOPE, BODYSTRUCTURE and every part's
    section come back and parse (imapclient), and SEARCH TEXT runs over them."""
    import re
    from pathlib import Path

    from tests.corpus import CORPUS_DIR

    files = sorted(Path(CORPUS_DIR).glob("*.eml"))
    assert files, f"no corpus in {CORPUS_DIR}"
    user = mail_server.new_user()
    raws = [re.sub(rb"\r?\n", b"\r\n", f.read_bytes()) for f in files]
    mail_server.store.bulk_append(user.login, "INBOX", [(raw, (), None) for raw in raws])
    with connect(mail_server, user, timeout=60) as client:
        client.select_folder("INBOX", readonly=True)
        data = client.fetch("1:*", ["RFC822.SIZE", "ENVELOPE", "BODYSTRUCTURE"])
        assert len(data) == len(raws)
        for uid, raw in zip(sorted(data), raws, strict=True):
            assert data[uid][b"RFC822.SIZE"] == len(raw)
        parts = client.fetch("1:*", ["BODY.PEEK[1]", "BODY.PEEK[HEADER]", "BODY.PEEK[TEXT]"])
        for uid, raw in zip(sorted(parts), raws, strict=True):
            assert parts[uid][b"BODY[HEADER]"] + parts[uid][b"BODY[TEXT]"] == raw
        assert client.search(["TEXT", "the"])


def test_disabled_capabilities_are_gone_in_word_and_deed(test_ca):
    """For client fallbacks: a server without CONDSTORE/QRESYNC/MOVE/IDLE/UIDPLUS/QUOTA."""
    disabled = ("CONDSTORE", "QRESYNC", "MOVE", "IDLE", "UIDPLUS", "QUOTA", "SPECIAL-USE")
    options = {"imap": {"disable": disabled}}
    with MailServer(ca=test_ca, protocols=("imap",), options=options) as server:
        user = server.new_user()
        server.deliver(user, message())
        raw = Raw(server)
        try:
            raw.login(user)
            caps = b"".join(raw.command("CAPABILITY")).split()
            for name in disabled:
                assert name.encode() not in caps
            lines = raw.command("SELECT INBOX")
            assert b"HIGHESTMODSEQ" not in b"".join(lines)
            for command in (
                "FETCH 1 (MODSEQ)",
                "UID FETCH 1:* (FLAGS) (CHANGEDSINCE 1)",
                "STORE 1 (UNCHANGEDSINCE 1) +FLAGS (\\Seen)",
                "MOVE 1 Trash",
                "UID MOVE 1 Trash",
                "UID EXPUNGE 1",
                "IDLE",
                "GETQUOTAROOT INBOX",
                "SEARCH MODSEQ 1",
                "STATUS INBOX (HIGHESTMODSEQ)",
            ):
                assert tagged(raw.command(command)) == b"BAD", command
            assert b"ENABLED\r\n" in b"".join(raw.command("ENABLE CONDSTORE QRESYNC"))
            lines = raw.command('LIST "" "Sent"')
            assert b"\\Sent" not in lines[0]
            lines = raw.command("COPY 1 Trash")
            assert tagged(lines) == b"OK" and b"COPYUID" not in lines[-1]
            lines = raw.command("APPEND INBOX {3+}\r\nabc")
            assert tagged(lines) == b"OK" and b"APPENDUID" not in lines[-1]
        finally:
            raw.close()


def test_overlong_command_line_is_refused(mail_server):
    """A 1 MB line without an end: BYE and close (the close may arrive as a reset, since
    the rest of the line is never read), and the server goes on serving others."""
    raw = Raw(mail_server)
    try:
        with contextlib.suppress(OSError):
            raw.sock.sendall(b"a NOOP " + b"x" * (1024 * 1024 + 10))
        received = read_all(raw.sock)
        assert received == b"" or received.startswith(b"* BYE"), received[:100]
    finally:
        raw.close()
    with connect(mail_server) as client:
        assert client.noop()
