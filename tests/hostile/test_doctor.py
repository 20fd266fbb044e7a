"""`tuimail doctor` against hostile greetings: a failure line naming what the server did,
exit status 1, never a traceback (scripted servers; the bundled server for STARTTLS)."""

from __future__ import annotations

import shlex

import pytest

from tests.hostile.conftest import save
from tests.hostile.scripted import Conn
from testserver.server import MailServer
from tuimail.core.account import Account, ServerSettings
from tuimail.core.config import save_account

pytestmark = pytest.mark.timeout(120)


@pytest.fixture(scope="module")
def nameserver(test_ca):
    """A DNS server for the doctor's DNS checks (their results do not matter here)."""
    with MailServer(ca=test_ca, protocols=("dns",)) as server:
        yield f"127.0.0.1:{server.dns_port}"


def _greeting(data: bytes, hang: bool = True):
    def script(conn: Conn) -> None:
        if data:
            conn.send(data)
        if hang:
            conn.hang()

    return script


GREETINGS = {
    "garbage": ("imap", _greeting(b"HTTP/1.1 400 Bad Request\r\n\r\n"), "not IMAP"),
    "tagged": ("imap", _greeting(b"A001 OK welcome\r\n"), "not IMAP"),
    "BYE": ("imap", _greeting(b"* BYE too many connections\r\n", hang=False), "BYE too many"),
    "closed": ("imap", _greeting(b"", hang=False), "closed the connection"),
    "POP3 -ERR": ("pop3", _greeting(b"-ERR [IN-USE] busy\r\n", hang=False), "-ERR [IN-USE]"),
}


def _assert_failure_line(run, words: str) -> None:
    assert run.code == 1, (run.out, run.err)
    for text in (run.out, run.err):
        assert "Traceback" not in text and "Error(" not in text, text
    incoming = run.out.split("Incoming server", 1)[1].split("Outgoing server", 1)[0]
    failures = [line for line in incoming.splitlines() if "[FAILURE]" in line]
    assert len(failures) == 1 and words in failures[0], incoming


@pytest.mark.parametrize("case", GREETINGS.values(), ids=GREETINGS.keys())
def test_doctor_reports_a_hostile_greeting(scripted, cli, nameserver, case) -> None:
    protocol, script, words = case
    with scripted(script) as server:
        save(server, protocol)
        run = cli("doctor", "work", "--no-send", "--nameserver", nameserver, "--timeout", "3")
    _assert_failure_line(run, words)


def test_doctor_reports_a_bad_answer_to_starttls(mail_server, cli, nameserver) -> None:
    user = mail_server.new_user()
    mail_server.faults.add(protocol="imap", kind="starttls_bad", message="not today")
    account = Account(
        name="work",
        email=user.email,
        username=user.login,
        incoming=ServerSettings(mail_server.host, mail_server.ports.imap_starttls, "starttls"),
        outgoing=ServerSettings(mail_server.host, 9, "tls"),
        ca_file=mail_server.ca_file,
        password_command=f"printf %s {shlex.quote(user.password)}",
    )
    save_account(account)
    run = cli("doctor", "work", "--no-send", "--nameserver", nameserver, "--timeout", "3")
    _assert_failure_line(run, "refused STARTTLS")
