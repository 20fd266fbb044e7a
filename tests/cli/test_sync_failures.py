"""`tuimail sync` says what failed in one sentence per failure, made at the edge
(tuimail.words) from the typed error core returned: the folder, the server's code and its
words; `--json` gives the same failures as data. Exit status 1; the others synced."""

from __future__ import annotations

import json

from tests.cli.helpers import configure
from tests.imap.helpers import message
from tuimail.__main__ import main
from tuimail.cli.exits import EXIT_FAILURE
from tuimail.core.config import save_account

GARBAGE = b"HTTP/1.1 400 Bad Request\r\n\r\n<html>\r\n"


def test_a_folder_that_fails_is_one_line_and_the_others_sync(mail_server, capsys) -> None:
    user = mail_server.new_user()
    mail_server.store.create_folder(user.login, "Second")
    mail_server.deliver(user, message(1, "inbox"))
    mail_server.deliver(user, message(2, "second"), folder="Second")
    configure(mail_server, user)
    mail_server.faults.add(
        protocol="imap", kind="garbage", command="UID", match="INBOX", data=GARBAGE
    )
    assert main(["sync"]) == EXIT_FAILURE
    err = capsys.readouterr().err
    errors = [line for line in err.splitlines() if line.startswith("  error: ")]
    assert len(errors) == 1 and errors[0].startswith("  error: INBOX: the mail server "), err
    assert "Traceback" not in err

    assert main(["sync", "--json"]) == EXIT_FAILURE
    (result,) = json.loads(capsys.readouterr().out)
    assert [f["folder"] for f in result["failures"]] == ["INBOX"]
    assert result["failures"][0]["kind"] == "protocol"
    assert result["errors"][0].startswith("INBOX: the mail server ")


def test_a_busy_server_is_named_with_its_code_and_words(mail_server, capsys) -> None:
    user = mail_server.new_user()
    configure(mail_server, user)
    mail_server.faults.add(
        protocol="imap", kind="login_reply", message="[UNAVAILABLE] Back at 3 o'clock"
    )
    assert main(["sync"]) == EXIT_FAILURE
    err = capsys.readouterr().err
    assert "  error: the mail server" in err, err
    assert "[UNAVAILABLE] Back at 3 o'clock" in err, err
    assert main(["sync", "--json"]) == EXIT_FAILURE
    (result,) = json.loads(capsys.readouterr().out)
    (failure,) = result["failures"]
    assert (failure["kind"], failure["code"], failure["folder"]) == ("busy", "UNAVAILABLE", "")
    assert "Back at 3 o'clock" in failure["server_text"]


def test_a_change_the_server_does_not_take_is_one_sentence(mail_server, capsys) -> None:
    """A flag change queued for a folder another client deleted: `tuimail sync` says which
    change was not applied and why, once, from the stored typed error."""
    from tests.imap.helpers import other_client
    from tuimail.core.imap.actions import MailActions
    from tuimail.core.store import Store

    user = mail_server.new_user()
    mail_server.store.create_folder(user.login, "Projects")
    mail_server.deliver(user, message(1, "kept"), folder="Projects")
    account = configure(mail_server, user)
    assert main(["sync"]) == 0
    capsys.readouterr()
    store = Store()
    [row] = store.message_rows(store.folder_id(account.name, "Projects"), 0, 10)
    MailActions(store, account).flag([row.id])  # queued while offline
    other = other_client(mail_server, user)
    other.delete_folder("Projects")
    other.logout()
    main(["sync"])
    err = capsys.readouterr().err
    said = (
        "  A flag change was not applied on the server: the folder Projects no longer "
        "exists on the server"
    )
    assert said in err.splitlines(), err
    assert "not applied: " not in err and "Traceback" not in err


def test_an_account_that_could_not_log_in_is_not_synced_not_empty(mail_server, capsys) -> None:
    """The summary read "work: 0 folders, 0 new, 0 changed, 0 removed" above the refused
    login, as if the mailbox had been read and found empty."""
    user = mail_server.new_user()
    mail_server.deliver(user, message(1, "waiting"))
    account = configure(mail_server, user)
    account.password_command = "printf %s not-the-password"
    save_account(account)
    assert main(["sync"]) == EXIT_FAILURE
    out, err = capsys.readouterr()
    where = f"IMAP server {mail_server.host} port {mail_server.ports.imap_tls}"
    assert out == f"work: not synced ({where})\n"  # which server: a typo shows
    assert err.startswith("  error: ") and "refused the login" in err, err


def _broken_and_good(mail_server) -> None:
    """Two accounts: "broken", whose password command fails, and "good", with one message."""
    first, second = mail_server.new_user(), mail_server.new_user()
    mail_server.deliver(second, message(1, "still synced"))
    broken = configure(mail_server, first, name="broken")
    broken.password_command = "exit 3"
    save_account(broken)
    configure(mail_server, second, name="good")


def test_an_account_without_a_credential_is_named_and_the_others_sync(mail_server, capsys) -> None:
    """`tuimail sync` (every account): one account whose password cannot be had (a failing
    password_command, an OAuth account not signed in) is one sentence; the others sync."""
    _broken_and_good(mail_server)

    code = main(["sync"])
    captured = capsys.readouterr()
    assert code == 2, captured.err  # no password available: a configuration matter
    assert "good: " in captured.out and "1 new" in captured.out, captured
    assert captured.err.startswith("tuimail: broken: "), captured.err
    assert "password_command failed" in captured.err and "Traceback" not in captured.err
    assert main(["list", "good", "--json"]) == 0
    assert "still synced" in capsys.readouterr().out


def test_sync_json_names_an_account_left_out_for_want_of_a_credential(mail_server, capsys) -> None:
    """`tuimail sync --json` has an object for every account: one whose password cannot be
    had is there with its sentence and a failure of kind "credential" (nothing was tried),
    beside the accounts that synced."""
    _broken_and_good(mail_server)

    code = main(["sync", "--json"])
    captured = capsys.readouterr()
    assert code == 2, captured.err
    entries = {entry["account"]: entry for entry in json.loads(captured.out)}
    assert set(entries) == {"broken", "good"}
    assert entries["good"]["new"] == 1 and entries["good"]["failures"] == []
    left_out = entries["broken"]
    assert left_out["protocol"] == "imap" and left_out["folders"] == 0
    assert [f["kind"] for f in left_out["failures"]] == ["credential"]
    assert left_out["errors"] and "password_command failed" in left_out["errors"][0]


def test_sync_json_with_no_credential_at_all_is_still_a_list(mail_server, capsys) -> None:
    for name in ("broken", "also"):
        account = configure(mail_server, mail_server.new_user(), name=name)
        account.password_command = "exit 3"
        save_account(account)

    code = main(["sync", "--json"])
    captured = capsys.readouterr()
    assert code == 2, captured.err
    entries = json.loads(captured.out)
    assert sorted(e["account"] for e in entries) == ["also", "broken"]
    assert all(e["failures"][0]["kind"] == "credential" for e in entries)
