"""A ca_file that is missing, unreadable or holds no certificate is named in a sentence
(it was "the connection was lost (2)" or "NO_CERTIFICATE_OR_CRL_FOUND"), for an account's
sync and send, and for `tuimail detect --ca-file`."""

from __future__ import annotations

import os
import shlex
import shutil
from pathlib import Path

import pytest

from tests.accounts.helpers import cli_args
from tests.imap.helpers import account_for
from tuimail.__main__ import main
from tuimail.core.config import save_account
from tuimail.core.tls import CAFileError, ca_file_problem, client_context


def _bad_files(tmp_path: Path) -> dict[str, tuple[str, str]]:
    """name -> (path, the words the sentence must have)."""
    empty = tmp_path / "not-a-cert.pem"
    empty.write_text("hello\n")
    locked = tmp_path / "locked.pem"
    locked.write_text("-----BEGIN CERTIFICATE-----\n")
    locked.chmod(0)
    cases = {
        "missing": (str(tmp_path / "nope.pem"), "does not exist"),
        "directory": (str(tmp_path), "is a directory"),
        "no certificate": (str(empty), "holds no PEM certificate"),
    }
    if os.geteuid() != 0:  # root reads anything
        cases["unreadable"] = (str(locked), "cannot be read (permission denied)")
    return cases


def test_every_bad_ca_file_is_a_sentence_naming_it(tmp_path) -> None:
    for path, words in _bad_files(tmp_path).values():
        with pytest.raises(CAFileError) as info:
            client_context(path)
        assert str(info.value) == f"the ca_file {path} {words}" or (
            str(info.value).startswith(f"the ca_file {path} {words}")
        )
        assert ca_file_problem(path) == str(info.value)


def test_a_tilde_in_ca_file_means_home(tmp_path, monkeypatch, mail_server, capsys) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    shutil.copy(mail_server.ca_file, tmp_path / "ca.pem")
    user = mail_server.new_user()
    account = account_for(mail_server, user, name="work")
    account.password_command = f"printf %s {shlex.quote(user.password)}"
    account.ca_file = "~/ca.pem"
    save_account(account)
    assert ca_file_problem("~/ca.pem") is None
    assert main(["sync", "work"]) == 0, capsys.readouterr()


def test_sync_with_a_missing_ca_file_says_so(mail_server, capsys, tmp_path) -> None:
    user = mail_server.new_user()
    account = account_for(mail_server, user, name="work")
    account.password_command = f"printf %s {shlex.quote(user.password)}"
    account.ca_file = str(tmp_path / "company-ca.pem")
    save_account(account)
    code = main(["sync", "work"])
    out = capsys.readouterr()
    text = out.out + out.err
    assert code == 2  # a configuration error (tests/cli/test_config_errors.py)
    assert f"the ca_file {tmp_path / 'company-ca.pem'} does not exist" in text
    assert "connection was lost" not in text and "Traceback" not in text


def test_send_with_a_missing_ca_file_says_so(mail_server, capsys, tmp_path, monkeypatch) -> None:
    import io
    import sys

    user = mail_server.new_user()
    account = account_for(mail_server, user, name="work")
    account.password_command = f"printf %s {shlex.quote(user.password)}"
    account.ca_file = str(tmp_path / "company-ca.pem")
    save_account(account)
    message = f"From: {user.email}\nTo: {user.email}\nSubject: ca\n\nx\n"
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(message.encode())))
    code = main(["send", "--account", "work"])
    out = capsys.readouterr()
    assert code != 0
    assert f"the ca_file {tmp_path / 'company-ca.pem'} does not exist" in out.out + out.err


def test_detect_with_a_missing_ca_file_says_so(mail_server, capsys, tmp_path) -> None:
    args = cli_args(mail_server)
    args[args.index("--ca-file") + 1] = str(tmp_path / "missing.pem")
    code = main(["detect", "alice@example.test", *args])
    err = capsys.readouterr().err
    assert code == 2
    assert f"tuimail detect: --ca-file {tmp_path / 'missing.pem'} does not exist." in err


def test_doctor_with_a_missing_ca_file_says_so(mail_server, capsys, tmp_path) -> None:
    from tests.doctor.conftest import healthy_zone

    user = mail_server.new_user()
    account = account_for(mail_server, user, name="work")
    account.password_command = f"printf %s {shlex.quote(user.password)}"
    account.ca_file = str(tmp_path / "company-ca.pem")
    save_account(account)
    code = main(["doctor", "work", "--no-send", "--nameserver", healthy_zone(mail_server)])
    out = capsys.readouterr().err  # said before any check runs, as a configuration error
    assert code == 2
    assert f"the ca_file {tmp_path / 'company-ca.pem'} does not exist" in out
    assert "connection was lost" not in out
