"""Each SMTP fault of the bundled server does what testserver/faults.py says."""

from __future__ import annotations

import base64
import socket
import time
import uuid

import aiosmtplib
import pytest

from testserver.mailauth import without_trace
from tuimail.core.tls import client_context

SERVER_PROTOCOLS = ("smtp",)


@pytest.fixture
def users(mail_server):
    return mail_server.new_user(), mail_server.new_user()


def raw_message(sender, rcpt) -> bytes:
    return (
        f"From: {sender.email}\r\nTo: {rcpt.email}\r\nSubject: {uuid.uuid4().hex}\r\n\r\nHi.\r\n"
    ).encode()


def client_for(server, port: str = "tls", timeout: float = 10) -> aiosmtplib.SMTP:
    if port == "tls":
        return aiosmtplib.SMTP(
            hostname=server.host,
            port=server.ports.smtp_tls,
            use_tls=True,
            tls_context=client_context(server.ca_file),
            timeout=timeout,
        )
    return aiosmtplib.SMTP(
        hostname=server.host,
        port=server.ports.smtp_starttls,
        start_tls=True,
        tls_context=client_context(server.ca_file),
        timeout=timeout,
    )


async def send(server, sender, rcpts, raw: bytes, port: str = "tls"):
    client = client_for(server, port)
    await client.connect()
    try:
        await client.login(sender.login, sender.password)
        return await client.sendmail(sender.email, [r.email for r in rcpts], raw)
    finally:
        client.close()


async def test_silent(mail_server) -> None:
    mail_server.faults.add(protocol="smtp", kind="silent")
    client = client_for(mail_server, timeout=0.5)
    with pytest.raises((aiosmtplib.SMTPTimeoutError, aiosmtplib.SMTPConnectTimeoutError)):
        await client.connect()


async def test_delay(mail_server, users) -> None:
    mail_server.faults.add(protocol="smtp", kind="delay", delay=0.3)
    client = client_for(mail_server)
    start = time.monotonic()
    await client.connect()
    assert time.monotonic() - start >= 0.3
    client.close()


async def test_drip_still_works(mail_server, users) -> None:
    sender, rcpt = users
    mail_server.faults.add(protocol="smtp", kind="drip", chunk=8, delay=0.001)
    raw = raw_message(sender, rcpt)
    await send(mail_server, sender, [rcpt], raw)
    assert [without_trace(m) for m in mail_server.messages(rcpt)] == [raw]


async def test_drop_at_command(mail_server, users) -> None:
    sender, rcpt = users
    mail_server.faults.add(protocol="smtp", kind="drop", command="DATA")
    with pytest.raises(aiosmtplib.SMTPServerDisconnected):
        await send(mail_server, sender, [rcpt], raw_message(sender, rcpt))
    assert mail_server.messages(rcpt) == []


async def test_drop_after_bytes(mail_server) -> None:
    mail_server.faults.add(protocol="smtp", kind="drop", after_bytes=10)
    client = client_for(mail_server)
    with pytest.raises((aiosmtplib.SMTPConnectError, aiosmtplib.SMTPServerDisconnected)):
        await client.connect()


async def test_bye_at_greeting(mail_server) -> None:
    mail_server.faults.add(protocol="smtp", kind="bye")
    client = client_for(mail_server)
    with pytest.raises(aiosmtplib.SMTPConnectResponseError) as excinfo:
        await client.connect()
    assert excinfo.value.code == 421


async def test_bye_at_command(mail_server, users) -> None:
    sender, rcpt = users
    mail_server.faults.add(protocol="smtp", kind="bye", command="MAIL")
    with pytest.raises(aiosmtplib.SMTPResponseException) as excinfo:
        await send(mail_server, sender, [rcpt], raw_message(sender, rcpt))
    assert excinfo.value.code == 421


async def test_no_starttls_refuses_tls_and_a_careful_client_stops(mail_server) -> None:
    mail_server.faults.add(protocol="smtp", kind="no_starttls")
    client = client_for(mail_server, "starttls")
    with pytest.raises(aiosmtplib.SMTPException):
        await client.connect()  # start_tls=True: no STARTTLS, no connection
    client.close()
    client = aiosmtplib.SMTP(
        hostname=mail_server.host, port=mail_server.ports.smtp_starttls, start_tls=False
    )
    await client.connect()
    await client.ehlo()
    assert not client.supports_extension("starttls")
    assert (await client.execute_command(b"STARTTLS")).code == 454
    client.close()


async def test_strip_starttls_exposes_a_careless_client(mail_server, users) -> None:
    """A stripping attacker: no STARTTLS offered, AUTH offered in clear; the server
    records that the password came in plaintext."""
    sender, _ = users
    mail_server.faults.add(protocol="smtp", kind="strip_starttls")
    client = aiosmtplib.SMTP(
        hostname=mail_server.host, port=mail_server.ports.smtp_starttls, start_tls=False
    )
    await client.connect()
    await client.ehlo()
    assert not client.supports_extension("starttls")
    await client.login(sender.login, sender.password)
    await client.quit()
    [attempt] = mail_server.protocol_server("smtp").auth_log
    assert (attempt.success, attempt.tls, attempt.port) == (True, False, "starttls")


async def test_starttls_fail(mail_server) -> None:
    mail_server.faults.add(protocol="smtp", kind="starttls_fail")
    client = client_for(mail_server, "starttls")
    with pytest.raises((aiosmtplib.SMTPException, OSError)):
        await client.connect()
    client.close()


@pytest.mark.parametrize("kind", ["inject_before_starttls", "inject_after_starttls"])
def test_injection_around_starttls(mail_server, kind: str) -> None:
    mail_server.faults.add(protocol="smtp", kind=kind, data=b"250 injected\r\n")
    with socket.create_connection((mail_server.host, mail_server.ports.smtp_starttls), 10) as s:
        reader = s.makefile("rb")
        reader.readline()
        s.sendall(b"EHLO client.test\r\n")
        while reader.readline()[3:4] == b"-":
            pass
        s.sendall(b"STARTTLS\r\n")
        first, second = reader.readline(), reader.readline()
    if kind == "inject_before_starttls":
        assert (first, second[:4]) == (b"250 injected\r\n", b"220 ")
    else:
        assert (first[:4], second) == (b"220 ", b"250 injected\r\n")


def test_plaintext_pipelined_after_starttls_is_discarded(mail_server, users) -> None:
    sender, _ = users
    token = base64.b64encode(f"\0{sender.login}\0{sender.password}".encode())
    with socket.create_connection((mail_server.host, mail_server.ports.smtp_starttls), 10) as s:
        reader = s.makefile("rb")
        reader.readline()
        s.sendall(b"EHLO client.test\r\n")
        while reader.readline()[3:4] == b"-":
            pass
        s.sendall(b"STARTTLS\r\nAUTH PLAIN " + token + b"\r\n")
        assert reader.readline().startswith(b"220")
        tls = client_context(mail_server.ca_file).wrap_socket(s, server_hostname="127.0.0.1")
        tls.sendall(b"NOOP\r\n")
        assert tls.recv(100).startswith(b"250")  # the NOOP's answer, not an AUTH one
    assert mail_server.protocol_server("smtp").auth_log == []


@pytest.mark.parametrize(
    ("stage", "code"),
    [
        ("CONNECT", 554),
        ("EHLO", 421),
        ("AUTH", 454),
        ("MAIL", 451),
        ("RCPT", 550),
        ("DATA", 452),
        ("EOD", 554),
    ],
)
async def test_reply_at_each_stage(mail_server, users, stage: str, code: int) -> None:
    sender, rcpt = users
    mail_server.faults.add(
        protocol="smtp", kind="reply", command=stage, code=code, message="5.0.0 test says no"
    )
    with pytest.raises(aiosmtplib.SMTPException) as excinfo:
        await send(mail_server, sender, [rcpt], raw_message(sender, rcpt))
    error = excinfo.value
    codes = [r.code for r in getattr(error, "recipients", [])] or [error.code]
    assert codes == [code]
    assert mail_server.messages(rcpt) == []


async def test_reply_at_rcpt_for_one_recipient(mail_server, users) -> None:
    sender, rcpt = users
    other = mail_server.new_user()
    mail_server.faults.add(
        protocol="smtp", kind="reply", command="RCPT", code=452, match=other.email
    )
    raw = raw_message(sender, rcpt)
    errors, _ = await send(mail_server, sender, [rcpt, other], raw)
    assert errors[other.email].code == 452
    assert [without_trace(m) for m in mail_server.messages(rcpt)] == [raw]
    assert mail_server.messages(other) == []


async def test_no_reply_after_data(mail_server, users) -> None:
    sender, rcpt = users
    mail_server.faults.add(protocol="smtp", kind="no_reply_after_data")
    raw = raw_message(sender, rcpt)
    with pytest.raises(aiosmtplib.SMTPServerDisconnected):
        await send(mail_server, sender, [rcpt], raw)
    # The message did get through: the client cannot know (the duplicate case).
    assert [without_trace(m) for m in mail_server.messages(rcpt)] == [raw]


async def test_swallow(mail_server, users) -> None:
    sender, rcpt = users
    mail_server.faults.add(protocol="smtp", kind="swallow")
    errors, response = await send(mail_server, sender, [rcpt], raw_message(sender, rcpt))
    assert errors == {} and response.startswith("2.0.0")
    assert mail_server.messages(rcpt) == []
    [submission] = mail_server.protocol_server("smtp").accepted
    assert submission.delivered is False


async def test_fault_on_one_port_only(mail_server, users) -> None:
    sender, rcpt = users
    mail_server.faults.add(protocol="smtp", kind="bye", port="tls")
    raw = raw_message(sender, rcpt)
    await send(mail_server, sender, [rcpt], raw, port="starttls")
    assert [without_trace(m) for m in mail_server.messages(rcpt)] == [raw]
    with pytest.raises(aiosmtplib.SMTPConnectResponseError):
        await send(mail_server, sender, [rcpt], raw, port="tls")
