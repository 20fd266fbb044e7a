"""The delivery report of a message that went through real Postfix (submission) and real
Dovecot (LMTP), read with `tuimail sync` + `tuimail read UID --route --json`."""

from __future__ import annotations

import email
import email.policy
import json
import shlex
import uuid
from email.message import EmailMessage

import aiosmtplib
import pytest

from tests.imap.helpers import account_for
from tuimail.__main__ import main
from tuimail.core.config import save_account
from tuimail.core.tls import client_context

pytestmark = [pytest.mark.interop, pytest.mark.timeout(120)]
TIMEOUT = 30


async def test_a_message_sent_through_postfix_shows_its_submission_and_lmtp_hops(
    dovecot_peer, capsys
):
    sender, recipient = dovecot_peer.new_user(), dovecot_peer.new_user()
    message = EmailMessage()
    message["From"] = sender.email
    message["To"] = recipient.email
    message["Subject"] = f"route {uuid.uuid4().hex}"
    message.set_content("through Postfix and Dovecot\n")
    await aiosmtplib.send(
        message,
        hostname=dovecot_peer.host,
        port=dovecot_peer.ports.smtp_starttls,
        username=sender.login,
        password=sender.password,
        start_tls=True,
        tls_context=client_context(dovecot_peer.ca_file),
        timeout=TIMEOUT,
    )
    subject = message["Subject"].encode()
    raw = dovecot_peer.wait_for_message(recipient, lambda r: subject in r, timeout=TIMEOUT)
    written = email.message_from_bytes(raw, policy=email.policy.compat32).get_all("Received")

    account = account_for(dovecot_peer, recipient, name="peer")
    account.password_command = f"printf %s {shlex.quote(recipient.password)}"
    save_account(account)
    assert main(["sync", "peer"]) == 0
    capsys.readouterr()
    assert main(["read", "1", "--route", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)

    hops = report["hops"]
    assert len(hops) == len(written) == report["received_count"] >= 2
    submission, lmtp = hops[-2], hops[-1]
    assert submission["protocol"] == "ESMTPSA" and submission["by_host"] == "mail.example.test"
    assert submission["encrypted"] is True and submission["authenticated"] is True
    assert submission["from_address"] == "127.0.0.1"
    assert lmtp["protocol"] == "LMTP" and lmtp["from_host"] == "mail.example.test"
    assert lmtp["local"] is True
    assert all(h["time"] for h in hops) and all(h["parsed"] for h in hops)
    # Real delays: Postfix's and Dovecot's own time stamps, a second or so apart at most
    # on this machine, in order (no clock note, no long-wait note).
    assert lmtp["delay"] is not None and 0 <= lmtp["delay"] < 600
    assert report["total_seconds"] == pytest.approx(sum(h["delay"] or 0 for h in hops))
    assert not any(h["notes"] for h in hops)
    text_route = [e["text"] for e in report["explanations"] if e["topic"] == "route"]
    assert text_route[0].startswith(f"The message passed {len(hops)} server hops")
