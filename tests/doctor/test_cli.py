"""`tuimail doctor` end to end: config file, password command, text and JSON, exit code."""

from __future__ import annotations

import json
import re

from tests.doctor.conftest import healthy_zone, make_account
from tuimail.__main__ import main
from tuimail.core.config import save_account


def _save(mail_server, tmp_path, password: str | None = None, name="home"):
    user = mail_server.new_user()
    secret = tmp_path / "pw.txt"
    secret.write_text(user.password if password is None else password)
    account = make_account(mail_server, user)
    account.name = name
    account.password_command = f"cat {secret}"
    save_account(account)
    return user


def test_doctor_json_healthy_exit_zero(mail_server, tmp_path, capsys) -> None:
    user = _save(mail_server, tmp_path)
    ns = healthy_zone(mail_server)
    assert main(["doctor", user.email, "--json", "--no-send", "--nameserver", ns]) == 0
    out = capsys.readouterr().out
    data = json.loads(out)
    assert data["ok"] is True
    assert {c["status"] for c in data["checks"]} == {"ok"}
    groups = list(dict.fromkeys(c["group"] for c in data["checks"]))
    assert groups[0] == "DNS for example.test" and groups[-1] == "Other ports"
    assert any(c["name"] == "SPF" for c in data["checks"])
    keys = {"name", "group", "status", "seen", "fix", "seconds", "finding", "data", "error"}
    assert set(data["checks"][0]) == keys
    # Each check carries the data its words were made from (docs/json.md).
    by = {(c["group"].split()[0], c["name"]): c for c in data["checks"]}
    mx = by[("DNS", "MX")]
    assert (mx["finding"], mx["data"]["mx"], mx["data"]["relation"]) == (
        "mx",
        [[10, "mx.example.test"]],
        "elsewhere",
    )
    assert mx["seen"].startswith("10 mx.example.test; the incoming server localhost is")
    caps = by[("Incoming", "capabilities")]
    assert caps["finding"] == "capabilities" and "IDLE" in caps["data"]["offered"]
    cert = by[("Incoming", "certificate")]
    assert cert["finding"] == "certificate" and cert["data"]["host"] == "localhost"
    assert cert["seen"] == (
        f"valid for localhost, trusted, expires in {cert['data']['days']} days "
        f"({cert['data']['not_after']})"
    )
    login = by[("Incoming", "login")]
    assert (login["finding"], login["data"], login["error"]) == (
        "logged-in",
        {"login": user.login},
        None,
    )
    assert all(c["finding"] for c in data["checks"])


def test_doctor_json_carries_the_typed_error(mail_server, tmp_path, capsys) -> None:
    user = _save(mail_server, tmp_path, "wrong-password")
    ns = healthy_zone(mail_server)
    assert main(["doctor", user.email, "--json", "--no-send", "--nameserver", ns]) == 1
    checks = json.loads(capsys.readouterr().out)["checks"]
    login = next(c for c in checks if c["name"] == "login" and c["status"] == "failure")
    assert login["finding"] == "login-refused" and login["data"]["refusal"] == "wrong-password"
    assert (login["data"]["protocol"], login["data"]["host"]) == ("imap", "localhost")
    assert login["error"]["kind"] == "authentication" and login["error"]["protocol"] == "imap"


def test_doctor_text_wrong_password_exit_one(mail_server, tmp_path, capsys) -> None:
    _save(mail_server, tmp_path, "wrong-password")
    ns = healthy_zone(mail_server)
    assert main(["doctor", "home", "--no-send", "--nameserver", ns]) == 1
    out = capsys.readouterr().out
    assert "[FAILURE] login" in out and "app password" in out
    assert "\x1b[" not in out  # not a TTY: no colour
    assert "wrong-password" not in out


def test_doctor_unknown_account(capsys) -> None:
    assert main(["doctor", "nobody"]) == 2
    assert "no account is configured" in capsys.readouterr().err


def test_doctor_sends_by_default_and_shows_the_delay(mail_server, tmp_path, capsys) -> None:
    user = _save(mail_server, tmp_path)
    ns = healthy_zone(mail_server)
    assert main(["doctor", "home", "--roundtrip-timeout", "30", "--nameserver", ns]) == 0
    out = capsys.readouterr().out
    assert "\nRound trip\n" in out
    assert re.search(r"\[OK\] round trip: the test message arrived in INBOX \d+\.\d s after", out)
    assert "[OK] clean up: the test message was deleted from INBOX" in out
    assert len(mail_server.protocol_server("smtp").accepted) == 1
    assert mail_server.messages(user) == []


def test_doctor_dkim_selector_and_dns_problems(mail_server, tmp_path, capsys) -> None:
    _save(mail_server, tmp_path)
    ns = healthy_zone(mail_server)
    mail_server.dns.set_records(
        "example.test", [("MX", "10 mx.example.test."), ("TXT", "v=spf1 +all")]
    )
    args = ["doctor", "home", "--no-send", "--nameserver", ns, "--dkim-selector", "s1"]
    assert main(args) == 1
    out = capsys.readouterr().out
    assert "[FAILURE] SPF: 'v=spf1 +all' ends in '+all': anyone may send as you" in out
    assert "[FAILURE] DKIM: no DKIM key at s1._domainkey.example.test" in out
    assert ("s1._domainkey.example.test", "TXT") in mail_server.dns.queries


def test_warnings_only_exit_zero(mail_server, tmp_path, capsys) -> None:
    _save(mail_server, tmp_path)
    ns = healthy_zone(mail_server)
    mail_server.dns.set_records("_dmarc.example.test", None)
    assert main(["doctor", "home", "--no-send", "--nameserver", ns]) == 0
    out = capsys.readouterr().out
    assert "[WARNING] DMARC: no DMARC record" in out
    assert out.rstrip().endswith("1 warning(s), 0 failure(s)")


def _in_a_terminal(args: list[str], **env: str) -> tuple[int, str]:
    """Run `python -m tuimail ARGS` with its stdout on a real pseudo-terminal."""
    import os
    import pty
    import select
    import subprocess
    import sys

    master, slave = pty.openpty()
    environ = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR")}
    environ.update({"TERM": "xterm-256color", **env})
    proc = subprocess.Popen(
        [sys.executable, "-m", "tuimail", *args],
        stdin=subprocess.DEVNULL,
        stdout=slave,
        stderr=subprocess.PIPE,
        env=environ,
    )
    os.close(slave)
    out = b""
    try:
        while select.select([master], [], [], 60)[0]:
            try:
                data = os.read(master, 65536)
            except OSError:  # EIO: the child closed the terminal
                break
            if not data:
                break
            out += data
    finally:
        os.close(master)
    return proc.wait(60), out.decode("utf-8", "replace")


def test_coloured_on_a_terminal_unless_told_not_to(mail_server, tmp_path) -> None:
    _save(mail_server, tmp_path, "wrong-password")
    ns = healthy_zone(mail_server)
    args = ["doctor", "home", "--no-send", "--nameserver", ns]
    code, out = _in_a_terminal(args)
    assert code == 1
    assert "\x1b[32mOK\x1b[0m" in out and "\x1b[31mFAILURE\x1b[0m" in out
    for env in ({"NO_COLOR": "1"}, {"TERM": "dumb"}):
        code, out = _in_a_terminal(args, **env)
        assert code == 1 and "[FAILURE] login" in out
        assert "\x1b[" not in out, env
