"""The private Dovecot + Postfix test bed itself: real clients, TLS verification on.

These check that the peer is what client tests assume it is (ports, TLS, users,
deliver/messages, special-use folders, IDLE), so a failing client test against it
points at the client, not at the bed.
"""

from __future__ import annotations

import imaplib
import poplib
import re
import smtplib
import socket
import ssl
import subprocess
import time
import uuid
from email.message import EmailMessage

import aiosmtplib
import pytest
from imapclient import IMAPClient
from imapclient.exceptions import LoginError

from testserver.mailstore import StoreError
from testserver.peer import PeerUser
from tuimail.core.tls import client_context

pytestmark = pytest.mark.interop

TIMEOUT = 20


def _mail(sender: PeerUser, to: PeerUser, subject: str) -> bytes:
    return (
        f"From: {sender.email}\r\nTo: {to.email}\r\nSubject: {subject}\r\n"
        f"Message-ID: <{uuid.uuid4().hex}@example.test>\r\n\r\nHello {subject}\r\n"
    ).encode()


# -- IMAP ---------------------------------------------------------------------------


def test_imapclient_implicit_tls_login_and_capabilities(dovecot_peer):
    user = dovecot_peer.new_user()
    context = client_context(dovecot_peer.ca_file)
    with IMAPClient(
        dovecot_peer.host, port=dovecot_peer.ports.imap_tls, ssl_context=context, timeout=TIMEOUT
    ) as client:
        client.login(user.login, user.password)
        caps = set(client.capabilities())
        for cap in (b"IDLE", b"CONDSTORE", b"QRESYNC", b"MOVE", b"UIDPLUS", b"SPECIAL-USE"):
            assert cap in caps, cap
        assert b"QUOTA" in caps
        assert client.select_folder("INBOX")[b"EXISTS"] == 0
        client.logout()


def test_imapclient_starttls_login(dovecot_peer):
    user = dovecot_peer.new_user()
    context = client_context(dovecot_peer.ca_file)
    client = IMAPClient(
        dovecot_peer.host, port=dovecot_peer.ports.imap_starttls, ssl=False, timeout=TIMEOUT
    )
    try:
        assert b"LOGINDISABLED" in client.capabilities()
        client.starttls(context)
        assert b"LOGINDISABLED" not in client.capabilities()
        client.login(user.login, user.password)
        assert client.folder_exists("INBOX")
    finally:
        client.logout()


def test_imaplib_implicit_tls_and_starttls(dovecot_peer):
    user = dovecot_peer.new_user()
    context = client_context(dovecot_peer.ca_file)
    with imaplib.IMAP4_SSL(
        dovecot_peer.host, dovecot_peer.ports.imap_tls, ssl_context=context, timeout=TIMEOUT
    ) as conn:
        assert conn.login(user.login, user.password)[0] == "OK"
        assert conn.select("INBOX")[0] == "OK"
    with imaplib.IMAP4(
        dovecot_peer.host, dovecot_peer.ports.imap_starttls, timeout=TIMEOUT
    ) as conn:
        assert "LOGINDISABLED" in conn.capabilities
        assert not [c for c in conn.capabilities if c.startswith("AUTH=")]
        with pytest.raises(imaplib.IMAP4.error):  # no AUTHENTICATE before TLS either
            conn.authenticate("PLAIN", lambda _: f"\0{user.login}\0{user.password}".encode())
        conn.starttls(context)
        assert conn.login(user.login, user.password)[0] == "OK"


def test_login_refused_before_starttls(dovecot_peer):
    user = dovecot_peer.new_user()
    client = IMAPClient(
        dovecot_peer.host, port=dovecot_peer.ports.imap_starttls, ssl=False, timeout=TIMEOUT
    )
    try:
        with pytest.raises(LoginError):
            client.login(user.login, user.password)
    finally:
        client.shutdown()


def test_wrong_credentials_are_refused_at_once(dovecot_peer):
    """Refused fast: no auth_failure_delay, no anvil penalty, no 0.5 s failure tick.

    With Dovecot's defaults these ten failures would take more than a minute, with
    only auth_failure_delay = 0 five seconds.
    """
    user, other = dovecot_peer.new_user(), dovecot_peer.new_user()
    wrong = [
        (user.login, "wrong password"),
        (user.login, ""),
        (user.login, other.password),
        (user.login, user.password + "x"),
        (user.login.upper(), "wrong"),
        ("nobody@example.test", user.password),
        ("nobody", ""),
        (other.login, user.password),
        (user.login, user.password[:-1]),
        (other.login, "wrong"),
    ]
    context = client_context(dovecot_peer.ca_file)
    with IMAPClient(
        dovecot_peer.host, port=dovecot_peer.ports.imap_tls, ssl_context=context, timeout=TIMEOUT
    ) as client:
        for login, password in wrong:
            with pytest.raises(LoginError):
                client.login(login, password)
        client.login(user.login, user.password)
    # "at once" is the bed's settings as Dovecot itself reads them (no elapsed time here):
    # no failure delay, the "nodelay" passdb first, no anvil penalty listener
    conf = str(dovecot_peer.layout.dovecot_conf)
    shown = subprocess.run(
        ["doveconf", "-c", conf, "-h", "auth_failure_delay"], capture_output=True, text=True
    )
    assert shown.stdout.split() == ["0"], shown
    full = subprocess.run(["doveconf", "-c", conf], capture_output=True, text=True).stdout
    assert "args = nopassword=y nodelay=y" in full, full
    penalty = full[full.index("unix_listener anvil-auth-penalty") :]
    block = [line.strip() for line in penalty[: penalty.index("}")].splitlines()]
    assert "mode = 00" in block, block  # nobody may connect: no penalty is kept


async def test_wrong_password_refused_by_submission_and_pop3(dovecot_peer):
    user, other = dovecot_peer.new_user(), dovecot_peer.new_user()
    context = client_context(dovecot_peer.ca_file)
    for password in ("wrong", "", other.password):
        with pytest.raises(aiosmtplib.SMTPAuthenticationError):
            await aiosmtplib.send(
                _mail(user, other, "never sent"),
                sender=user.email,
                recipients=[other.email],
                hostname=dovecot_peer.host,
                port=dovecot_peer.ports.smtp_tls,
                username=user.login,
                password=password,
                use_tls=True,
                tls_context=context,
                timeout=TIMEOUT,
            )
        conn = poplib.POP3_SSL(
            dovecot_peer.host, dovecot_peer.ports.pop3_tls, context=context, timeout=TIMEOUT
        )
        try:
            conn.user(user.login)
            with pytest.raises(poplib.error_proto):
                conn.pass_(password)
        finally:
            conn.close()
    assert dovecot_peer.messages(other) == []


def test_certificate_is_verified(dovecot_peer):
    """A client that does not trust the test CA must fail the handshake."""
    context = client_context(None)
    with pytest.raises(ssl.SSLCertVerificationError):
        IMAPClient(
            dovecot_peer.host,
            port=dovecot_peer.ports.imap_tls,
            ssl_context=context,
            timeout=TIMEOUT,
        )


def test_quota_is_reported(dovecot_peer):
    user = dovecot_peer.new_user()
    dovecot_peer.deliver(user, b"Subject: q\r\n\r\n" + b"x" * 4096 + b"\r\n")
    context = client_context(dovecot_peer.ca_file)
    with imaplib.IMAP4_SSL(
        dovecot_peer.host, dovecot_peer.ports.imap_tls, ssl_context=context, timeout=TIMEOUT
    ) as conn:
        conn.login(user.login, user.password)
        status, data = conn.getquotaroot("INBOX")
    assert status == "OK"
    used, limit = re.fullmatch(rb'"User quota" \(STORAGE (\d+) (\d+)\)', data[1][0]).groups()
    assert int(limit) == 100 * 1024 and 4 <= int(used) <= 5  # KiB


def test_special_use_folders_are_listed(dovecot_peer):
    user = dovecot_peer.new_user()
    context = client_context(dovecot_peer.ca_file)
    with IMAPClient(
        dovecot_peer.host, port=dovecot_peer.ports.imap_tls, ssl_context=context, timeout=TIMEOUT
    ) as client:
        client.login(user.login, user.password)
        listed = {name: set(flags) for flags, delimiter, name in client.list_folders()}
        assert all(d == b"/" for _, d, _ in client.list_folders())
        for name in ("Sent", "Drafts", "Trash", "Junk", "Archive"):
            assert f"\\{name}".encode() in listed[name], (name, listed[name])
        for name in ("Sent", "Drafts", "Trash", "Junk", "Archive"):
            assert client.find_special_folder(f"\\{name}".encode()) == name
        subscribed = {name for _flags, _delimiter, name in client.list_sub_folders()}
        assert subscribed >= {"Sent", "Drafts", "Trash", "Junk", "Archive"}


@pytest.mark.parametrize("via", ["deliver", "submission"])
def test_idle_sees_new_message(dovecot_peer, via):
    user = dovecot_peer.new_user()
    context = client_context(dovecot_peer.ca_file)
    with IMAPClient(
        dovecot_peer.host, port=dovecot_peer.ports.imap_tls, ssl_context=context, timeout=TIMEOUT
    ) as client:
        client.login(user.login, user.password)
        client.select_folder("INBOX")
        client.idle()
        if via == "deliver":
            dovecot_peer.deliver(user, _mail(user, user, "idle"))
        else:
            with smtplib.SMTP_SSL(
                dovecot_peer.host, dovecot_peer.ports.smtp_tls, context=context, timeout=TIMEOUT
            ) as smtp:
                smtp.login(user.login, user.password)
                smtp.sendmail(user.email, [user.email], _mail(user, user, "idle"))
        responses: list = []
        deadline = time.monotonic() + TIMEOUT
        while (1, b"EXISTS") not in responses and time.monotonic() < deadline:
            responses += client.idle_check(timeout=deadline - time.monotonic())
        client.idle_done()
        assert (1, b"EXISTS") in responses


def test_deliver_and_messages_round_trip_exact_bytes(dovecot_peer):
    user = dovecot_peer.new_user()
    first = _mail(user, user, "first") + "Non-ASCII: caf\u00e9\r\n".encode("latin-1")
    second = _mail(user, user, "second")
    dovecot_peer.deliver(user, first)
    dovecot_peer.deliver(user, second)
    dovecot_peer.deliver(user, second, folder="Archive")
    assert dovecot_peer.messages(user) == [first, second]
    assert dovecot_peer.messages(user, "Archive") == [second]
    assert dovecot_peer.messages(user, "Sent") == []
    context = client_context(dovecot_peer.ca_file)
    with IMAPClient(
        dovecot_peer.host, port=dovecot_peer.ports.imap_tls, ssl_context=context, timeout=TIMEOUT
    ) as client:
        client.login(user.login, user.password)
        client.select_folder("INBOX")
        fetched = client.fetch([1, 2], ["BODY.PEEK[]", "FLAGS"])
        assert [fetched[uid][b"BODY[]"] for uid in (1, 2)] == [first, second]
        assert all(b"\\Seen" not in fetched[uid][b"FLAGS"] for uid in (1, 2))


def test_deliver_normalizes_line_ends_like_a_real_mda(dovecot_peer):
    """Dovecot stores (and serves) CRLF; bare LF input comes back as CRLF."""
    user = dovecot_peer.new_user()
    dovecot_peer.deliver(user, b"Subject: bare LF\n\nline\n")
    assert dovecot_peer.messages(user) == [b"Subject: bare LF\r\n\r\nline\r\n"]


def test_unknown_folder_is_an_error(dovecot_peer):
    user = dovecot_peer.new_user()
    with pytest.raises(StoreError):
        dovecot_peer.deliver(user, b"Subject: x\r\n\r\n", folder="No such folder")
    with pytest.raises(StoreError):
        dovecot_peer.messages(user, "No such folder")


def test_created_folder_is_found(dovecot_peer):
    user = dovecot_peer.new_user()
    context = client_context(dovecot_peer.ca_file)
    with IMAPClient(
        dovecot_peer.host, port=dovecot_peer.ports.imap_tls, ssl_context=context, timeout=TIMEOUT
    ) as client:
        client.login(user.login, user.password)
        client.create_folder("Projekte/Entw\u00fcrfe")
        client.append("Projekte/Entw\u00fcrfe", b"Subject: nested\r\n\r\nbody\r\n")
    dovecot_peer.deliver(user, b"Subject: delivered\r\n\r\n", folder="Projekte/Entw\u00fcrfe")
    assert dovecot_peer.messages(user, "Projekte/Entw\u00fcrfe") == [
        b"Subject: nested\r\n\r\nbody\r\n",
        b"Subject: delivered\r\n\r\n",
    ]


def test_new_users_are_distinct_and_empty(dovecot_peer):
    a, b = dovecot_peer.new_user(), dovecot_peer.new_user()
    assert a.login != b.login and a.email.endswith("@example.test")
    assert dovecot_peer.messages(a) == [] and dovecot_peer.messages(b) == []


def test_wait_for_message_times_out(dovecot_peer):
    user = dovecot_peer.new_user()
    with pytest.raises(TimeoutError):
        dovecot_peer.wait_for_message(user, lambda raw: True, timeout=0.2)


# -- POP3 ---------------------------------------------------------------------------


def test_pop3_implicit_tls_and_stls(dovecot_peer):
    user = dovecot_peer.new_user()
    raw = _mail(user, user, "pop")
    dovecot_peer.deliver(user, raw)
    context = client_context(dovecot_peer.ca_file)
    conn = poplib.POP3_SSL(
        dovecot_peer.host, dovecot_peer.ports.pop3_tls, context=context, timeout=TIMEOUT
    )
    try:
        conn.user(user.login)
        conn.pass_(user.password)
        count, _size = conn.stat()
        assert count == 1
        _resp, lines, _octets = conn.retr(1)
        assert b"\r\n".join(lines) + b"\r\n" == raw
    finally:
        conn.quit()

    conn = poplib.POP3(dovecot_peer.host, dovecot_peer.ports.pop3_starttls, timeout=TIMEOUT)
    try:
        capa = conn.capa()
        assert "STLS" in capa and "USER" not in capa and not capa.get("SASL")
        with pytest.raises(poplib.error_proto):
            conn.user(user.login)
            conn.pass_(user.password)
    finally:
        conn.close()
    conn = poplib.POP3(dovecot_peer.host, dovecot_peer.ports.pop3_starttls, timeout=TIMEOUT)
    try:
        conn.stls(context=context)
        assert "USER" in conn.capa()
        conn.user(user.login)
        conn.pass_(user.password)
        assert conn.stat()[0] == 1
    finally:
        conn.quit()


# -- SMTP submission ----------------------------------------------------------------


@pytest.mark.parametrize("mode", ["starttls", "tls"])
async def test_submission_reaches_recipient(dovecot_peer, mode):
    sender, recipient = dovecot_peer.new_user(), dovecot_peer.new_user()
    message = EmailMessage()
    message["From"] = sender.email
    message["To"] = recipient.email
    message["Subject"] = f"submitted over {mode} {uuid.uuid4().hex}"
    message.set_content("hello from the interop test\n")
    port = dovecot_peer.ports.smtp_tls if mode == "tls" else dovecot_peer.ports.smtp_starttls
    await aiosmtplib.send(
        message,
        hostname=dovecot_peer.host,
        port=port,
        username=sender.login,
        password=sender.password,
        use_tls=mode == "tls",
        start_tls=mode == "starttls",
        tls_context=client_context(dovecot_peer.ca_file),
        timeout=TIMEOUT,
    )
    subject = message["Subject"].encode()
    raw = dovecot_peer.wait_for_message(recipient, lambda r: subject in r, timeout=TIMEOUT)
    assert b"hello from the interop test" in raw
    # messages() gives exactly the bytes an IMAP client fetches (LMTP added the trace headers).
    assert dovecot_peer.messages(recipient) == [raw]
    with IMAPClient(
        dovecot_peer.host,
        port=dovecot_peer.ports.imap_tls,
        ssl_context=client_context(dovecot_peer.ca_file),
        timeout=TIMEOUT,
    ) as client:
        client.login(recipient.login, recipient.password)
        client.select_folder("INBOX", readonly=True)
        assert client.fetch([1], ["BODY.PEEK[]"])[1][b"BODY[]"] == raw


async def test_submission_auth_refused_before_starttls(dovecot_peer):
    user = dovecot_peer.new_user()
    client = aiosmtplib.SMTP(
        hostname=dovecot_peer.host,
        port=dovecot_peer.ports.smtp_starttls,
        start_tls=False,
        timeout=TIMEOUT,
    )
    await client.connect()
    try:
        await client.ehlo()
        assert not client.supports_extension("auth")
        with pytest.raises(aiosmtplib.SMTPException):
            await client.login(user.login, user.password)
        # Mail without authentication is refused too.
        with pytest.raises(aiosmtplib.SMTPResponseException) as refused:
            await client.sendmail(user.email, [user.email], _mail(user, user, "unauth"))
        assert 500 <= refused.value.code < 600
    finally:
        client.close()


async def test_submission_to_unknown_local_user_is_refused(dovecot_peer):
    sender = dovecot_peer.new_user()
    with pytest.raises(aiosmtplib.SMTPRecipientsRefused):
        await aiosmtplib.send(
            _mail(sender, sender, "nobody"),
            sender=sender.email,
            recipients=["nobody-here@example.test"],
            hostname=dovecot_peer.host,
            port=dovecot_peer.ports.smtp_tls,
            username=sender.login,
            password=sender.password,
            use_tls=True,
            tls_context=client_context(dovecot_peer.ca_file),
            timeout=TIMEOUT,
        )


async def test_mail_to_other_domains_is_discarded_not_relayed(dovecot_peer):
    sender = dovecot_peer.new_user()
    marker = uuid.uuid4().hex
    recipient = f"{marker}@elsewhere.invalid"
    await aiosmtplib.send(
        _mail(sender, sender, marker),
        sender=sender.email,
        recipients=[recipient],
        hostname=dovecot_peer.host,
        port=dovecot_peer.ports.smtp_starttls,
        username=sender.login,
        password=sender.password,
        start_tls=True,
        tls_context=client_context(dovecot_peer.ca_file),
        timeout=TIMEOUT,
    )
    log = dovecot_peer.layout.logs / "postfix.log"
    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline:
        lines = [line for line in log.read_text().splitlines() if recipient in line]
        if any("status=" in line for line in lines):
            break
        time.sleep(0.05)
    assert any("relay=none" in line and "discard" in line for line in lines), lines


def test_listens_on_the_non_client_loopback_address(dovecot_peer):
    """127.0.0.2, so Dovecot does not treat the 127.0.0.1 client as a local, secure one."""
    assert dovecot_peer.host == "127.0.0.2"
    with socket.create_connection((dovecot_peer.host, dovecot_peer.ports.imap_starttls), 5) as s:
        assert s.getsockname()[0] != dovecot_peer.host
