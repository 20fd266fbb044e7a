"""POP3 behaviour both test beds must show, with stdlib poplib and verified TLS.

The standard behaviour runs against `mail_peer` (the bundled server and Dovecot); the
bundled server's own extras (maildrop lock, \\Seen at QUIT) use `mail_server`.
"""

from __future__ import annotations

import base64
import poplib
import socket
import ssl

import pytest

from tuimail.core.tls import client_context

poplib._MAXLINE = max(poplib._MAXLINE, 1 << 20)  # real mail has long lines (DESIGN.md)


SERVER_PROTOCOLS = ("pop3",)


def message(subject: str, body: str = "Hello.\r\n") -> bytes:
    return (
        f"From: Sender <sender@example.test>\r\nTo: rcpt@example.test\r\n"
        f"Subject: {subject}\r\nMessage-ID: <{subject.replace(' ', '.')}@example.test>\r\n"
        f"\r\n{body}"
    ).encode()


def pop3_tls(peer) -> poplib.POP3_SSL:
    return poplib.POP3_SSL(
        peer.host, peer.ports.pop3_tls, context=client_context(peer.ca_file), timeout=10
    )


def login(peer, user) -> poplib.POP3_SSL:
    client = pop3_tls(peer)
    client.user(user.login)
    client.pass_(user.password)
    return client


def capa(client: poplib.POP3) -> set[str]:
    return set(client.capa())


# -- connection, TLS and authentication ----------------------------------------------


def test_capa_on_tls_port(mail_peer) -> None:
    client = pop3_tls(mail_peer)
    try:
        assert client.getwelcome().startswith(b"+OK")
        caps = capa(client)
        assert {"USER", "TOP", "UIDL"} <= caps
        assert "STLS" not in caps
    finally:
        client.quit()


def test_stls_port_offers_stls_and_no_user_before_tls(mail_peer) -> None:
    client = poplib.POP3(mail_peer.host, mail_peer.ports.pop3_starttls, timeout=10)
    try:
        caps = capa(client)
        assert "STLS" in caps and "USER" not in caps
        client.stls(context=client_context(mail_peer.ca_file))
        caps = capa(client)
        assert "USER" in caps and "STLS" not in caps
        user = mail_peer.new_user()
        client.user(user.login)
        client.pass_(user.password)
        assert client.stat() == (0, 0)
    finally:
        client.quit()


def test_user_pass_refused_before_tls(mail_peer) -> None:
    user = mail_peer.new_user()
    client = poplib.POP3(mail_peer.host, mail_peer.ports.pop3_starttls, timeout=10)
    try:
        with pytest.raises(poplib.error_proto):
            client.user(user.login)
            client.pass_(user.password)
        with pytest.raises(poplib.error_proto):
            client.stat()  # not logged in
    finally:
        client.close()


def test_auth_plain_refused_before_tls(mail_peer) -> None:
    user = mail_peer.new_user()
    token = base64.b64encode(f"\0{user.login}\0{user.password}".encode()).decode()
    client = poplib.POP3(mail_peer.host, mail_peer.ports.pop3_starttls, timeout=10)
    try:
        with pytest.raises(poplib.error_proto):
            client._shortcmd(f"AUTH PLAIN {token}")
        with pytest.raises(poplib.error_proto):
            client.stat()
    finally:
        client.close()


def test_auth_plain_after_tls(mail_peer) -> None:
    user = mail_peer.new_user()
    token = base64.b64encode(f"\0{user.login}\0{user.password}".encode()).decode()
    client = pop3_tls(mail_peer)
    try:
        assert client._shortcmd(f"AUTH PLAIN {token}").startswith(b"+OK")
        assert client.stat() == (0, 0)
    finally:
        client.quit()


def test_wrong_password_then_right_one(mail_peer) -> None:
    user = mail_peer.new_user()
    client = pop3_tls(mail_peer)
    try:
        client.user(user.login)
        with pytest.raises(poplib.error_proto) as excinfo:
            client.pass_(user.password + "x")
        assert str(excinfo.value).startswith("b'-ERR")
        client.user(user.login)
        client.pass_(user.password)
        assert client.stat() == (0, 0)
    finally:
        client.quit()


def test_certificate_is_verified(mail_peer) -> None:
    with pytest.raises(ssl.SSLCertVerificationError):
        poplib.POP3_SSL(
            mail_peer.host,
            mail_peer.ports.pop3_tls,
            context=ssl.create_default_context(),  # without the test CA
            timeout=10,
        )


# -- the maildrop ------------------------------------------------------------------------


def test_stat_list_uidl_retr_top(mail_peer) -> None:
    user = mail_peer.new_user()
    body = "".join(f"line {i}\r\n" for i in range(1, 11))
    raws = [message("first", body), message("second")]
    for raw in raws:
        mail_peer.deliver(user, raw)
    client = login(mail_peer, user)
    try:
        count, total = client.stat()
        assert count == 2
        response, listing, _ = client.list()
        sizes = {int(n): int(s) for n, s in (entry.split() for entry in listing)}
        assert set(sizes) == {1, 2} and sum(sizes.values()) == total
        assert int(client.list(1).split()[2]) == sizes[1]
        _, lines, _ = client.retr(1)
        assert b"\r\n".join(lines) + b"\r\n" == raws[0]
        assert len(raws[0]) == sizes[1]
        _, lines, _ = client.top(1, 3)
        text = b"\r\n".join(lines)
        assert b"Subject: first" in text
        assert text.endswith(b"\r\n\r\nline 1\r\nline 2\r\nline 3")
        _, lines, _ = client.top(2, 0)
        assert b"Hello." not in b"\r\n".join(lines) and b"Subject: second" in b"\r\n".join(lines)
        _, uidls, _ = client.uidl()
        ids = dict(entry.split() for entry in uidls)
        assert len(set(ids.values())) == 2
        assert client.uidl(2).split()[2] == ids[b"2"]
        assert client.noop().startswith(b"+OK")
    finally:
        client.quit()


def test_dot_stuffing_and_crlf_on_the_wire(mail_peer) -> None:
    user = mail_peer.new_user()
    body = ".\r\n..\r\n.hidden\r\nend\r\n"
    raw = message("dots", body)
    mail_peer.deliver(user, raw)
    client = login(mail_peer, user)
    try:
        _, lines, _ = client.retr(1)
        assert b"\r\n".join(lines) + b"\r\n" == raw
    finally:
        client.quit()


def test_lf_stored_message_is_sent_with_crlf(mail_server) -> None:
    user = mail_server.new_user()
    mail_server.deliver(user, b"Subject: lf\n\nline one\n.dot\n")
    with socket.create_connection((mail_server.host, mail_server.ports.pop3_tls), 10) as raw:
        sock = client_context(mail_server.ca_file).wrap_socket(
            raw, server_hostname=mail_server.host
        )
        reader = sock.makefile("rb")
        reader.readline()
        sock.sendall(f"USER {user.login}\r\nPASS {user.password}\r\nRETR 1\r\n".encode())
        assert reader.readline().startswith(b"+OK")
        assert reader.readline().startswith(b"+OK")
        assert reader.readline().startswith(b"+OK")
        lines = []
        while (line := reader.readline()) != b".\r\n":
            lines.append(line)
        assert lines == [b"Subject: lf\r\n", b"\r\n", b"line one\r\n", b"..dot\r\n"]
        sock.sendall(b"QUIT\r\n")


def test_dele_applies_only_at_quit(mail_peer) -> None:
    user = mail_peer.new_user()
    for name in ("one", "two", "three"):
        mail_peer.deliver(user, message(name))
    client = login(mail_peer, user)
    client.dele(2)
    assert client.stat()[0] == 2
    with pytest.raises(poplib.error_proto):
        client.retr(2)
    with pytest.raises(poplib.error_proto):
        client.dele(2)
    assert len(mail_peer.messages(user)) == 3  # not yet
    client.quit()
    subjects = [m.split(b"Subject: ")[1].split(b"\r\n")[0] for m in mail_peer.messages(user)]
    assert subjects == [b"one", b"three"]


def test_rset_undeletes(mail_peer) -> None:
    user = mail_peer.new_user()
    mail_peer.deliver(user, message("keep me"))
    client = login(mail_peer, user)
    client.dele(1)
    client.rset()
    assert client.stat()[0] == 1
    client.quit()
    assert len(mail_peer.messages(user)) == 1


def test_dropped_connection_deletes_nothing(mail_peer) -> None:
    user = mail_peer.new_user()
    mail_peer.deliver(user, message("survivor"))
    client = login(mail_peer, user)
    client.dele(1)
    client.close()  # no QUIT
    # A new session can log in (the lock is gone) and still sees the message.
    client = _login_retrying(mail_peer, user)
    try:
        assert client.stat()[0] == 1
    finally:
        client.quit()
    assert len(mail_peer.messages(user)) == 1


def _login_retrying(peer, user, attempts: int = 50) -> poplib.POP3_SSL:
    """Log in; a server may need a moment to notice the previous session is gone."""
    import time

    for _ in range(attempts):
        try:
            return login(peer, user)
        except poplib.error_proto as exc:
            if b"IN-USE" not in exc.args[0]:
                raise
            time.sleep(0.1)
    return login(peer, user)


def test_uidl_stable_and_numbers_fixed_for_the_session(mail_peer) -> None:
    user = mail_peer.new_user()
    for name in ("a", "b", "c"):
        mail_peer.deliver(user, message(name))
    client = login(mail_peer, user)
    _, first, _ = client.uidl()
    ids = [entry.split()[1] for entry in first]
    mail_peer.deliver(user, message("d"))  # arrives during the session
    assert client.stat()[0] == 3
    client.dele(1)
    client.quit()
    client = login(mail_peer, user)
    try:
        _, second, _ = client.uidl()
        ids2 = [entry.split()[1] for entry in second]
        assert ids2[:2] == ids[1:]  # same messages, same UIDL, new numbers
        assert len(ids2) == 3 and ids2[2] not in ids
    finally:
        client.quit()


def test_malformed_commands_answered_and_session_continues(mail_peer) -> None:
    user = mail_peer.new_user()
    mail_peer.deliver(user, message("x"))
    client = login(mail_peer, user)
    try:
        for bad in ("FROB", "RETR", "RETR abc", "RETR 0", "RETR 99", "TOP 1", "LIST x", "DELE"):
            with pytest.raises(poplib.error_proto) as excinfo:
                client._shortcmd(bad)
            assert excinfo.value.args[0].startswith(b"-ERR")
        assert client.stat()[0] == 1
    finally:
        client.quit()


@pytest.mark.parametrize("commands", [("STAT", "LIST"), ("UIDL", "RETR 1"), ("DELE 1", "TOP 1 0")])
def test_transaction_commands_need_login(mail_peer, commands) -> None:
    # Two per connection: Dovecot hangs up after three bad commands before login.
    client = pop3_tls(mail_peer)
    try:
        for command in commands:
            with pytest.raises(poplib.error_proto):
                client._shortcmd(command)
    finally:
        client.quit()


# -- the bundled server's own guarantees -----------------------------------------------


def test_maildrop_lock(mail_server) -> None:
    user = mail_server.new_user()
    first = login(mail_server, user)
    second = pop3_tls(mail_server)
    second.user(user.login)
    with pytest.raises(poplib.error_proto) as excinfo:
        second.pass_(user.password)
    assert b"[IN-USE]" in excinfo.value.args[0]
    first.quit()
    second.user(user.login)
    second.pass_(user.password)
    second.quit()


def test_retr_sets_seen_at_quit_and_pop3_sees_the_store_inbox(mail_server) -> None:
    user = mail_server.new_user()
    mail_server.store.append(user.login, "INBOX", message("seen"))
    mail_server.store.append(user.login, "Archive", message("elsewhere"))
    client = login(mail_server, user)
    assert client.stat()[0] == 1
    client.retr(1)
    assert mail_server.store.messages(user.login)[0].flags == set()
    client.quit()
    assert mail_server.store.messages(user.login)[0].flags == {"\\Seen"}


def test_uidl_format(mail_server) -> None:
    user = mail_server.new_user()
    _, uid = mail_server.store.append(user.login, "INBOX", message("u"))
    uidvalidity = mail_server.store.folder(user.login, "INBOX").uidvalidity
    client = login(mail_server, user)
    try:
        assert client.uidl(1).split()[2] == f"{uidvalidity}-{uid}".encode()
    finally:
        client.quit()


def test_long_line_and_garbage_never_get_a_traceback(mail_server) -> None:
    user = mail_server.new_user()
    mail_server.deliver(user, message("x"))
    with socket.create_connection((mail_server.host, mail_server.ports.pop3_tls), 10) as raw:
        sock = client_context(mail_server.ca_file).wrap_socket(
            raw, server_hostname=mail_server.host
        )
        reader = sock.makefile("rb")
        replies = [reader.readline()]
        commands = [
            b"X" * 20000 + b"\r\n",
            b"\xff\xfe\x00\r\n",
            b"\r\n",
            b"USER\r\n",
            b"PASS nothing\r\n",
            b"AUTH PLAIN !!!\r\n",
            b"AUTH FOO\r\n",
            f"USER {user.login}\r\n".encode(),
            f"PASS {user.password}\r\n".encode(),
            b"TOP 1 -1\r\n",
            b"LIST 1 2\r\n",
            b"STLS\r\n",
            b"USER again\r\n",
            b"STAT\r\n",
        ]
        for command in commands:
            sock.sendall(command)
            replies.append(reader.readline())
        sock.sendall(b"QUIT\r\n")
        replies.append(reader.readline())
    assert all(r.startswith((b"+OK", b"-ERR")) for r in replies), replies
    assert replies[-2].startswith(b"+OK 1 ")  # STAT: the session went on
    assert not any(b"Traceback" in r or b"Error" in r for r in replies)


def test_message_removed_elsewhere_during_the_session(mail_server) -> None:
    user = mail_server.new_user()
    _, uid = mail_server.store.append(user.login, "INBOX", message("gone"))
    mail_server.store.append(user.login, "INBOX", message("stays"))
    client = login(mail_server, user)
    try:
        mail_server.store.remove(user.login, "INBOX", [uid])  # e.g. an IMAP EXPUNGE
        with pytest.raises(poplib.error_proto):
            client.retr(1)
        _, lines, _ = client.retr(2)
        assert b"Subject: stays" in lines
    finally:
        client.quit()


def test_uidvalidity_change_during_the_session_deletes_nothing(mail_server) -> None:
    user = mail_server.new_user()
    mail_server.store.append(user.login, "INBOX", message("one"))
    mail_server.store.append(user.login, "INBOX", message("two"))
    client = login(mail_server, user)
    client.dele(1)
    mail_server.store.reset_uidvalidity(user.login, "INBOX")
    client.quit()
    assert len(mail_server.messages(user)) == 2
