"""Exit statuses: 0 ok, 1 a mail or server failure, 2 a usage or configuration error; the
same for every command, and written in `tuimail --help`."""

from __future__ import annotations

import json

import pytest

from tests.cli.helpers import configure
from tests.sending.helpers import tuimail
from tuimail.__main__ import main
from tuimail.cli.exits import EXIT_FAILURE, EXIT_USAGE
from tuimail.core.config import save_account


def _help(capsys, *args: str) -> str:
    """What `tuimail ARGS --help` prints (argparse ends it with status 0)."""
    capsys.readouterr()
    with pytest.raises(SystemExit) as done:
        main([*args, "--help"])
    assert done.value.code == 0
    return capsys.readouterr().out


def test_help_lists_the_exit_statuses(capsys) -> None:
    out = _help(capsys)
    assert "exit status:" in out
    for line in ("0    success", "1    a mail or server failure", "2    a usage or configuration"):
        assert line in out
    for command in ("list", "send", "account", "doctor"):
        text = " ".join(_help(capsys, command).split())  # argparse wraps at the terminal's width
        assert "exit status: 0 success, 1 a mail or server failure, 2 a usage" in text, command


def test_list_of_a_folder_that_does_not_exist_is_an_error(synced, capsys) -> None:
    assert main(["list", "--folder", "Nope"]) == EXIT_USAGE
    err = capsys.readouterr().err
    assert "no account has a folder Nope in the store" in err and "has no folder" not in err
    assert main(["list", "work", "--folder", "Nope", "--json"]) == EXIT_USAGE
    out = capsys.readouterr()
    assert out.out == "" and "work has no folder Nope" in out.err
    assert main(["list", "--folder", "INBOX"]) == 0
    assert "exit 1" in capsys.readouterr().out


@pytest.mark.parametrize("limit", ["-1", "0", "ten"])
def test_list_limit_must_be_a_positive_number(synced, capsys, limit: str) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["list", "--limit", limit])
    assert exited.value.code == EXIT_USAGE
    assert "--limit" in capsys.readouterr().err


def test_unknown_account_is_a_usage_error_everywhere(synced, capsys) -> None:
    for argv in (
        ["sync", "nosuch"],
        ["list", "nosuch"],
        ["read", "1", "--account", "nosuch"],
        ["doctor", "nosuch"],
        ["outbox", "--account", "nosuch"],
        ["account", "remove", "nosuch"],
    ):
        assert main(argv) == EXIT_USAGE, argv
        assert "nosuch" in capsys.readouterr().err


def test_a_server_failure_is_one(mail_server, capsys) -> None:
    user = mail_server.new_user()
    account = configure(mail_server, user)
    account.password_command = "printf %s wrong-password"
    save_account(account)
    assert main(["sync"]) == EXIT_FAILURE
    assert "wrong-password" not in capsys.readouterr().err


def test_no_password_is_a_configuration_error_and_the_message_is_kept(mail_server) -> None:
    user = mail_server.new_user()
    account = configure(mail_server, user)
    account.password_command = "exit 3"
    save_account(account)
    result = tuimail("send", "x@example.org", stdin=b"Subject: s\n\nbody\n")
    assert result.returncode == EXIT_USAGE, result.stderr
    assert b"kept in the outbox" in result.stderr
    (entry,) = json.loads(tuimail("outbox", "--json").stdout)
    assert entry["recipients"] == ["x@example.org"]


def test_inbox_is_found_in_any_case(synced, capsys) -> None:
    """RFC 3501: INBOX is case-insensitive; `--folder inbox` said 'no folder inbox'."""
    assert main(["list", "--folder", "inbox"]) == 0
    assert "exit 1" in capsys.readouterr().out
    assert main(["read", "1", "--folder", "Inbox"]) == 0
    assert "exit 1" in capsys.readouterr().out


def test_numbers_beyond_the_store_are_no_failure(synced, capsys) -> None:
    """A --limit or a message number larger than SQLite's integers said 'Something went
    wrong: Python int too large to convert to SQLite INTEGER' (exit 1)."""
    assert main(["list", "--limit", "99999999999999999999999"]) == 0
    assert "exit 1" in capsys.readouterr().out
    for number in ("99999999999999999999999", "-1"):
        with pytest.raises(SystemExit) as exited:
            main(["read", "--", number])
        assert exited.value.code == EXIT_USAGE
        assert "is not a message number" in capsys.readouterr().err


@pytest.mark.parametrize("value", ["nan", "inf", "1e400", "-5", "0"])
def test_a_timeout_that_is_no_number_of_seconds_is_a_usage_error(capsys, value: str) -> None:
    """`--timeout inf` reached a thread's wait (OverflowError) and ended in a traceback;
    nan, 0 and negative values ran probes that could not wait at all."""
    for argv in (
        ["detect", "x@example.test", "--timeout", value],
        ["doctor", "--timeout", value],
        ["doctor", "--roundtrip-timeout", value],
        ["account", "login", "work", "--timeout", value],
    ):
        with pytest.raises(SystemExit) as exited:
            main(argv)
        assert exited.value.code == EXIT_USAGE, argv
        assert "number of seconds" in capsys.readouterr().err, argv


def test_a_failure_no_command_handles_is_one_sentence(capsys, monkeypatch) -> None:
    """The last resort in tuimail.__main__: whatever a command lets through is said in
    one sentence with exit 1, never a traceback."""
    from tuimail.cli import completions

    def broken(shell: str) -> str:
        raise RuntimeError("the parser broke")

    monkeypatch.setattr(completions, "script", broken)
    assert main(["completions", "bash"]) == EXIT_FAILURE
    err = capsys.readouterr().err
    assert err == "tuimail: Something went wrong: the parser broke\n"


@pytest.mark.parametrize("given", ["notanemail", "a@exa mple.com", "a@b..c", "a@b@c"])
def test_detect_of_something_that_is_not_an_address_is_a_usage_error(given, capsys) -> None:
    """It was exit 1 ("nothing detected") after 'none found' lines, and a domain with a
    blank in it was looked up and probed 27 times."""
    assert main(["detect", given, "--timeout", "1"]) == EXIT_USAGE
    out, err = capsys.readouterr()
    assert out == ""
    assert (
        err.strip() == f"tuimail detect: {given!r} is not an e-mail address like alice@example.org."
    )
    assert main(["detect", given, "--json"]) == EXIT_USAGE
    shown = json.loads(capsys.readouterr().out)
    assert shown["error_reason"] == "not_an_address" and shown["probes"] == []


@pytest.mark.parametrize(
    "options",
    [["--raw", "--json"], ["--raw", "--route"], ["--check-dkim"], ["--nameserver", "127.0.0.1"]],
)
def test_read_options_that_do_not_go_together_are_a_usage_error(synced, capsys, options) -> None:
    """One of them was silently ignored (--raw --json printed the source, --check-dkim
    without --route checked nothing): exit 0 for something that was not done."""
    assert main(["read", "1", *options]) == EXIT_USAGE
    out, err = capsys.readouterr()
    assert out == "" and err.startswith("tuimail: ") and options[0] in err


def test_list_before_any_sync_says_to_sync_first(mail_server, capsys) -> None:
    """A new user's first `tuimail list` said 'no account has a folder INBOX in the store
    (check the name ...)', as if INBOX were a typo."""
    configure(mail_server, mail_server.new_user())
    assert main(["list"]) == EXIT_USAGE
    assert capsys.readouterr().err == (
        "tuimail: work has not been synced yet: run `tuimail sync` first\n"
    )
    configure(mail_server, mail_server.new_user(), name="home")
    assert main(["list"]) == EXIT_USAGE
    assert "no account has been synced yet: run `tuimail sync` first" in capsys.readouterr().err
