"""SMTP submission both test beds must show, with aiosmtplib and verified TLS.

Standard behaviour runs against `mail_peer` (bundled and Postfix); the bundled server's
own guarantees (exact bytes, outbound recording, unknown local users) use `mail_server`.
"""

from __future__ import annotations

import base64
import socket
import ssl
import uuid

import aiosmtplib
import pytest

from testserver.mailauth import without_trace
from tuimail.core.tls import client_context

SERVER_PROTOCOLS = ("smtp",)


def make_message(sender: str, rcpt: str, body: bytes = b"Hello.\r\n") -> tuple[bytes, str]:
    token = uuid.uuid4().hex
    raw = (
        f"From: {sender}\r\nTo: {rcpt}\r\nSubject: test {token}\r\n"
        f"Message-ID: <{token}@example.test>\r\n\r\n"
    ).encode() + body
    return raw, token


def starttls_client(peer, **kwargs) -> aiosmtplib.SMTP:
    return aiosmtplib.SMTP(
        hostname=peer.host,
        port=peer.ports.smtp_starttls,
        start_tls=kwargs.pop("start_tls", True),
        tls_context=client_context(peer.ca_file),
        timeout=kwargs.pop("timeout", 10),
        **kwargs,
    )


def tls_client(peer, **kwargs) -> aiosmtplib.SMTP:
    return aiosmtplib.SMTP(
        hostname=peer.host,
        port=peer.ports.smtp_tls,
        use_tls=True,
        tls_context=client_context(peer.ca_file),
        timeout=kwargs.pop("timeout", 10),
        **kwargs,
    )


def plain_token(user) -> str:
    return base64.b64encode(f"\0{user.login}\0{user.password}".encode()).decode()


# -- TLS and authentication -----------------------------------------------------------


async def test_starttls_port_offers_auth_only_after_tls(mail_peer) -> None:
    client = starttls_client(mail_peer, start_tls=False)
    await client.connect()
    try:
        await client.ehlo()
        assert client.supports_extension("starttls")
        assert not client.supports_extension("auth")
        await client.starttls()
        await client.ehlo()
        assert {"PLAIN", "LOGIN"} <= set(client.server_auth_methods) | {
            m.upper() for m in client.server_auth_methods
        }
    finally:
        client.close()


async def test_auth_refused_before_tls(mail_peer) -> None:
    user = mail_peer.new_user()
    client = starttls_client(mail_peer, start_tls=False)
    await client.connect()
    try:
        await client.ehlo()
        response = await client.execute_command(b"AUTH", b"PLAIN", plain_token(user).encode())
        assert 500 <= response.code < 600
        response = await client.noop()  # the session goes on
        assert response.code == 250
    finally:
        client.close()


async def test_mail_without_auth_is_refused(mail_peer) -> None:
    user = mail_peer.new_user()
    raw, _ = make_message(user.email, user.email)
    client = tls_client(mail_peer)
    await client.connect()
    try:
        with pytest.raises(aiosmtplib.SMTPException):
            await client.sendmail(user.email, [user.email], raw)
    finally:
        client.close()


async def test_wrong_password_then_right_one(mail_peer) -> None:
    user = mail_peer.new_user()
    client = tls_client(mail_peer)
    await client.connect()
    try:
        with pytest.raises(aiosmtplib.SMTPAuthenticationError):
            await client.login(user.login, user.password + "x")
        await client.login(user.login, user.password)
    finally:
        await client.quit()


@pytest.mark.parametrize("method", ["auth_plain", "auth_login"])
async def test_plain_and_login_mechanisms(mail_peer, method: str) -> None:
    user = mail_peer.new_user()
    client = starttls_client(mail_peer)
    await client.connect()
    try:
        await client.ehlo()  # RFC 3207: the client must EHLO again after STARTTLS
        response = await getattr(client, method)(user.login, user.password)
        assert response.code == 235
    finally:
        await client.quit()


async def test_certificate_is_verified(mail_peer) -> None:
    client = aiosmtplib.SMTP(
        hostname=mail_peer.host,
        port=mail_peer.ports.smtp_tls,
        use_tls=True,
        tls_context=ssl.create_default_context(),  # without the test CA
        timeout=10,
    )
    with pytest.raises(aiosmtplib.SMTPConnectError) as excinfo:
        await client.connect()
    assert isinstance(excinfo.value.__cause__, ssl.SSLCertVerificationError)


# -- delivery ---------------------------------------------------------------------------


@pytest.mark.parametrize("port", ["starttls", "tls"])
async def test_delivery_to_local_user(mail_peer, port: str) -> None:
    sender, rcpt = mail_peer.new_user(), mail_peer.new_user()
    raw, token = make_message(sender.email, rcpt.email)
    client = starttls_client(mail_peer) if port == "starttls" else tls_client(mail_peer)
    await client.connect()
    await client.login(sender.login, sender.password)
    errors, _ = await client.sendmail(sender.email, [rcpt.email], raw)
    await client.quit()
    assert errors == {}
    got = mail_peer.wait_for_message(rcpt, lambda m: token.encode() in m, timeout=10)
    assert got.endswith(b"\r\n\r\nHello.\r\n")


async def test_malformed_commands_answered_and_session_continues(mail_peer) -> None:
    user = mail_peer.new_user()
    client = tls_client(mail_peer)
    await client.connect()
    try:
        await client.ehlo()
        await client.login(user.login, user.password)
        for command in (b"FROBNICATE", b"MAIL FROM:nonsense<", b"RCPT TO:<a@example.test>"):
            response = await client.execute_command(command)
            assert 500 <= response.code < 600, (command, response)
        assert (await client.noop()).code == 250
    finally:
        await client.quit()


# -- the bundled server's own guarantees -------------------------------------------------


def test_message_bytes_kept_exactly(mail_server) -> None:
    """Dots, a lone CR and 8-bit bytes arrive unchanged (clients libraries would
    normalize the lone CR, so this speaks SMTP on a raw socket)."""
    sender, rcpt = mail_server.new_user(), mail_server.new_user()
    body = b".\r\n..\r\n.leading dot\r\nlone\rCR\r\n\xc3\xa9 8bit\r\n"
    raw, _ = make_message(sender.email, rcpt.email, body)
    stuffed = raw.replace(b"\r\n.", b"\r\n..")
    with socket.create_connection((mail_server.host, mail_server.ports.smtp_tls), 10) as s:
        sock = client_context(mail_server.ca_file).wrap_socket(s, server_hostname="127.0.0.1")
        reader = sock.makefile("rb")

        def command(line: bytes) -> bytes:
            sock.sendall(line + b"\r\n")
            while (reply := reader.readline())[3:4] == b"-":
                pass
            return reply

        assert reader.readline().startswith(b"220")
        assert command(b"EHLO client.test").startswith(b"250")
        assert command(b"AUTH PLAIN " + plain_token(sender).encode()).startswith(b"235")
        assert command(f"MAIL FROM:<{sender.email}> BODY=8BITMIME".encode()).startswith(b"250")
        assert command(f"RCPT TO:<{rcpt.email}>".encode()).startswith(b"250")
        assert command(b"DATA").startswith(b"354")
        assert command(stuffed + b".").startswith(b"250")
        assert command(b"QUIT").startswith(b"221")
    assert [without_trace(m) for m in mail_server.messages(rcpt)] == [raw]
    [submission] = mail_server.protocol_server("smtp").accepted
    assert (submission.login, submission.tls, submission.port) == (sender.login, True, "tls")


async def test_non_local_recipients_recorded_not_relayed(mail_server) -> None:
    sender, local = mail_server.new_user(), mail_server.new_user()
    raw, _ = make_message(sender.email, "someone@elsewhere.invalid")
    client = starttls_client(mail_server)
    await client.connect()
    await client.login(sender.login, sender.password)
    await client.sendmail(sender.email, ["someone@elsewhere.invalid", local.email], raw)
    await client.quit()
    assert mail_server.outbound == [(sender.email, "someone@elsewhere.invalid", raw)]
    assert [without_trace(m) for m in mail_server.messages(local)] == [raw]
    assert mail_server.messages(sender) == []


async def test_unknown_local_user_refused_at_rcpt(mail_server) -> None:
    sender = mail_server.new_user()
    raw, _ = make_message(sender.email, "nobody@example.test")
    client = tls_client(mail_server)
    await client.connect()
    await client.login(sender.login, sender.password)
    with pytest.raises(aiosmtplib.SMTPRecipientsRefused) as excinfo:
        await client.sendmail(sender.email, ["nobody@example.test"], raw)
    assert excinfo.value.recipients[0].code == 550
    await client.quit()
    assert mail_server.outbound == []


async def test_auth_log_records_logins_without_passwords(mail_server) -> None:
    user = mail_server.new_user()
    client = starttls_client(mail_server)
    await client.connect()
    with pytest.raises(aiosmtplib.SMTPAuthenticationError):
        await client.login(user.login, "wrong")
    await client.login(user.login, user.password)
    await client.quit()
    log = mail_server.protocol_server("smtp").auth_log
    assert {(a.login, a.success, a.tls) for a in log[:-1]} == {(user.login, False, True)}
    assert (log[-1].login, log[-1].success, log[-1].port) == (user.login, True, "starttls")
    assert user.password not in repr(log)


async def test_no_exception_text_reaches_the_client(mail_server) -> None:
    user = mail_server.new_user()
    client = tls_client(mail_server)
    await client.connect()
    await client.ehlo()
    await client.login(user.login, user.password)
    replies = []
    for command in (
        b"MAIL FROM:<" + b"a" * 3000 + b"@x>",
        b"MAIL FROM:<a@example.test> SIZE=abc",
        b"MAIL FROM:<a@example.test> BODY=9BIT",
        b"AUTH PLAIN",
        b"\xff\xfe",
        b"HELP",
        b"VRFY x",
        b"EXPN x",
    ):
        replies.append(await client.execute_command(command))
    assert (await client.noop()).code == 250
    await client.quit()
    text = " ".join(r.message for r in replies)
    assert "Traceback" not in text and "Error: (" not in text


async def test_concurrent_submissions_all_delivered(mail_server) -> None:
    import asyncio

    sender, rcpt = mail_server.new_user(), mail_server.new_user()

    async def one(n: int) -> None:
        raw, _ = make_message(sender.email, rcpt.email, f"number {n}\r\n".encode())
        client = starttls_client(mail_server)
        await client.connect()
        await client.login(sender.login, sender.password)
        await client.sendmail(sender.email, [rcpt.email], raw)
        await client.quit()

    await asyncio.gather(*(one(n) for n in range(10)))
    stored = mail_server.store.messages(rcpt.login)
    assert len(stored) == 10
    assert len({m.uid for m in stored}) == 10
    assert {m.raw.split(b"\r\n\r\n")[1] for m in stored} == {
        f"number {n}\r\n".encode() for n in range(10)
    }
