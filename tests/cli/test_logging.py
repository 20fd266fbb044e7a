"""The log file: where it is, what --verbose/--debug add, and that no password and no
message content is ever in it (nor on stdout/stderr) after a debug session that logs in,
syncs and sends."""

from __future__ import annotations

import json
import logging
import os
import re
import stat
import subprocess
import sys
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from tests.cli.helpers import configure
from tests.sending.helpers import tuimail
from tuimail.core import logs
from tuimail.core.logs import RedactFilter, log_path, redact, remember_secret, setup

CANARY = "canary-PW-7f3a9c1e"
BODY_MARKER = "body-marker-5d2b8e90"
SUBJECT = "logged subject"


def test_debug_session_never_logs_password_or_body(mail_server, isolated_home: Path) -> None:
    user = mail_server.add_user("logger", CANARY)
    configure(mail_server, user)
    mail_server.deliver(
        user,
        f"From: a@example.test\r\nTo: {user.email}\r\nSubject: incoming\r\n"
        f"Message-ID: <in@example.test>\r\n\r\nincoming {BODY_MARKER}\r\n".encode(),
    )
    outputs = []
    synced = tuimail("--debug", "sync")
    assert synced.returncode == 0, synced.stderr.decode()
    outputs.append(synced)
    listed = tuimail("list", "--json", "--verbose")
    assert listed.returncode == 0, listed.stderr.decode()
    uid = json.loads(listed.stdout)[0]["uid"]
    outputs.append(tuimail("read", str(uid), "--debug"))  # fetches the body
    assert BODY_MARKER.encode() in outputs[-1].stdout  # printed for the user, not logged
    outputs[-1] = subprocess.CompletedProcess([], 0, b"", outputs[-1].stderr)
    message = f"To: {user.email}\nSubject: {SUBJECT}\n\nsent {BODY_MARKER}\n".encode()
    sent = tuimail("send", "--debug", stdin=message)  # SMTP AUTH, then APPEND to Sent
    assert sent.returncode == 0, sent.stderr.decode()
    outputs.append(sent)

    log = log_path()
    assert log.is_relative_to(isolated_home / "state")
    text = log.read_text()
    # The debug log really has the conversation in it ...
    assert "SMTP > AUTH" in text and "SMTP > RCPT TO:" in text and "SMTP > DATA" in text
    assert "smtputf8" in text  # the server's EHLO extensions
    assert "imapclient" in text and "> b'" in text
    assert "LOGIN [redacted]" in text and "read literal size" in text  # IMAP conversation
    assert "sync work: " in text and "send " in text and "exit status 0" in text
    # ... and neither the password nor a body, anywhere.
    everything = [text] + [o.stdout.decode() + o.stderr.decode() for o in outputs]
    for chunk in everything:
        assert CANARY not in chunk
        assert BODY_MARKER not in chunk
    assert stat.S_IMODE(os.stat(log).st_mode) == 0o600
    assert "DEBUG" in sent.stderr.decode()  # --debug shows the log on stderr too


def test_without_flags_the_log_file_has_info_and_stderr_stays_quiet(
    mail_server,
) -> None:
    user = mail_server.new_user()
    configure(mail_server, user)
    result = tuimail("sync")
    assert result.returncode == 0 and result.stderr == b""
    text = log_path().read_text()
    assert "INFO tuimail.cli: sync work: " in text and "DEBUG" not in text


def test_redaction_of_secrets_and_credential_lines(monkeypatch) -> None:
    # Only this test's secret: others remembered earlier in the run (a token "bad" in the
    # OAuth tests) would blank words of the expected text.
    monkeypatch.setattr(logs, "_secrets", set())
    remember_secret("s3cret-value")
    assert redact("pw=s3cret-value!") == "pw=\u2022\u2022\u2022!"
    assert redact("> b'0003 LOGIN user \"hunter2\"'") == "> b'0003 LOGIN [redacted]"
    assert redact("C: AUTH PLAIN AGFsaWNlAHB3") == "C: AUTH [redacted]"
    assert redact("PASS hunter2") == "PASS [redacted]"
    record = logging.LogRecord(
        "x", logging.ERROR, __file__, 1, "failed: %s", ("s3cret-value",), None
    )
    try:
        raise ValueError("bad s3cret-value")
    except ValueError:
        record.exc_info = sys.exc_info()
    RedactFilter().filter(record)
    dots = "\u2022\u2022\u2022"
    assert record.getMessage() == f"failed: {dots} [ValueError: bad {dots}]"
    assert record.exc_info is None


def test_imap_literals_are_never_logged() -> None:
    def filtered(message: str) -> str:
        record = logging.LogRecord(
            "imapclient.imapclient", logging.DEBUG, __file__, 1, message, (), None
        )
        RedactFilter().filter(record)
        return record.getMessage()

    body = f"Subject: x\\r\\n\\r\\n{BODY_MARKER}"
    assert filtered(f"> b' {{120+}}\\r\\n{body}'") == "> b' {120+} (literal not logged)"
    assert filtered(f"   (literal) > b'{body}'") == "(literal not logged: message content)"
    assert filtered("> b'0004 UID FETCH 1 (FLAGS)'") == "> b'0004 UID FETCH 1 (FLAGS)'"
    fetch = "> b'0005 UID FETCH 1 (BODY.PEEK[])'"
    assert filtered(fetch) == fetch  # the command names the item: no content
    inline = f"< b'* 1 FETCH (UID 1 BODY[TEXT] \"{BODY_MARKER}\")'"
    assert filtered(inline) == "< b'* 1 FETCH (UID 1 BODY[TEXT] (content not logged)"
    quoted = f"< b'* 1 FETCH (RFC822 \"{BODY_MARKER}\" RFC822.SIZE 9)'"
    assert BODY_MARKER not in filtered(quoted)
    size = "< b'* 1 FETCH (UID 1 RFC822.SIZE 120 FLAGS ())'"
    assert filtered(size) == size


def test_main_leaves_logging_as_it_found_it(capsys) -> None:
    from tuimail.__main__ import main

    root = logging.getLogger()
    before = (list(root.handlers), root.level, logging.getLogger("tuimail").level)
    assert main(["account", "list", "--debug"]) == 0
    assert "INFO tuimail: tuimail " in capsys.readouterr().err and log_path().exists()
    assert (list(root.handlers), root.level, logging.getLogger("tuimail").level) == before


def test_the_log_rotates(isolated_home: Path) -> None:
    from tuimail.core import logs

    path = setup(console=False)
    handler = next(h for h in logging.getLogger().handlers if getattr(h, "_tuimail", False))
    try:
        assert handler.maxBytes == logs.MAX_BYTES and handler.backupCount == logs.BACKUPS
        handler.maxBytes = 2000
        for i in range(100):
            logging.getLogger("tuimail.test").info("line %d %s", i, "x" * 50)
        assert path.exists() and path.with_name("tuimail.log.1").exists()
        assert not path.with_name(f"tuimail.log.{logs.BACKUPS + 1}").exists()
    finally:
        logs.teardown()


def test_rotated_logs_keep_their_order_and_stay_private(isolated_home: Path) -> None:
    """Each rotation moves tuimail.log to .1, .1 to .2 ...; the newest line is in
    tuimail.log, older ones further down the chain, none past BACKUPS; every file 0600."""
    path = setup(console=False)
    handler = next(h for h in logging.getLogger().handlers if getattr(h, "_tuimail", False))
    try:
        handler.maxBytes = 1000
        for i in range(200):
            logging.getLogger("tuimail.test").info("line %03d %s", i, "y" * 40)
    finally:
        logs.teardown()
    chain = [path, *(path.with_name(f"tuimail.log.{n}") for n in range(1, logs.BACKUPS + 1))]
    assert all(p.exists() for p in chain)
    assert not path.with_name(f"tuimail.log.{logs.BACKUPS + 1}").exists()
    assert "line 199 " in path.read_text()
    numbers = [[int(n) for n in re.findall(r"line (\d+) ", p.read_text())] for p in chain]
    newest_first = [n for numbers_of_file in numbers for n in reversed(numbers_of_file)]
    assert newest_first == sorted(newest_first, reverse=True)  # no line out of order
    for p in chain:
        assert stat.S_IMODE(p.stat().st_mode) == 0o600, p
        assert p.stat().st_size <= 1000


def test_without_backups_a_full_log_starts_afresh_once(isolated_home: Path) -> None:
    """backupCount 0 keeps no older file: the full log is emptied and written on, staying
    under maxBytes and opened once per rotation (reopened as it was, it stayed full, grew
    without bound and was reopened for every record)."""
    path = setup(console=False)
    handler = next(h for h in logging.getLogger().handlers if getattr(h, "_tuimail", False))
    opened = []
    reopen = handler._open
    handler._open = lambda **how: opened.append(1) or reopen(**how)
    try:
        handler.maxBytes, handler.backupCount = 1000, 0
        for i in range(200):
            logging.getLogger("tuimail.test").info("line %03d %s", i, "z" * 40)
    finally:
        logs.teardown()
    assert "line 199 " in path.read_text() and path.stat().st_size <= 1000
    assert not path.with_name("tuimail.log.1").exists()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert len(opened) <= 200 * 100 // 1000 + 1  # one open per filled file, not per line


@given(
    st.text(alphabet="ab*- ", min_size=3, max_size=6),
    st.text(alphabet="ab*- ", max_size=30),
)
def test_a_remembered_secret_never_survives_redaction(secret: str, around: str) -> None:
    from tuimail.core import logs

    remember_secret(secret)
    try:
        for text in (secret, around + secret + around, secret[1:] + secret + secret[:-1]):
            assert secret not in redact(text)
    finally:
        logs._secrets.discard(secret)  # other tests' logs must not lose "   " or "---"
