"""Helpers for the bundled IMAP server's protocol tests: connections, raw exchanges and
test messages."""

from __future__ import annotations

import re
import socket
import ssl

from imapclient import IMAPClient


def context(peer) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=peer.ca_file)


def connect(peer, user=None, timeout: float = 10) -> IMAPClient:
    client = IMAPClient(
        peer.host, port=peer.ports.imap_tls, ssl_context=context(peer), timeout=timeout
    )
    # as tuimail's own: without it each APPEND or SEARCH waits ~40 ms (Nagle, delayed ACKs)
    client._imap.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    if user is not None:
        client.login(user.login, user.password)
    return client


LITERAL_END = re.compile(rb"\{(\d+)\+?\}\r\n\Z")


class Raw:
    """A bare IMAP connection: send exact bytes, read exact lines."""

    def __init__(self, peer, tls: bool = True, timeout: float = 10) -> None:
        self.peer = peer
        self.host = peer.host
        port = peer.ports.imap_tls if tls else peer.ports.imap_starttls
        sock = socket.create_connection((peer.host, port), timeout=timeout)
        if tls:
            sock = context(peer).wrap_socket(sock, server_hostname=peer.host)
        self.sock = sock
        self.file = sock.makefile("rb")
        self.counter = 0
        self.greeting = self.line()

    def line(self) -> bytes:
        """One response line with any literals it carries inlined."""
        line = self.file.readline()
        while (m := LITERAL_END.search(line)) is not None:
            line += self.file.read(int(m[1]))
            line += self.file.readline()
        return line

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def command(self, text: str | bytes) -> list[bytes]:
        """Send one tagged command; return every line up to and including the tagged one."""
        self.counter += 1
        tag = f"t{self.counter}".encode()
        data = text.encode() if isinstance(text, str) else text
        self.send(tag + b" " + data + b"\r\n")
        return self.until(tag)

    def until(self, tag: bytes) -> list[bytes]:
        lines = []
        while True:
            line = self.line()
            if not line:
                raise ConnectionError(f"closed; got {lines!r}")
            lines.append(line)
            if line.startswith(tag + b" "):
                return lines

    def login(self, user) -> None:
        lines = self.command(f'LOGIN "{user.login}" "{user.password}"')
        assert b" OK" in lines[-1], lines

    def starttls(self) -> None:
        lines = self.command("STARTTLS")
        assert b" OK" in lines[-1], lines
        self.sock = context(self.peer).wrap_socket(self.sock, server_hostname=self.host)
        self.file = self.sock.makefile("rb")

    def close(self) -> None:
        try:
            self.sock.close()
        except OSError:
            pass


def flags_of(flags) -> set[bytes]:
    """Flags without \\Recent: Dovecot reports it, the bundled server never sets it."""
    return set(flags) - {b"\\Recent"}


def tagged(lines: list[bytes]) -> bytes:
    return lines[-1].split(b" ", 2)[1]


def message(
    subject: str = "Hello there", body: str = "First line\r\nsecond line\r\n", **extra
) -> bytes:
    headers = {
        "From": "Alice Example <alice@example.test>",
        "To": "Bob Builder <bob@example.test>",
        "Cc": "carol@example.test",
        "Subject": subject,
        "Date": "Mon, 02 Mar 2026 10:00:00 +0000",
        "Message-ID": "<hello@example.test>",
    }
    headers.update({k.replace("_", "-"): v for k, v in extra.items()})
    head = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
    return (head + "\r\n" + body).encode("utf-8")


INNER = (
    b"From: Dan <dan@example.test>\r\n"
    b"Subject: inner message\r\n"
    b"Content-Type: text/plain; charset=us-ascii\r\n"
    b"\r\n"
    b"inner body\r\n"
)
MULTIPART = (
    b"From: Alice Example <alice@example.test>\r\n"
    b"To: bob@example.test\r\n"
    b"Subject: with attachments\r\n"
    b"Date: Tue, 03 Mar 2026 11:00:00 +0100\r\n"
    b"Message-ID: <multi@example.test>\r\n"
    b"MIME-Version: 1.0\r\n"
    b'Content-Type: multipart/mixed; boundary="outer"\r\n'
    b"\r\n"
    b"This is a multi-part message.\r\n"
    b"--outer\r\n"
    b"Content-Type: text/plain; charset=utf-8\r\n"
    b"Content-Transfer-Encoding: quoted-printable\r\n"
    b"\r\n"
    b"Caf=C3=A9 au lait, searchable words\r\n"
    b"--outer\r\n"
    b"Content-Type: application/pdf; name=report.pdf\r\n"
    b"Content-Disposition: attachment; filename=report.pdf\r\n"
    b"Content-Transfer-Encoding: base64\r\n"
    b"\r\n"
    b"JVBERi0xLjQKJcfsj6IK\r\n"
    b"--outer\r\n"
    b"Content-Type: message/rfc822\r\n"
    b"\r\n" + INNER + b"--outer--\r\n"
)


def append(client: IMAPClient, raw: bytes, folder: str = "INBOX", flags=(), date=None) -> int:
    """APPEND and return the new UID (from APPENDUID)."""
    response = client.append(folder, raw, flags=flags, msg_time=date)
    m = re.search(rb"APPENDUID \d+ (\d+)", response)
    assert m, response
    return int(m[1])


# -- connection, TLS, authentication ----------------------------------------------------
