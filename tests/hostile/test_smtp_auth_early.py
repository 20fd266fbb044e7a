"""A server answering AUTH CRAM-MD5 with 235 before any challenge (RFC 4954 section 4: the
mechanism's exchange never happened; RFC 4422 section 3.6: a client does not count that as
a login): a protocol violation, worded as one, never "refused the login"; no credential
was sent and the message stays in the outbox."""

from __future__ import annotations

import json

import pytest

from tests.hostile.conftest import PASSWORD, save
from tests.hostile.scripted import SmtpScript
from tuimail.core.doctor.server_checks import check_server
from tuimail.core.errors import ProtocolViolation
from tuimail.core.secrets import Secret
from tuimail.doctor_words import seen

pytestmark = pytest.mark.timeout(60)

EHLO = b"250-smtp.example.test\r\n250-AUTH CRAM-MD5\r\n250 8BITMIME\r\n"
MESSAGE = b"From: bob@example.test\r\nTo: alice@example.test\r\nSubject: hi\r\n\r\nHello.\r\n"


def test_a_235_before_the_challenge_is_a_protocol_violation(scripted, cli, tmp_path) -> None:
    path = tmp_path / "m.eml"
    path.write_bytes(MESSAGE)
    script = SmtpScript({"EHLO": lambda c, a: c.send(EHLO)})  # AUTH: "235 2.7.0 accepted"
    with scripted(script) as server:
        save(server, "smtp")
        run = cli("send", str(path))
    assert run.code != 0 and "Traceback" not in run.err
    assert "refused the login" not in run.err, run.err
    assert "235" in run.err and "before the login" in run.err, run.err
    assert [c for c in script.commands if c.upper().startswith(b"AUTH")] == [b"AUTH CRAM-MD5"]
    assert not any(c.upper().startswith(b"MAIL") for c in script.commands)
    (kept,) = json.loads(cli("outbox", "--json").out)
    assert kept["failure"]["error"]["kind"] == "protocol", kept
    assert kept["failure"]["error"]["reason"] == "early-success", kept


def test_the_doctor_says_the_early_235_is_not_a_login(scripted) -> None:
    with scripted(SmtpScript({"EHLO": lambda c, a: c.send(EHLO)})) as server:
        account = save(server, "smtp")
        results = check_server("smtp", account, Secret(PASSWORD), timeout=2)
    (line,) = [r for r in results if r.status == "failure"]
    assert isinstance(line.failure, ProtocolViolation), line
    assert "before the login exchange" in seen(line) and "refused" not in seen(line), seen(line)
