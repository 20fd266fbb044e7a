"""`tuimail doctor` as a separate process prints nothing on stderr: no asyncio "Future
exception was never retrieved" or "Task was destroyed" noise (aiosmtplib 3.0 printed it;
its floor is raised so the lowest allowed version passes this)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.doctor.conftest import healthy_zone, make_account
from tuimail.core.config import save_account


def _doctor(server, tmp_path, password: str, *args: str, smtp_security="tls"):
    user = server.new_user()
    secret = tmp_path / "pw.txt"
    secret.write_text(user.password if password == "right" else "wrong-password")
    account = make_account(server, user, smtp_security=smtp_security)
    account.name = "home"
    account.password_command = f"cat {secret}"
    save_account(account)
    ns = healthy_zone(server)
    return subprocess.run(
        [sys.executable, "-m", "tuimail", "doctor", "home", "--nameserver", ns, *args],
        capture_output=True,
        text=True,
        timeout=300,
    )


def _quiet(done) -> None:
    assert "never retrieved" not in done.stderr
    assert "was destroyed" not in done.stderr
    assert done.stderr == ""


@pytest.mark.parametrize(
    "password, args, smtp_security, code",
    [
        ("right", ("--roundtrip-timeout", "30"), "tls", 0),
        ("right", ("--no-send",), "starttls", 0),
        ("wrong", ("--no-send",), "tls", 1),
        ("wrong", ("--no-send",), "starttls", 1),
    ],
)
def test_doctor_process_leaves_stderr_empty(
    mail_server, tmp_path, password, args, smtp_security, code
) -> None:
    done = _doctor(mail_server, tmp_path, password, *args, smtp_security=smtp_security)
    assert done.returncode == code, done.stdout + done.stderr
    _quiet(done)


def test_doctor_process_on_a_bad_certificate_leaves_stderr_empty(bad_cert_server, tmp_path) -> None:
    done = _doctor(bad_cert_server, tmp_path, "right", "--no-send")
    assert done.returncode == 1, done.stdout + done.stderr
    _quiet(done)
