"""`--json` on every command that prints data: parseable, and every key documented in
docs/json.md."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from tests.accounts.helpers import cli_args
from tests.cli.helpers import configure, documented_keys
from tests.process import interrupt
from testserver.faults import Fault
from tuimail.__main__ import main

MESSAGE = documented_keys("Message")  # with the nested "name" and "address"


def _json(capsys, *argv: str, status: int = 0):
    assert main(list(argv)) == status
    return json.loads(capsys.readouterr().out)


def _thread(mail_server, user) -> None:
    mail_server.deliver(
        user,
        b"From: Ann <ann@example.test>\r\nTo: Bob <bob@example.test>, c@example.test\r\n"
        b"Subject: first\r\nMessage-ID: <root@example.test>\r\n"
        b"Date: Mon, 1 Jan 2024 10:00:00 +0000\r\n\r\nroot body\r\n",
    )
    mail_server.deliver(
        user,
        b"From: Bob <bob@example.test>\r\nTo: ann@example.test\r\nCc: Dan <d@example.test>\r\n"
        b"Subject: Re: first\r\nMessage-ID: <reply@example.test>\r\n"
        b"In-Reply-To: <root@example.test>\r\nReferences: <root@example.test>\r\n"
        b"Date: Mon, 1 Jan 2024 11:00:00 +0000\r\n\r\nreply body marker\r\n",
    )


def test_list_json_has_message_id_and_threading(mail_server, capsys) -> None:
    user = mail_server.new_user()
    _thread(mail_server, user)
    configure(mail_server, user)
    sync = _json(capsys, "sync", "--json")
    assert set(sync[0]) <= documented_keys("`tuimail sync --json`")
    assert sync[0]["protocol"] == "imap" and sync[0]["new"] == 2
    reply, root = _json(capsys, "list", "--json")
    assert set(reply) == MESSAGE - {"name", "address"}
    assert reply["message_id"] == "<reply@example.test>"
    assert reply["in_reply_to"] == "<root@example.test>"
    assert reply["references"] == ["<root@example.test>"]
    assert reply["thread_id"] == root["thread_id"] and root["thread_id"]
    assert reply["cc"] == [{"name": "Dan", "address": "d@example.test"}]
    assert root["to"][0] == {"name": "Bob", "address": "bob@example.test"}
    assert root["message_id"] == "<root@example.test>" and root["references"] == []
    assert root["in_reply_to"] is None

    message = _json(capsys, "read", str(reply["uid"]), "--json")
    assert set(message) <= MESSAGE | documented_keys("`tuimail read UID --json`")
    assert "reply body marker" in message["text"] and message["subject"] == "Re: first"


def test_account_list_json_never_shows_the_password_command(mail_server, capsys) -> None:
    user = mail_server.new_user()
    configure(mail_server, user, display_name="Ann")
    (account,) = _json(capsys, "account", "list", "--json")
    assert set(account) <= documented_keys("`tuimail account list --json`")
    assert account["name"] == "work" and account["display_name"] == "Ann"
    assert account["password_command"] is True
    assert user.password not in json.dumps(account)
    assert account["incoming"]["port"] == mail_server.ports.imap_tls


def test_outbox_json_lists_a_waiting_message(mail_server, capsys) -> None:
    user = mail_server.new_user()
    configure(mail_server, user)
    # The server is busy: the message waits in the outbox.
    mail_server.faults.add(Fault("smtp", "reply", command="MAIL", code=451, times=1))
    proc = subprocess.run(
        [sys.executable, "-m", "tuimail", "send", "x@example.org"],
        input=b"Subject: wait\n\nbody\n",
        capture_output=True,
        timeout=90,
    )
    assert proc.returncode == 1, proc.stderr
    (entry,) = _json(capsys, "outbox", "--json")
    assert set(entry) <= documented_keys("`tuimail outbox --json`")
    assert entry["state"] == "retrying" and entry["recipients"] == ["x@example.org"]


def test_outbox_json_words_refusals_and_the_sent_copy(mail_server, capsys, tmp_path) -> None:
    """Stored as data (a local refusal, the Sent copy), shown in `--json` as the same
    sentences `tuimail send` prints, next to the data (`copy`, `failure`)."""
    import asyncio

    from tuimail.core.outbox import send_now
    from tuimail.core.secrets import Secret

    user, bob, carol = (mail_server.new_user() for _ in range(3))
    account = configure(mail_server, user)
    mail_server.faults.add(Fault("smtp", "reply", command="RCPT", code=452, match=carol.email))
    # `tuimail send` refuses such an address before queueing
    # (tests/cli/test_send_refuses_bad_addresses.py); the outbox (the app's Send) records
    # it as data, as here.
    bad = "a@-bücher.org"  # no IDNA form (a label starts with a hyphen): never sent
    raw = f"From: {user.email}\r\nSubject: some now\r\n\r\nbody\r\n".encode()
    recipients = [bob.email, carol.email, bad]
    entry = asyncio.run(send_now(raw, user.email, recipients, account, Secret(user.password)))
    assert entry.delivered == [bob.email]
    refusal = "not sent: the domain cannot be written in IDNA ("
    (entry,) = _json(capsys, "outbox", "--json")
    assert set(entry) <= documented_keys("`tuimail outbox --json`")
    assert entry["state"] == "retrying" and entry["recipients"] == [carol.email]
    assert list(entry["refused"]) == [bad] and entry["refused"][bad].startswith(refusal)
    assert (entry["sent_copy"], entry["copy"]) == (
        "saved to Sent",
        {"outcome": "saved", "folder": "Sent"},
    )
    assert entry["failure"]["reason"] == "recipients-deferred"
    assert main(["outbox"]) == 0  # the listing names the one refused for good too
    listing = capsys.readouterr().out
    assert f"some recipients were refused for now: {carol.email}: 452" in listing
    assert f"    not delivered to: {bad}: {refusal}" in listing


def test_detect_json_keys_are_documented(mail_server, capsys) -> None:
    user = mail_server.new_user()
    result = _json(capsys, "detect", user.email, "--json", *cli_args(mail_server))
    assert set(result) <= documented_keys("`tuimail detect EMAIL --json`")
    assert set(result["incoming"]) <= documented_keys("`tuimail detect EMAIL --json`")


def test_doctor_json_keys_are_documented(mail_server, capsys) -> None:
    from tests.doctor.conftest import healthy_zone

    user = mail_server.new_user()
    configure(mail_server, user)
    ns = healthy_zone(mail_server)
    report = _json(capsys, "doctor", "work", "--json", "--no-send", "--nameserver", ns)
    keys = documented_keys("`tuimail doctor --json`")
    assert set(report) <= keys and set(report["checks"][0]) <= keys


@pytest.mark.timeout(90)
def test_watch_json_prints_one_event_per_line(mail_server) -> None:
    user = mail_server.new_user()
    configure(mail_server, user)
    proc = subprocess.Popen(
        [sys.executable, "-m", "tuimail", "watch", "work", "--json"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=os.environ.copy(),
    )
    try:
        first = json.loads(proc.stdout.readline())
        assert first == {"event": "watching", "account": "work", "mode": "idle"}
        _thread(mail_server, user)
        events = [json.loads(proc.stdout.readline()) for _ in range(2)]
    finally:
        interrupt(proc)
    keys = documented_keys("`tuimail watch --json`") | MESSAGE
    assert {e["event"] for e in events} == {"new"}
    assert all(set(e) <= keys for e in events)
    assert {e["message_id"] for e in events} == {"<root@example.test>", "<reply@example.test>"}


@pytest.mark.timeout(90)
def test_watch_json_on_a_pop3_account(mail_server) -> None:
    from tests.pop3.helpers import message, pop3_account
    from tuimail.core.config import save_account

    user = mail_server.new_user()
    mail_server.deliver(user, message(1))
    account = pop3_account(mail_server, user, poll_interval=1)
    account.password_command = f"printf %s {user.password}"
    save_account(account)
    proc = subprocess.Popen(
        [sys.executable, "-m", "tuimail", "watch", "pop", "--json"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        stdin=subprocess.DEVNULL,
    )
    try:
        first = json.loads(proc.stdout.readline())
        assert first == {"event": "watching", "account": "pop", "mode": "polling"}
        new = json.loads(proc.stdout.readline())
    finally:
        interrupt(proc)
    assert new["event"] == "new" and "message 1" in new["subject"]
    assert set(new) <= documented_keys("`tuimail watch --json`") | MESSAGE
