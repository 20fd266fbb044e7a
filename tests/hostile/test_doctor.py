"""`tuimail doctor` against hostile greetings: a failure line naming what the server did,
exit status 1, never a traceback (scripted servers; the bundled server for STARTTLS)."""

from __future__ import annotations

import pytest

from tests.hostile.conftest import PASSWORD, TIMEOUT, save, save_pair, save_starttls
from tests.hostile.roundtrip_servers import RoundTripInbox
from tests.hostile.scripted import Conn, ImapScript, Pop3Script, SmtpScript
from tuimail.core.config import save_account
from tuimail.core.doctor.server_checks import check_server
from tuimail.core.errors import ProtocolViolation, Refused, ServerBusy, TransientError
from tuimail.core.secrets import Secret
from tuimail.doctor_words import fix, render_text, seen
from tuimail.words.describe import describe

pytestmark = pytest.mark.timeout(120)
TIMEOUT_ARG = f"{TIMEOUT:g}"


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


def test_what_a_hostile_greeting_sent_goes_with_what_it_did(scripted, cli, nameserver) -> None:
    """The server's line is said inside the sentence about it, before "the connection
    was closed", not after it as if it were why the connection was closed."""
    protocol, script, _words = GREETINGS["garbage"]
    with scripted(script) as server:
        save(server, protocol)
        run = cli("doctor", "work", "--no-send", "--nameserver", nameserver, "--timeout", "3")
    incoming = run.out.split("Incoming server", 1)[1].split("Outgoing server", 1)[0]
    [line] = [text for text in incoming.splitlines() if "[FAILURE]" in text]
    assert line.startswith(
        "  [FAILURE] greeting: the mail server sent something that is not IMAP (HTTP/1.1 400 "
        "Bad Request); the connection was closed ("
    ), line


def test_doctor_reports_a_bad_answer_to_starttls(mail_server, cli, nameserver) -> None:
    mail_server.faults.add(protocol="imap", kind="starttls_bad", message="not today")
    save_starttls(mail_server, mail_server.new_user())
    run = cli("doctor", "work", "--no-send", "--nameserver", nameserver, "--timeout", "3")
    _assert_failure_line(run, "refused STARTTLS")


def _reply(text: bytes):
    return lambda conn, tag, args: conn.send(text.replace(b"TAG", tag))


def _hang(conn: Conn, tag: bytes, args: bytes) -> None:
    conn.hang()


_QUOTA_CAPS = _reply(b"* CAPABILITY IMAP4rev1 AUTH=PLAIN QUOTA\r\nTAG OK done\r\n")


# Scripts more than one table below uses (each call: a fresh script).
def _login_unavailable() -> ImapScript:
    return ImapScript({"LOGIN": _reply(b"TAG NO [UNAVAILABLE] maintenance\r\n")})


def _eight_bit_capability() -> ImapScript:
    return ImapScript(
        {"CAPABILITY": _reply(b"* CAPABILITY IMAP4rev1 \xff\xfe\r\nTAG OK done\r\n")},
        greeting=b"* OK hi\r\n",
    )


def _quota_not_numbers() -> ImapScript:
    return ImapScript(
        {
            "CAPABILITY": _QUOTA_CAPS,
            "GETQUOTAROOT": _reply(
                b'* QUOTAROOT INBOX ""\r\n* QUOTA "" (STORAGE abc 100)\r\nTAG OK done\r\n'
            ),
        }
    )


# What a server did after its greeting -> (protocol, script, failing check, words expected)
AFTER_GREETING = {
    "IMAP login never answered": (
        "imap",
        ImapScript({"LOGIN": _hang}),
        "login",
        "did not answer in time",
    ),
    "IMAP login NO [UNAVAILABLE]": (
        "imap",
        _login_unavailable(),
        "login",
        "maintenance",
    ),
    "IMAP 8-bit bytes in CAPABILITY": (
        "imap",
        _eight_bit_capability(),
        "conversation",
        "not valid",
    ),
    "IMAP quota numbers that are not numbers": (
        "imap",
        _quota_not_numbers(),
        "quota",
        "could not be read",
    ),
    "IMAP quota answer cut short": (
        "imap",
        ImapScript(
            {
                "CAPABILITY": _QUOTA_CAPS,
                "GETQUOTAROOT": _reply(b"* QUOTAROOT\r\n* QUOTA (STORAGE\r\nTAG OK done\r\n"),
            }
        ),
        "quota",
        "could not be read",
    ),
    "POP3 8-bit bytes in CAPA": (
        "pop3",
        Pop3Script({"CAPA": lambda conn, args: conn.send(b"+OK\r\n\xff\xfe\x00\r\n.\r\n")}),
        "conversation",
        "not valid",
    ),
    "POP3 login never answered": (
        "pop3",
        Pop3Script({"USER": lambda conn, args: conn.hang()}),
        "login",
        "did not answer in time",
    ),
}

PYTHON_WORDS = ("codec", "index out of range", "non-int", "NoneType", "refused the login")


@pytest.mark.parametrize("case", AFTER_GREETING.values(), ids=AFTER_GREETING.keys())
def test_doctor_reports_a_hostile_server_after_its_greeting(scripted, cli, nameserver, case):
    protocol, script, check, words = case
    with scripted(script) as server:
        save(server, protocol)
        # the account timeout of every hostile test: a login never answered waits for it
        run = cli(
            "doctor", "work", "--no-send", "--nameserver", nameserver, "--timeout", TIMEOUT_ARG
        )
    assert run.code == 1 and "Traceback" not in run.out + run.err, run.err
    incoming = run.out.split("Incoming server", 1)[1].split("Outgoing server", 1)[0]
    lines = [line for line in incoming.splitlines() if f"] {check}:" in line]
    assert len(lines) == 1 and words in lines[0], incoming
    assert "[OK]" not in lines[0], lines[0]
    assert not any(python in lines[0] for python in PYTHON_WORDS), lines[0]


SMTP_GREETINGS = {
    "554": b"554 5.7.1 no service for you\r\n",
    "not SMTP": b"HELLO THERE\r\n",
}


@pytest.mark.parametrize("greeting", SMTP_GREETINGS.values(), ids=SMTP_GREETINGS.keys())
def test_doctor_reports_a_hostile_smtp_greeting_in_words(scripted, cli, nameserver, greeting):
    with scripted(SmtpScript(greeting=greeting)) as server:
        save(server, "smtp")
        run = cli("doctor", "work", "--no-send", "--nameserver", nameserver, "--timeout", "2")
    assert run.code == 1 and "Traceback" not in run.out + run.err, run.err
    outgoing = run.out.split("Outgoing server", 1)[1]
    failures = [line for line in outgoing.splitlines() if "[FAILURE]" in line]
    assert len(failures) == 1, outgoing
    assert "(554, '" not in failures[0] and "(-1, '" not in failures[0], failures[0]
    assert "\\r\\n" not in failures[0], failures[0]


SMTP_GREETING_LINES = {
    "554": (
        "greeting: the server answered 554 at the greeting: 5.7.1 no service for you (",
        "the server refuses to serve this connection: the provider may block this network "
        "(an address on a block list, a VPN); try from another network or ask the provider",
    ),
    "not SMTP": (
        'greeting: the server\'s answer at the greeting is not SMTP (it sent "HELLO THERE"); '
        "the connection was closed (",
        "check the port and security settings (tls for 993/995/465, starttls for 143/110/587)",
    ),
}


@pytest.mark.parametrize("case", SMTP_GREETINGS, ids=SMTP_GREETINGS.keys())
def test_a_hostile_smtp_greeting_reads_as_one_sentence(scripted, cli, nameserver, case) -> None:
    """The greeting line is named for the greeting (not "tls"), says "at the greeting",
    the server's line without aiosmtplib's words or its -1, and a fix for what it is."""
    line, fixed = SMTP_GREETING_LINES[case]
    with scripted(SmtpScript(greeting=SMTP_GREETINGS[case])) as server:
        save(server, "smtp")
        run = cli("doctor", "work", "--no-send", "--nameserver", nameserver, "--timeout", "2")
    outgoing = run.out.split("Outgoing server", 1)[1].splitlines()
    [at] = [i for i, text in enumerate(outgoing) if "[FAILURE]" in text]
    assert outgoing[at].startswith(f"  [FAILURE] {line}"), outgoing[at]
    assert outgoing[at + 1] == f"      fix: {fixed}", outgoing[at + 1]
    assert "Malformed" not in run.out and "-1" not in outgoing[at], outgoing[at]


def test_doctor_round_trip_says_a_read_only_inbox_in_words(scripted, cli, nameserver) -> None:
    """SELECT INBOX answered [READ-ONLY]: the round trip cannot clean up, and says so
    without imapclient's "b'\"INBOX\"' is not writable"."""
    with scripted(ImapScript()) as imap, scripted(SmtpScript()) as smtp:
        save_pair(imap, smtp)
        run = cli("doctor", "work", "--nameserver", nameserver, "--timeout", "2")
    assert run.code == 1 and "Traceback" not in run.out + run.err, run.err
    (line,) = [line for line in run.out.splitlines() if "] round trip:" in line]
    assert "read-only" in line and "b'" not in line, line


def _close(conn: Conn, tag: bytes, args: bytes) -> None:
    conn.close()


# A failure met mid-check -> (protocol, script, check, typed error class, server's words)
TYPED_FINDINGS = {
    "IMAP login NO [UNAVAILABLE]": (
        "imap",
        _login_unavailable(),
        "login",
        ServerBusy,
        ("[UNAVAILABLE]", "maintenance"),
    ),
    "IMAP connection lost at login": (
        "imap",
        ImapScript({"LOGIN": _close}),
        "login",
        TransientError,
        (),
    ),
    "IMAP 8-bit bytes in CAPABILITY": (
        "imap",
        _eight_bit_capability(),
        "conversation",
        ProtocolViolation,
        (),
    ),
    "POP3 -ERR [IN-USE] greeting": (
        "pop3",
        _greeting(b"-ERR [IN-USE] busy\r\n", hang=False),
        "greeting",
        ServerBusy,
        ("[IN-USE]", "busy"),
    ),
}


@pytest.mark.parametrize("case", TYPED_FINDINGS.values(), ids=TYPED_FINDINGS.keys())
def test_doctor_line_is_the_typed_errors_words(scripted, case) -> None:
    """A failure met mid-check is reported with the words tuimail.words has for its typed
    error (the CLI's and the app's), naming the server's code and words."""
    protocol, script, check, error_type, said = case
    with scripted(script) as server:
        account = save(server, protocol)
        results = check_server(protocol, account, Secret(PASSWORD), timeout=2)
    (line,) = [r for r in results if r.name == check]
    assert line.status == "failure" and isinstance(line.failure, error_type), line
    assert seen(line) == describe(line.failure), seen(line)
    assert all(words in seen(line) for words in said), seen(line)
    assert f"] {check}: {describe(line.failure)} (" in render_text(results)
    assert fix(line) and "Traceback" not in seen(line)


# What a server sent that the doctor's own parsing meets -> (protocol, script, check,
# typed error, words expected): typed where it happens, never Python's words or "unexpected".
PARSED_FINDINGS = {
    "IMAP GETQUOTAROOT refused": (
        "imap",
        ImapScript({"CAPABILITY": _QUOTA_CAPS, "GETQUOTAROOT": _reply(b"TAG NO quotas off\r\n")}),
        "quota",
        Refused,
        "the server did not answer GETQUOTAROOT: ",
    ),
    "IMAP quota numbers that are not numbers": (
        "imap",
        _quota_not_numbers(),
        "quota",
        ProtocolViolation,
        "the server's answer to GETQUOTAROOT could not be read",
    ),
    "POP3 empty line in CAPA": (
        "pop3",
        Pop3Script({"CAPA": lambda conn, args: conn.send(b"+OK\r\nUSER\r\n\r\n.\r\n")}),
        "capabilities",
        ProtocolViolation,
        "the server's answer to CAPA could not be read",
    ),
}


@pytest.mark.parametrize("case", PARSED_FINDINGS.values(), ids=PARSED_FINDINGS.keys())
def test_doctor_findings_from_a_servers_answer_are_typed(scripted, case) -> None:
    """Core hands the typed error over (CheckResult.failure, no sentence of its own);
    tuimail.doctor_words says it, with the server's words when it spoke."""
    protocol, script, check, error_type, words = case
    with scripted(script) as server:
        account = save(server, protocol)
        results = check_server(protocol, account, Secret(PASSWORD), timeout=2)
    (line,) = [r for r in results if r.name == check]
    assert isinstance(line.failure, error_type) and line.seen == "", line
    said = seen(line)
    assert said.startswith(words) and "unexpected" not in said, said
    if line.failure.server_text:
        assert describe(line.failure) in said, said
    assert not any(python in said for python in (*PYTHON_WORDS, "Error")), said


def test_an_unforeseen_exception_is_named_not_quoted(caplog) -> None:
    """An exception no server causes (a bug in tuimail) ends the check as an "unexpected"
    finding naming its type; its text (which may hold anything) goes to the log only."""
    from tuimail.core.doctor.server_checks import _stopped

    line = _stopped("Incoming", "conversation", KeyError("secret-ish detail"), 0.1, "imap")
    assert line.status == "failure" and line.failure is None and line.seen == ""
    assert line.data == {"finding": "unexpected", "type": "KeyError", "protocol": "imap"}
    assert "(KeyError)" in seen(line) and "secret-ish" not in seen(line) + fix(line)
    assert "report it as a tuimail bug" in fix(line)
    assert "secret-ish detail" in caplog.text


def test_an_ehlo_flood_is_named_for_ehlo_not_the_greeting(scripted, cli, nameserver) -> None:
    """The greeting was fine; the EHLO answer never ended: the failure line named it
    "greeting", sending the user to the wrong step."""
    flood = SmtpScript({"EHLO": lambda conn, args: conn.flood(b"250-" + b"B" * 500 + b"\r\n")})
    with scripted(flood) as server:
        save(server, "smtp")
        run = cli("doctor", "work", "--no-send", "--nameserver", nameserver, "--timeout", "2")
        # ...and the doctor closed that connection (it stayed open, the server blocked
        # in sending, until the process ended)
        assert server.client_left(), "the doctor left the SMTP connection open"
    assert run.code == 1 and "Traceback" not in run.out + run.err, run.err
    outgoing = run.out.split("Outgoing server", 1)[1].splitlines()
    [failure] = [line for line in outgoing if "[FAILURE]" in line]
    assert failure.startswith("  [FAILURE] EHLO: "), failure


def test_a_garbled_greeting_on_a_starttls_port_is_no_security_failure(
    scripted, cli, nameserver
) -> None:
    """On a port-587 (starttls) account a greeting that is not SMTP is the greeting's
    failure (a protocol violation), not STARTTLS's (a security failure)."""
    script = SmtpScript(greeting=b"HELLO THERE\r\n")
    with scripted(script, tls=False) as server:
        account = save(server, "smtp")
        account.outgoing.security = "starttls"
        save_account(account)
        run = cli("doctor", "work", "--no-send", "--nameserver", nameserver, "--timeout", "2")
    assert run.code == 1 and "Traceback" not in run.out + run.err, run.err
    outgoing = run.out.split("Outgoing server", 1)[1].splitlines()
    [failure] = [line for line in outgoing if "[FAILURE]" in line]
    assert failure.startswith("  [FAILURE] greeting: the server's answer at the greeting"), failure


def test_the_round_trip_deletes_only_its_own_message(scripted, cli, nameserver) -> None:
    """The round trip deleted the last UID the server's SEARCH named: a server naming
    another message there (hostile, or one ignoring the HEADER key) had the user's
    message deleted. Only a UID whose header carries the test's token is deleted."""
    smtp_script = SmtpScript()
    imap_script = RoundTripInbox(smtp_script, search_also_names_mine=True)
    with scripted(imap_script) as imap, scripted(smtp_script) as smtp:
        save_pair(imap, smtp)
        run = cli("doctor", "work", "--nameserver", nameserver, "--timeout", "2")
    assert "Traceback" not in run.out + run.err, run.err
    deleted = [c for c in imap_script.commands if b"\\DELETED" in c.upper()]
    assert len(deleted) == 1 and b" 2 " in deleted[0] + b" ", deleted
