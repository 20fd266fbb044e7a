"""`tuimail account login NAME` as a user runs it: the device sign-in (the test approves
the code on the server's own endpoint), and --browser with a BROWSER that plays the person
at the browser (authorization code + PKCE on the loopback redirect). Exit statuses as the
README says; the sign-in lands where it says; no token on the terminal."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest

from tests.oauth2.helpers import browser_script, oauth_account
from testserver.server import MailServer
from tuimail.__main__ import main
from tuimail.core.config import save_account
from tuimail.core.oauth2 import store, tokens


@pytest.fixture
def mail_server(test_ca):
    with MailServer(ca=test_ca, oauth=True) as server:
        yield server


def _run(*args: str, env: dict | None = None) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "tuimail", "account", "login", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=os.environ | (env or {}),
    )


def test_device_sign_in_shows_the_code_and_keeps_the_sign_in_in_the_file(mail_server) -> None:
    user = mail_server.new_user()
    account = oauth_account(mail_server, user, oauth2_token_store="file")
    save_account(account)
    proc = _run("w", "--no-qr")
    try:
        lines = []
        for line in proc.stdout:
            lines.append(line)
            code = re.fullmatch(r"\s+([A-Z0-9]{4}-[A-Z0-9]{4})\s*", line)
            if code:
                break
        assert f"open {mail_server.oauth.issuer}/device" in "".join(lines)
        mail_server.oauth.approve_device(code.group(1), user.login, user.password)
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err
    assert "Signed in to w" in out and str(store.file_path("w")) in out
    assert out.count("Login ok: ") == 2  # IMAP and SMTP took the new token
    # A later run finds the sign-in in the file and gets a working token from it.
    refresh = store.load("w", "file")
    assert refresh is not None and refresh.reveal() not in out + err
    token = tokens.access_token(account)
    assert token.reveal() not in out + err


def test_device_sign_in_declined_exits_1_with_a_sentence(mail_server) -> None:
    user = mail_server.new_user()
    save_account(oauth_account(mail_server, user))
    proc = _run("w", "--no-qr")
    try:
        for line in proc.stdout:
            code = re.fullmatch(r"\s+([A-Z0-9]{4}-[A-Z0-9]{4})\s*", line)
            if code:
                break
        mail_server.oauth.approve_device(code.group(1), user.login, user.password, approve=False)
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 1
    assert "the sign-in was declined" in err and "Traceback" not in err


def test_browser_sign_in_with_pkce_through_the_loopback_redirect(mail_server, tmp_path) -> None:
    user = mail_server.new_user()
    account = oauth_account(mail_server, user, oauth2_token_store="file")
    save_account(account)
    proc = _run("w", "--browser", "--timeout", "60",
                env={"BROWSER": str(browser_script(tmp_path, mail_server, user))})  # fmt: skip
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err
    assert "Signed in to w" in out
    token_requests = [r for r in mail_server.oauth.requests if r[1] == "/token"]
    assert "code_verifier" in token_requests[-1][2]  # PKCE
    assert tokens.access_token(account)  # the stored refresh token works


def test_without_a_keyring_or_file_the_sign_in_is_said_to_be_memory_only(
    mail_server, tmp_path
) -> None:
    user = mail_server.new_user()
    save_account(oauth_account(mail_server, user))
    proc = _run("w", "--browser",
                env={"BROWSER": str(browser_script(tmp_path, mail_server, user))})  # fmt: skip
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err
    assert "kept in memory only" in out
    assert not store.file_path("w").exists()


def test_usage_errors_exit_2(mail_server, capsys) -> None:
    user = mail_server.new_user()
    assert main(["account", "login", "nobody"]) == 2
    assert "there is no account named 'nobody'" in capsys.readouterr().err
    password_account = oauth_account(mail_server, user, name="pw", auth="password", oauth2=None)
    save_account(password_account)
    assert main(["account", "login", "pw"]) == 2
    assert "logs in with a password" in capsys.readouterr().err
    no_device = oauth_account(mail_server, user, name="nd")
    del no_device.oauth2["device_authorization_endpoint"]
    save_account(no_device)
    assert main(["account", "login", "nd"]) == 2
    assert "use --browser" in capsys.readouterr().err


def test_the_qr_code_is_drawn_with_half_blocks_for_a_plain_address(capsys) -> None:
    from tuimail.cli import login

    login._qr("https://login.example.test/device?code=ABCD-EFGH")
    out = capsys.readouterr().out
    assert "▀" in out or "▄" in out or "█" in out
    assert "scan this with your phone" in out
    login._qr("https://login.example.test/\x1b[31m")  # not printable: no code drawn
    assert capsys.readouterr().out == ""


def test_account_add_with_auth_oauth2_then_login(mail_server, capsys) -> None:
    user = mail_server.new_user()
    p = mail_server.ports
    # A provider by name: no password is asked or sent; the next step is said.
    assert main(["account", "add", "ms", "--email", "me@outlook.test", "--auth", "oauth2",
                 "--oauth2-provider", "microsoft", "--client-id", "abc",
                 "--incoming", "outlook.office365.com:993",
                 "--outgoing", "smtp.office365.com:587", "--outgoing-security", "starttls"]) == 0  # fmt: skip
    out = capsys.readouterr().out
    assert "Now sign in: tuimail account login ms" in out
    from tuimail.core.config import load_config

    ms = load_config().accounts["ms"]
    assert ms.auth == "oauth2" and ms.oauth2 == {"client_id": "abc", "provider": "microsoft"}
    # Missing client id: a usage error, nothing saved.
    assert main(["account", "add", "x", "--email", "x@outlook.test", "--auth", "oauth2",
                 "--incoming", "h:993", "--outgoing", "h:465"]) == 2  # fmt: skip
    assert "needs --client-id" in capsys.readouterr().err
    assert "x" not in load_config().accounts
    # A token helper alone is enough.
    assert main(["account", "add", "helper", "--email", user.email, "--auth", "oauth2",
                 "--oauth2-token-command", "oama access me",
                 "--incoming", f"{mail_server.host}:{p.imap_tls}",
                 "--outgoing", f"{mail_server.host}:{p.smtp_tls}"]) == 0  # fmt: skip
    assert load_config().accounts["helper"].oauth2_token_command == "oama access me"
    assert "Now sign in" not in capsys.readouterr().out


def test_signed_in_as_someone_else_the_servers_refuse_and_it_says_so(mail_server) -> None:
    owner, other = mail_server.new_user(), mail_server.new_user()
    save_account(oauth_account(mail_server, owner))
    proc = _run("w", "--no-qr")
    try:
        for line in proc.stdout:
            code = re.fullmatch(r"\s+([A-Z0-9]{4}-[A-Z0-9]{4})\s*", line)
            if code:
                break
        mail_server.oauth.approve_device(code.group(1), other.login, other.password)
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 1
    assert "Signed in to w" in out and "Login FAILED" in out
    assert "did not accept the token" in err and "Traceback" not in err


def test_removing_an_account_forgets_its_sign_in(mail_server) -> None:
    from tests.oauth2.helpers import device_sign_in

    user = mail_server.new_user()
    account = oauth_account(mail_server, user, oauth2_token_store="file")
    save_account(account)
    device_sign_in(mail_server, user, account)
    assert store.file_path("w").exists()
    assert main(["account", "remove", "w"]) == 0
    assert not store.file_path("w").exists() and store.load("w", "file") is None
