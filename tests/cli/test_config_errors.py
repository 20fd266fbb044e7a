"""Configuration no server can fix (an account's unusable ca_file, a --nameserver that is
not HOST[:PORT]) is a configuration error in every command: exit 2 and one sentence,
said before anything connects or is queued."""

from __future__ import annotations

import asyncio
import shlex

import pytest

from tests.cli.helpers import configure
from tuimail.__main__ import main
from tuimail.cli.exits import EXIT_USAGE
from tuimail.core.config import save_account
from tuimail.core.outbox import Outbox, send_now


@pytest.fixture
def no_ca_file(mail_server, tmp_path):
    """An account whose ca_file does not exist."""
    account = configure(mail_server, mail_server.new_user())
    account.ca_file = str(tmp_path / "gone.pem")
    save_account(account)
    return account


@pytest.mark.parametrize(
    "argv",
    [
        ["sync"],
        ["sync", "work"],
        ["watch", "work"],
        ["doctor", "work", "--no-send"],
    ],
)
def test_a_missing_ca_file_is_a_configuration_error(no_ca_file, capsys, argv) -> None:
    assert main(argv) == EXIT_USAGE
    out = capsys.readouterr()
    assert "work: the ca_file" in out.err and "does not exist" in out.err
    assert "config.toml" in out.err and "Traceback" not in out.err
    assert "[FAILURE]" not in out.out  # the doctor did not run half its checks


def test_sync_json_names_the_missing_ca_file_as_configuration(no_ca_file, capsys) -> None:
    import json

    assert main(["sync", "--json"]) == EXIT_USAGE
    (entry,) = json.loads(capsys.readouterr().out)
    assert entry["failures"][0]["kind"] == "configuration"
    assert "does not exist" in entry["errors"][0]


def test_send_with_a_missing_ca_file_queues_nothing(no_ca_file, tmp_path, capsys) -> None:
    message = tmp_path / "m.eml"
    message.write_bytes(b"Subject: s\n\nbody\n")
    assert main(["send", "bob@example.org", str(message)]) == EXIT_USAGE
    err = capsys.readouterr().err
    assert "does not exist" in err and "Nothing was sent or queued" in err
    assert Outbox("work").count() == 0


def test_a_queued_message_with_a_missing_ca_file_fails_once_not_retried(no_ca_file) -> None:
    """The outbox gets a typed security failure (never retried by itself), not
    'unexpected error' retried every few minutes."""
    entry = asyncio.run(
        send_now(
            b"Subject: s\r\n\r\nbody\r\n", no_ca_file.email, ["b@example.org"], no_ca_file, None
        )
    )
    assert entry.state == "failed"
    assert entry.failure["error"]["reason"] == "ca-file"


def test_outbox_retry_with_a_missing_ca_file_keeps_the_messages(no_ca_file, capsys) -> None:
    Outbox("work").enqueue(b"Subject: s\r\n\r\nbody\r\n", no_ca_file.email, ["b@example.org"])
    assert main(["outbox", "--retry"]) == EXIT_USAGE
    assert "does not exist" in capsys.readouterr().err
    (entry,) = Outbox("work").entries()
    assert entry.state == "queued" and entry.attempts == 0


@pytest.mark.parametrize("nameserver", ["bogus:xx", "127.0.0.1:99999"])
def test_doctor_with_a_bad_nameserver_is_a_usage_error_as_detect(
    mail_server, capsys, nameserver
) -> None:
    configure(mail_server, mail_server.new_user())
    assert main(["doctor", "--nameserver", nameserver, "--no-send"]) == EXIT_USAGE
    out = capsys.readouterr()
    assert "invalid port" in out.err and "HOST:PORT" in out.err and out.out == ""
    assert main(["detect", "x@example.test", "--nameserver", nameserver]) == EXIT_USAGE


def test_starttls_on_a_port_that_expects_tls_says_to_set_tls(mail_server, capsys) -> None:
    """STARTTLS (or plain) on an implicit-TLS port: both sides wait, and the sentence was
    only 'the mail server did not answer in time'."""
    user = mail_server.new_user()
    host, ports = mail_server.host, mail_server.ports
    argv = ["account", "add", "work", "--email", user.email, "--ca-file", mail_server.ca_file]
    argv += ["--incoming", f"{host}:{ports.imap_tls}", "--security", "starttls"]
    argv += ["--outgoing", f"{host}:{ports.smtp_tls}", "--outgoing-security", "starttls"]
    argv += ["--password-command", f"printf %s {shlex.quote(user.password)}", "--timeout", "1"]
    assert main(argv) == 1
    out = capsys.readouterr().out
    hint = "(it sent no greeting); if this port expects TLS from the start"
    assert "IMAP server" in out and "SMTP server" in out and out.count(hint) == 2


def test_a_nameserver_that_cannot_be_found_is_a_usage_error_before_anything_else(
    mail_server, capsys
) -> None:
    """`account add --detect --nameserver nosuch.invalid` asked for the password, then
    ended in 'Something went wrong: nameserver: not-found' (exit 1); detect said it after
    'Looking for the mail servers ...'."""
    bad = "nosuch.invalid:53"
    argv = ["account", "add", "x", "--email", "a@example.test", "--detect", "--nameserver", bad]
    argv += ["--password-command", "echo never-asked"]
    for command in (argv, ["detect", "a@example.test", "--nameserver", bad]):
        assert main(command) == EXIT_USAGE
        out = capsys.readouterr()
        said = f"The name server '{bad}' cannot be found. Give --nameserver as HOST or HOST:PORT."
        assert said in out.err and out.out == "", command
