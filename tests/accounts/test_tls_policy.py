"""One connection policy (tls.py): the pin and ALPN are checked inside every handshake,
so no caller can skip them. Real sockets against the bundled server."""

from __future__ import annotations

import asyncio
import socket
import ssl

import aiosmtplib
import pytest

from testserver.server import MailServer
from tuimail import detect_words
from tuimail.core.account import ServerSettings
from tuimail.core.connect import open_imap, open_pop3, smtp_kwargs
from tuimail.core.tls import (
    ALPNMismatchError,
    CertificatePinError,
    client_context,
    inspection_context,
    mail_context,
    spki_sha256,
)


def _der(server, port: int) -> bytes:
    return ssl.PEM_cert_to_DER_cert(ssl.get_server_certificate((server.host, port)))


def _raw_handshake(server, port: int, context: ssl.SSLContext) -> ssl.SSLSocket:
    sock = socket.create_connection((server.host, port), timeout=10)
    return context.wrap_socket(sock, server_hostname="localhost")


@pytest.mark.parametrize(
    ("protocol", "opener"), [("imap", open_imap), ("pop3", open_pop3)], ids=["imap", "pop3"]
)
def test_alpn_offered_and_selected_on_implicit_tls(test_ca, protocol, opener) -> None:
    with MailServer(ca=test_ca, protocols=("imap", "pop3")) as server:
        port = getattr(server.ports, f"{protocol}_tls")
        conn = opener(ServerSettings("localhost", port, "tls"), server.ca_file, 10)
        sock = conn.socket() if protocol == "imap" else conn.sock
        assert sock.selected_alpn_protocol() == protocol
        conn.logout() if protocol == "imap" else conn.quit()


def test_alpn_not_offered_on_starttls(imap_pop3_server) -> None:
    p = imap_pop3_server.ports
    settings = ServerSettings("localhost", p.imap_starttls, "starttls")
    client = open_imap(settings, imap_pop3_server.ca_file, 10)
    assert client.socket().selected_alpn_protocol() is None
    client.logout()


def test_server_without_alpn_still_works(test_ca) -> None:
    """Most servers (Dovecot, Postfix) select no protocol: that is accepted."""
    with MailServer(ca=test_ca, protocols=("imap",), alpn={"imap": ()}) as server:
        settings = ServerSettings("localhost", server.ports.imap_tls, "tls")
        client = open_imap(settings, server.ca_file, 10)
        assert client.socket().selected_alpn_protocol() is None
        user = server.new_user()
        client.login(user.login, user.password)
        client.logout()


def test_server_selecting_another_protocol_is_refused(test_ca) -> None:
    """ALPACA: the connection reached a server for another protocol. A client offering
    two names lets the server pick the wrong one; the policy check refuses it."""
    with MailServer(ca=test_ca, protocols=("imap",), alpn={"imap": ("pop3",)}) as server:
        context = mail_context("imap", "tls", server.ca_file)
        context.set_alpn_protocols(["imap", "pop3"])  # as a sloppy caller might
        with pytest.raises(ALPNMismatchError, match="another protocol"):
            _raw_handshake(server, server.ports.imap_tls, context)
        # The same server with the single offered name: no overlap, no ALPN, it works.
        sock = _raw_handshake(
            server, server.ports.imap_tls, mail_context("imap", "tls", server.ca_file)
        )
        assert sock.selected_alpn_protocol() is None
        sock.close()


def test_wrong_pin_fails_inside_the_handshake_for_any_caller(imap_pop3_server) -> None:
    """A caller that only wraps the socket (and checks nothing itself) still gets the pin
    compared: the context does it."""
    port = imap_pop3_server.ports.imap_tls
    with pytest.raises(CertificatePinError):
        _raw_handshake(imap_pop3_server, port, client_context(pinned_sha256="00" * 32))
    right = spki_sha256(_der(imap_pop3_server, port))
    sock = _raw_handshake(imap_pop3_server, port, client_context(pinned_sha256=right))
    sock.close()


def test_wrong_pin_fails_in_asyncio_handshake(test_ca) -> None:
    """aiosmtplib (asyncio's SSLObject) goes through the same check."""
    with MailServer(ca=test_ca, protocols=("smtp",)) as server:
        for security, port in (
            ("tls", server.ports.smtp_tls),
            ("starttls", server.ports.smtp_starttls),
        ):
            settings = ServerSettings("localhost", port, security, "00" * 32)

            async def connect(settings=settings) -> None:
                smtp = aiosmtplib.SMTP(**smtp_kwargs(settings, None, 10))
                try:
                    await smtp.connect()
                    await smtp.ehlo()
                finally:
                    smtp.close()

            with pytest.raises(Exception) as info:
                asyncio.run(connect())
            chain, exc = [], info.value
            while exc is not None:
                chain.append(exc)
                exc = exc.__cause__ or exc.__context__
            assert any(isinstance(e, CertificatePinError) for e in chain), chain
            assert server.protocol_server("smtp").auth_log == []


def test_inspection_context_is_not_a_policy_context() -> None:
    """The one context that verifies nothing is a plain SSLContext, apart from the policy."""
    assert type(inspection_context()) is ssl.SSLContext
    assert type(client_context()).__name__ == "PolicyContext"


def test_alpn_smtp_on_implicit_tls_through_asyncio(test_ca) -> None:
    with MailServer(ca=test_ca, protocols=("smtp",)) as server:
        settings = ServerSettings("localhost", server.ports.smtp_tls, "tls")

        async def selected() -> str | None:
            smtp = aiosmtplib.SMTP(**smtp_kwargs(settings, server.ca_file, 10))
            await smtp.connect()
            try:
                return smtp.transport.get_extra_info("ssl_object").selected_alpn_protocol()
            finally:
                await smtp.quit()

        assert asyncio.run(selected()) == "smtp"


def test_pin_hint_is_read_in_a_stage_of_its_own(mail_server) -> None:
    """Probing verifies; reading the key of a server no known authority vouches for is a
    separate handshake (over the inspection context), reported as its own 'pin' step."""
    from tests.accounts.helpers import LOCAL, options
    from tuimail.core.discovery.detect import detect

    p = mail_server.ports
    mail_server.set_dns(
        {
            "_imaps._tcp.example.test": [("SRV", f"0 1 {p.imap_tls} imap.example.test.")],
            "imap.example.test": LOCAL,
        }
    )
    opts = options(mail_server)
    opts.ca_file = None  # the test CA is unknown here
    events, said = [], {}  # said: each event's line as shown live

    def progress(event) -> None:
        events.append(event)
        said[len(events) - 1] = detect_words.event(event)

    result = detect("alice@example.test", opts, progress)
    probes = [e for e in events if e.stage == "probe" and "imap.example.test" in e.target]
    pins = [e for e in events if e.stage == "pin" and "imap.example.test" in e.target]
    assert probes and not probes[0].ok and "SHA-256" not in said[events.index(probes[0])]
    assert pins and pins[0].ok and "nothing was sent" in detect_words.event(pins[0])
    assert events.index(pins[0]) > events.index(probes[0])
    imap = next(r for r in result.probes if r.candidate.host == "imap.example.test")
    assert imap.pin and imap.pin == pins[0].note.pin and imap.pin in detect_words.event(pins[0])
    assert imap.pin in detect_words.probe(imap)


def test_no_tls_context_is_built_outside_tls_py() -> None:
    """Every connection gets its context from tuimail/core/tls.py: nowhere else may a
    context be made or its checks turned off (that is how a caller would skip the policy)."""
    import re
    from pathlib import Path

    import tuimail

    forbidden = re.compile(
        r"create_default_context|SSLContext\(|_create_unverified_context|CERT_NONE|"
        r"check_hostname\s*=|verify_mode\s*="
    )
    root = Path(tuimail.__file__).parent
    offenders = [
        f"{path.relative_to(root)}:{number}"
        for path in root.rglob("*.py")
        if path != root / "core" / "tls.py"
        for number, line in enumerate(path.read_text("utf-8").splitlines(), 1)
        if forbidden.search(line)
    ]
    assert offenders == []
