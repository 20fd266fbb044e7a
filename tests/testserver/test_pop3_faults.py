"""Each POP3 fault of the bundled server does what testserver/faults.py says."""

from __future__ import annotations

import contextlib
import poplib
import socket
import ssl
import time

import pytest

from testserver.server import MailServer
from tuimail.core.tls import client_context

SERVER_PROTOCOLS = ("pop3",)


def pop3_tls(server, timeout: float = 10) -> poplib.POP3_SSL:
    return poplib.POP3_SSL(
        server.host, server.ports.pop3_tls, context=client_context(server.ca_file), timeout=timeout
    )


def pop3_plain(server) -> poplib.POP3:
    return poplib.POP3(server.host, server.ports.pop3_starttls, timeout=10)


def logged_in(server, user) -> poplib.POP3_SSL:
    client = pop3_tls(server)
    client.user(user.login)
    client.pass_(user.password)
    return client


RAW = b"Subject: fault\r\n\r\n" + b"0123456789" * 50 + b"\r\n"


def test_silent(mail_server) -> None:
    mail_server.faults.add(protocol="pop3", kind="silent")
    with pytest.raises((TimeoutError, socket.timeout)):
        pop3_tls(mail_server, timeout=0.5)


def test_delay(mail_server) -> None:
    mail_server.faults.add(protocol="pop3", kind="delay", delay=0.3)
    start = time.monotonic()
    client = pop3_tls(mail_server)  # the greeting is delayed
    assert time.monotonic() - start >= 0.3
    client.close()


def test_drip_still_delivers_everything(mail_server) -> None:
    user = mail_server.new_user()
    mail_server.deliver(user, RAW)
    mail_server.faults.add(protocol="pop3", kind="drip", chunk=64, delay=0.001)
    client = logged_in(mail_server, user)
    _, lines, _ = client.retr(1)
    assert b"\r\n".join(lines) + b"\r\n" == RAW
    client.quit()


def test_drop_at_command_deletes_nothing(mail_server) -> None:
    user = mail_server.new_user()
    mail_server.deliver(user, RAW)
    mail_server.faults.add(protocol="pop3", kind="drop", command="QUIT", times=1)
    client = logged_in(mail_server, user)
    client.dele(1)
    with pytest.raises((poplib.error_proto, OSError, EOFError)):
        client.quit()
    assert len(mail_server.messages(user)) == 1


def test_drop_after_bytes(mail_server) -> None:
    user = mail_server.new_user()
    mail_server.deliver(user, RAW)
    mail_server.faults.add(protocol="pop3", kind="drop", after_bytes=300)
    client = logged_in(mail_server, user)
    with pytest.raises((poplib.error_proto, OSError, EOFError)):
        client.retr(1)
    client.close()


def test_bye_at_greeting(mail_server) -> None:
    mail_server.faults.add(protocol="pop3", kind="bye", message="[SYS/TEMP] maintenance")
    with pytest.raises(poplib.error_proto) as excinfo:
        pop3_tls(mail_server)
    assert b"maintenance" in excinfo.value.args[0]


def test_bye_at_command(mail_server) -> None:
    user = mail_server.new_user()
    mail_server.faults.add(protocol="pop3", kind="bye", command="STAT")
    client = logged_in(mail_server, user)
    with pytest.raises(poplib.error_proto):
        client.stat()
    with pytest.raises((poplib.error_proto, OSError, EOFError)):
        client.noop()
    client.close()


def test_no_starttls(mail_server) -> None:
    mail_server.faults.add(protocol="pop3", kind="no_starttls")
    client = pop3_plain(mail_server)
    assert "STLS" not in client.capa()
    with pytest.raises(poplib.error_proto):
        client._shortcmd("STLS")
    client.quit()


def test_strip_starttls(mail_server) -> None:
    mail_server.faults.add(protocol="pop3", kind="strip_starttls")
    client = pop3_plain(mail_server)
    assert "STLS" not in client.capa()
    client.quit()


def test_starttls_fail(mail_server) -> None:
    mail_server.faults.add(protocol="pop3", kind="starttls_fail")
    client = pop3_plain(mail_server)
    with pytest.raises((ssl.SSLError, OSError, EOFError)):
        client.stls(context=client_context(mail_server.ca_file))
    with contextlib.suppress(OSError):
        client.close()


@pytest.mark.parametrize("kind", ["inject_before_starttls", "inject_after_starttls"])
def test_injection_around_stls(mail_server, kind: str) -> None:
    mail_server.faults.add(protocol="pop3", kind=kind, data=b"+OK injected\r\n")
    with socket.create_connection((mail_server.host, mail_server.ports.pop3_starttls), 10) as s:
        reader = s.makefile("rb")
        reader.readline()
        s.sendall(b"STLS\r\n")
        first, second = reader.readline(), reader.readline()
    if kind == "inject_before_starttls":
        assert (first, second[:4]) == (b"+OK injected\r\n", b"+OK ")
    else:
        assert (first[:4], second) == (b"+OK ", b"+OK injected\r\n")


def test_plaintext_pipelined_after_stls_is_discarded(mail_server) -> None:
    """Bytes sent after STLS but before the handshake must not run as commands."""
    user = mail_server.new_user()
    with socket.create_connection((mail_server.host, mail_server.ports.pop3_starttls), 10) as s:
        reader = s.makefile("rb")
        reader.readline()
        s.sendall(b"STLS\r\nCAPA\r\n")
        assert reader.readline().startswith(b"+OK")
        tls = client_context(mail_server.ca_file).wrap_socket(s, server_hostname=mail_server.host)
        tls.sendall(f"USER {user.login}\r\n".encode())
        assert tls.recv(100).startswith(b"+OK send PASS")  # not a CAPA listing


def test_no_uidl(mail_server) -> None:
    user = mail_server.new_user()
    mail_server.deliver(user, RAW)
    mail_server.faults.add(protocol="pop3", kind="no_uidl")
    client = logged_in(mail_server, user)
    assert "UIDL" not in client.capa()
    with pytest.raises(poplib.error_proto):
        client.uidl()
    assert client.stat()[0] == 1
    client.quit()


def test_faults_with_times_expire_and_port_filter(mail_server) -> None:
    mail_server.faults.add(protocol="pop3", kind="bye", times=1)
    with pytest.raises(poplib.error_proto):
        pop3_tls(mail_server)
    pop3_tls(mail_server).quit()
    mail_server.faults.add(protocol="pop3", kind="bye", port="starttls")
    pop3_tls(mail_server).quit()
    with pytest.raises(poplib.error_proto):
        pop3_plain(mail_server)


def test_idle_session_is_closed_after_the_timeout(test_ca) -> None:
    options = {"pop3": {"idle_timeout": 0.3}}
    with MailServer(ca=test_ca, protocols=("pop3",), options=options) as server:
        user = server.new_user()
        client = logged_in(server, user)
        assert client.file.readline() == b""  # closed with no reply (not a 10 s timeout)
        client.close()
        assert server.store.lock_maildrop(user.login)  # the lock was released


def test_mbox_status_writes_status_fields_once_after_retr(mail_server) -> None:
    """`mbox_status`: a message RETR'd gets status fields at the end of its header, once
    (kept for later sessions, which LIST it with the new size); the body is untouched.
    `write_status` does the same for "another client read it"."""
    from testserver.pop3 import write_status

    user = mail_server.new_user()
    mail_server.deliver(user, RAW)
    mail_server.deliver(user, RAW)
    mail_server.faults.add(protocol="pop3", kind="mbox_status")
    client = logged_in(mail_server, user)
    before = int(client.list(1).split()[2])
    client.retr(1)
    client.quit()
    client = logged_in(mail_server, user)
    after = int(client.list(1).split()[2])
    client.retr(1)
    assert int(client.list(2).split()[2]) == before
    client.quit()
    first, second = mail_server.messages(user)
    assert first.count(b"\r\nStatus: RO\r\n") == 1 and first.endswith(RAW.split(b"\r\n\r\n")[1])
    assert after == len(first) > before and second == RAW

    uid = mail_server.store.messages(user.login)[1].uid
    assert write_status(mail_server.store, user.login, uid, b"Status: O\r\n") == len(RAW) + 11
    assert write_status(mail_server.store, user.login, uid) == len(RAW) + 11  # once
    assert mail_server.messages(user)[1] == b"Subject: fault\r\nStatus: O\r\n" + RAW[16:]


def test_retr_err_refuses_the_messages_named_and_stays_in_step(mail_server) -> None:
    user = mail_server.new_user()
    mail_server.deliver(user, RAW)
    mail_server.deliver(user, RAW)
    mail_server.faults.add(protocol="pop3", kind="retr_err", data=b"2", message="gone")
    client = logged_in(mail_server, user)
    try:
        assert client.retr(1)[1][0] == b"Subject: fault"
        with pytest.raises(poplib.error_proto, match="-ERR gone"):
            client.retr(2)
        assert client.top(2, 0)[1][0] == b"Subject: fault"  # TOP is not refused
    finally:
        client.quit()
