"""A failed submission is kept as typed data and worded at the edge (issue 13): against
the bundled server, `tuimail send` and `tuimail outbox` print the same sentence that
`tuimail outbox --json` gives as `last_error`, and `failure` holds what it was made of:
the SMTP reply code, the RFC 3463 enhanced code and the server's words, or the TLS
classifier's reason (a wrong pin, an untrusted certificate) with its data."""

from __future__ import annotations

import json
import ssl

from tests.cli.helpers import configure
from testserver.faults import Fault
from tuimail.__main__ import main
from tuimail.core.config import save_account
from tuimail.core.tls import spki_sha256


def _send(tmp_path, capsys, recipient: str = "x@example.org") -> str:
    path = tmp_path / "m.eml"
    path.write_bytes(b"Subject: typed\r\n\r\nbody\r\n")
    assert main(["send", str(path), recipient]) == 1
    return capsys.readouterr().err


def _outbox(capsys) -> tuple[dict, str]:
    assert main(["outbox", "--json"]) == 0
    (entry,) = json.loads(capsys.readouterr().out)
    assert main(["outbox"]) == 0
    return entry, capsys.readouterr().out


def test_a_5xx_with_an_enhanced_code_reads_the_same_in_send_outbox_and_json(
    mail_server, capsys, tmp_path
) -> None:
    user = mail_server.new_user()
    configure(mail_server, user)
    said = "5.7.1 Sender <x> not owned by user \x1b[31m[b]bold[/b]"
    mail_server.faults.add(Fault("smtp", "reply", command="MAIL", code=553, message=said))
    err = _send(tmp_path, capsys)
    entry, listing = _outbox(capsys)
    sentence = entry["last_error"]
    assert "553 5.7.1 Sender <x> not owned by user" in sentence and "MAIL FROM" in sentence
    assert "\x1b" not in sentence and "[b]bold[/b]" in sentence  # sanitised, plain text
    assert sentence in err and sentence in listing
    failure = entry["failure"]
    assert (failure["reason"], failure["stage"]) == ("reply", "MAIL FROM")
    error = failure["error"]
    assert (error["kind"], error["protocol"], error["code"], error["enhanced"]) == (
        "refused",
        "smtp",
        553,
        "5.7.1",
    )
    assert error["server_text"].startswith("5.7.1 Sender <x> not owned by user")
    assert entry["state"] == "failed"


def test_a_wrong_pin_reads_the_same_in_send_outbox_and_json(mail_server, capsys, tmp_path) -> None:
    user = mail_server.new_user()
    pem = ssl.get_server_certificate((mail_server.host, mail_server.ports.smtp_tls))
    actual = spki_sha256(ssl.PEM_cert_to_DER_cert(pem))
    account = configure(mail_server, user)
    account.ca_file = None
    account.outgoing.pinned_sha256 = "ab" * 32
    save_account(account)
    err = _send(tmp_path, capsys)
    entry, listing = _outbox(capsys)
    sentence = entry["last_error"]
    assert "not the one you chose to trust" in sentence and actual in sentence
    assert "nothing was sent" in sentence
    assert sentence in err and sentence in listing
    error = entry["failure"]["error"]
    assert (entry["failure"]["reason"], error["kind"], error["reason"]) == (
        "security",
        "security",
        "pin",
    )
    assert error["data"] == {"expected": "ab" * 32, "actual": actual}
    assert mail_server.protocol_server("smtp").auth_log == []


def test_an_untrusted_certificate_reads_the_same_in_send_outbox_and_json(
    mail_server, capsys, tmp_path
) -> None:
    user = mail_server.new_user()
    account = configure(mail_server, user)
    account.ca_file = None  # the test CA is not trusted here
    save_account(account)
    err = _send(tmp_path, capsys)
    entry, listing = _outbox(capsys)
    sentence = entry["last_error"]
    assert "not from an authority" in sentence or "unknown authority" in sentence, sentence
    assert sentence in err and sentence in listing
    error = entry["failure"]["error"]
    assert (error["kind"], error["reason"]) == ("security", "untrusted")
    assert isinstance(error["data"]["verify_code"], int)  # decided by the number
    assert mail_server.protocol_server("smtp").auth_log == []
