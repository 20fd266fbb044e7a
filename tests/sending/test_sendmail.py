"""`tuimail send` as sendmail: the calling conventions of git send-email, msmtp and cron,
and addresses that are not ASCII (IDNA domains, SMTPUTF8 local parts)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from tests.sending.helpers import (
    account_for,
    parse,
    tuimail,
    tuimail_on_path,
    with_password,
)
from tests.system import require_git_send_email
from testserver.server import MailServer
from tuimail.core.outbox import Outbox, send_now
from tuimail.core.secrets import Secret
from tuimail.words.outbox import outbox_reason, refused_recipients

MBOX_LINE = b"From 1234567890abcdef1234567890abcdef12345678 Mon Sep 17 00:00:00 2001\n"


def _message(to: str, marker: str, **headers: str) -> bytes:
    lines = [f"To: {to}", f"Subject: {marker}", f"Message-ID: <{marker}@example.test>"]
    lines += [f"{k}: {v}" for k, v in headers.items()]
    return ("\n".join(lines) + f"\n\nbody of {marker}\n").encode()


def _has(marker: str):
    return lambda raw: f"<{marker}@example.test>".encode() in raw


def test_recipients_come_from_arguments_and_sendmail_flags_are_accepted(
    mail_peer, tmp_path: Path
) -> None:
    alice, bob, carol = (mail_peer.new_user() for _ in range(3))
    with_password(account_for(mail_peer, alice, name="work"), tmp_path, alice.password)
    raw = _message(carol.email, "args-only", From=alice.email)
    result = tuimail("send", "-i", "-oi", "-oem", "-bm", bob.email, stdin=raw)
    assert result.returncode == 0, result.stderr.decode()
    # The arguments are the recipients: To (carol) is a header, not an envelope address.
    assert result.stdout.decode().startswith(f"Sent to {bob.email}. ")
    mail_peer.wait_for_message(bob, _has("args-only"), 30)


@pytest.mark.interop
def test_an_argument_naming_several_addresses_reaches_each_through_postfix(
    dovecot_peer, tmp_path: Path
) -> None:
    """sendmail reads each recipient argument as an address list. Given whole to RCPT
    TO ("<carol@...,dave@...>", "<Bob <bob@...>, ...>"), Postfix took the first address
    alone: the others never got the message, while tuimail said it was sent to them."""
    alice, bob, carol, dave = (dovecot_peer.new_user() for _ in range(4))
    with_password(account_for(dovecot_peer, alice, name="work"), tmp_path, alice.password)
    raw = _message(bob.email, "several", From=alice.email)
    args = (f"{bob.email},{carol.email}", f"Dave <{dave.email}>, {carol.email}")
    result = tuimail("send", "-i", *args, stdin=raw)
    assert result.returncode == 0, result.stderr.decode()
    said = f"Sent to {bob.email}, {carol.email}, {dave.email}. "
    assert result.stdout.decode().startswith(said)
    for user in (bob, carol, dave):
        dovecot_peer.wait_for_message(user, _has("several"), 30)
        assert len([m for m in dovecot_peer.messages(user) if _has("several")(m)]) == 1


def test_cron_and_mutt_command_lines_are_accepted(mail_server, tmp_path: Path) -> None:
    """cronie runs `sendmail -FCronDaemon -i -B8BITMIME -oem USER`; mutt with DSN adds
    `-N success,failure -R hdrs`."""
    alice, bob = mail_server.new_user(), mail_server.new_user()
    with_password(account_for(mail_server, alice, name="work"), tmp_path, alice.password)
    cron = tuimail(
        "-FCronDaemon", "-i", "-B8BITMIME", "-oem", bob.email, stdin=_message(bob.email, "cron")
    )
    assert cron.returncode == 0, cron.stderr.decode()
    got = mail_server.wait_for_message(bob, _has("cron"), 30)
    assert parse(got)["From"].addresses[0].display_name == "CronDaemon"
    mutt = tuimail(
        "send",
        "-oi",
        "-N",
        "success,failure",
        "-R",
        "hdrs",
        "-v",
        "--",
        bob.email,
        stdin=_message(bob.email, "mutt", From=alice.email),
    )
    assert mutt.returncode == 0, mutt.stderr.decode()
    mail_server.wait_for_message(bob, _has("mutt"), 30)


def test_dash_t_adds_the_header_recipients_to_the_arguments(mail_peer, tmp_path: Path) -> None:
    alice, bob, carol, dave = (mail_peer.new_user() for _ in range(4))
    with_password(account_for(mail_peer, alice, name="work"), tmp_path, alice.password)
    raw = _message(carol.email, "dash-t", From=alice.email, Bcc=dave.email)
    result = tuimail("send", "-t", "-i", bob.email, stdin=raw)
    assert result.returncode == 0, result.stderr.decode()
    assert f"Sent to {bob.email}, {carol.email}, {dave.email}." in result.stdout.decode()
    for user in (bob, carol, dave):
        got = mail_peer.wait_for_message(user, _has("dash-t"), 30)
        assert parse(got)["Bcc"] is None


def test_dash_t_of_a_resent_message_goes_to_the_resent_recipients(
    mail_peer, tmp_path: Path
) -> None:
    """A message being re-sent (a bounce: Resent-To, Resent-Bcc) piped to `send -t` went
    to its original To again, and its Resent-Bcc recipient got nothing; as with
    sendmail, the Resent- fields are the recipients then."""
    alice, bob, carol, dave = (mail_peer.new_user() for _ in range(4))
    with_password(account_for(mail_peer, alice, name="work"), tmp_path, alice.password)
    raw = _message(
        carol.email,
        "resent",
        From=carol.email,
        **{"Resent-From": alice.email, "Resent-To": bob.email, "Resent-Bcc": dave.email},
    )
    result = tuimail("send", "-t", "-i", stdin=raw)
    assert result.returncode == 0, result.stderr.decode()
    assert f"Sent to {bob.email}, {dave.email}." in result.stdout.decode()
    for user in (bob, dave):
        got = mail_peer.wait_for_message(user, _has("resent"), 30)
        assert parse(got)["Resent-Bcc"] is None and parse(got)["Resent-To"] == bob.email
    assert not any(_has("resent")(m) for m in mail_peer.messages(carol))


def test_top_level_sendmail_call_strips_mbox_line_and_names_the_sender(
    mail_peer, tmp_path: Path
) -> None:
    """`--smtp-server=$(which tuimail)` runs `tuimail -i ADDRESS`; format-patch output
    starts with an mbox `From ` line, which is not a header."""
    alice, bob = mail_peer.new_user(), mail_peer.new_user()
    account = account_for(mail_peer, alice, name="work", display_name="Alice Éclair")
    with_password(account, tmp_path, alice.password)
    raw = MBOX_LINE + _message(bob.email, "mbox-line")
    result = tuimail("-i", bob.email, stdin=raw)
    assert result.returncode == 0, result.stderr.decode()
    got = mail_peer.wait_for_message(bob, _has("mbox-line"), 30)
    assert not got.startswith(b"From ") and b"\nFrom 1234567890" not in got
    sender = parse(got)["From"]
    assert sender.addresses[0].display_name == "Alice Éclair"
    assert sender.addresses[0].addr_spec == alice.email
    # -F names the sender of a From tuimail writes; -f picks the account by address.
    raw = _message(bob.email, "dash-f")
    result = tuimail("send", "-f", alice.email, "-F", "A. Nother", bob.email, stdin=raw)
    assert result.returncode == 0, result.stderr.decode()
    got = mail_peer.wait_for_message(bob, _has("dash-f"), 30)
    assert parse(got)["From"].addresses[0].display_name == "A. Nother"


def test_from_address_picks_the_account_among_several(mail_server, tmp_path: Path) -> None:
    alice, bob, carol = (mail_server.new_user() for _ in range(3))
    (tmp_path / "c").mkdir()
    with_password(account_for(mail_server, carol, name="first"), tmp_path / "c", carol.password)
    with_password(account_for(mail_server, alice, name="second"), tmp_path, alice.password)
    result = tuimail("send", "--from", alice.email, bob.email, stdin=_message(bob.email, "pick"))
    assert result.returncode == 0, result.stderr.decode()
    (submission,) = mail_server.protocol_server("smtp").accepted
    assert submission.login == alice.login and submission.mail_from == alice.email


def test_a_message_of_headers_only_keeps_the_added_headers_in_the_header(
    mail_server, tmp_path: Path
) -> None:
    """`printf 'To: bob\nSubject: x\n' | tuimail send -t` (no empty line, no body): the
    From, Date and Message-ID tuimail adds go in the header; they were written after an
    empty line, into the body, leaving a message without From."""
    alice, bob = mail_server.new_user(), mail_server.new_user()
    with_password(account_for(mail_server, alice, name="work"), tmp_path, alice.password)
    stdin = f"To: {bob.email}\nSubject: headers only\n".encode()
    result = tuimail("send", "-t", stdin=stdin)
    assert result.returncode == 0, result.stderr.decode()
    got = mail_server.wait_for_message(bob, lambda raw: b"headers only" in raw, 30)
    message = parse(got)
    assert message["From"].addresses[0].addr_spec == alice.email
    assert message["Message-ID"] and message["Date"] and message["Subject"] == "headers only"
    assert message.get_content().strip() == ""


def test_a_sender_no_account_has_is_named_when_several_could_send(
    mail_server, tmp_path: Path
) -> None:
    """Several accounts and a -f (or From) none of them has: the sentence names the address
    looked for and the accounts, instead of only "several accounts are configured"."""
    alice, bob, carol = (mail_server.new_user() for _ in range(3))
    (tmp_path / "c").mkdir()
    with_password(account_for(mail_server, carol, name="first"), tmp_path / "c", carol.password)
    with_password(account_for(mail_server, alice, name="second"), tmp_path, alice.password)
    result = tuimail("send", "-f", "nobody@else.test", bob.email, stdin=_message(bob.email, "x"))
    err = result.stderr.decode()
    assert result.returncode == 2 and "'nobody@else.test'" in err and "first, second" in err, err
    result = tuimail("send", bob.email, stdin=_message(bob.email, "y"))
    err = result.stderr.decode()
    assert result.returncode == 2 and "names no sender" in err and "--account" in err, err
    assert not mail_server.protocol_server("smtp").accepted


@pytest.mark.parametrize("how", ["sendmail-cmd", "smtp-server"])
def test_git_send_email_delivers_a_patch(mail_peer, tmp_path: Path, how: str) -> None:
    require_git_send_email()
    alice, bob = mail_peer.new_user(), mail_peer.new_user()
    with_password(account_for(mail_peer, alice, name="work"), tmp_path, alice.password)
    env = tuimail_on_path(tmp_path)
    env |= {"GIT_AUTHOR_NAME": "Alice", "GIT_COMMITTER_NAME": "Alice"}
    env |= {"GIT_AUTHOR_EMAIL": alice.email, "GIT_COMMITTER_EMAIL": alice.email}
    repo = tmp_path / "repo"
    repo.mkdir()

    def git(*args: str) -> str:
        done = subprocess.run(
            ["git", *args], cwd=repo, env=env, capture_output=True, text=True, timeout=120
        )
        assert done.returncode == 0, done.stdout + done.stderr
        return done.stdout

    git("init", "-q")
    (repo / "hello.txt").write_text("hello\n")
    git("add", "hello.txt")
    git("commit", "-q", "-m", f"Add hello ({how})")
    patch = git("format-patch", "-1", "-o", str(tmp_path / "out")).strip()
    assert Path(patch).read_bytes().startswith(b"From ")
    if how == "sendmail-cmd":
        transport = "--sendmail-cmd=tuimail send"
    else:
        transport = f"--smtp-server={tmp_path / 'bin' / 'tuimail'}"
    git(
        "send-email",
        transport,
        f"--from=Alice <{alice.email}>",
        f"--to={bob.email}",
        "--confirm=never",
        "--suppress-cc=all",
        "--no-chain-reply-to",
        patch,
    )
    got = mail_peer.wait_for_message(bob, lambda r: f"Add hello ({how})".encode() in r, 30)
    msg = parse(got)
    assert msg["From"].addresses[0].addr_spec == alice.email
    assert "+hello" in msg.get_content()
    assert json.loads(tuimail("outbox", "--json").stdout) == []


# -- addresses that are not ASCII ---------------------------------------------------------


def test_idna_domain_and_utf8_local_part_go_out_with_smtputf8(mail_server, tmp_path: Path) -> None:
    alice = mail_server.new_user()
    with_password(account_for(mail_server, alice, name="work"), tmp_path, alice.password)
    raw = _message("Jörg <jörg@bücher.example>", "utf8", From=alice.email)
    result = tuimail("send", "-t", "ann@bücher.example", stdin=raw)
    assert result.returncode == 0, result.stderr.decode()
    rcpts = sorted(r for _, r, _ in mail_server.outbound)
    assert rcpts == ["ann@xn--bcher-kva.example", "jörg@xn--bcher-kva.example"]
    options = {s.rcpt_tos: s.mail_options for s in mail_server.protocol_server("smtp").accepted}
    assert "SMTPUTF8" in options[("jörg@xn--bcher-kva.example",)]
    assert "SMTPUTF8" not in options[("ann@xn--bcher-kva.example",)]  # its copy is ASCII


def test_non_ascii_recipients_are_taken_by_a_real_server(mail_peer, tmp_path: Path) -> None:
    """Postfix (smtputf8_enable, remote mail discarded by the bed) and the bundled server
    both take the IDNA domain and the SMTPUTF8 local part."""
    alice = mail_peer.new_user()
    with_password(account_for(mail_peer, alice, name="work"), tmp_path, alice.password)
    raw = _message("jörg@bücher.example", "real-utf8", From=alice.email)
    result = tuimail("send", "ann@bücher.example", "jörg@bücher.example", stdin=raw)
    assert result.returncode == 0, result.stderr.decode()
    assert result.stdout.decode().startswith("Sent to ann@bücher.example, jörg@bücher.example.")


def test_ascii_only_recipients_need_no_smtputf8(mail_server, tmp_path: Path) -> None:
    alice = mail_server.new_user()
    with_password(account_for(mail_server, alice, name="work"), tmp_path, alice.password)
    result = tuimail("send", "ann@bücher.example", stdin=_message("x@y.example", "idna-only"))
    assert result.returncode == 0, result.stderr.decode()
    assert [r for _, r, _ in mail_server.outbound] == ["ann@xn--bcher-kva.example"]
    (submission,) = mail_server.protocol_server("smtp").accepted
    assert "SMTPUTF8" not in submission.mail_options


@pytest.fixture
def ascii_server(test_ca):
    """The bundled server with SMTPUTF8 switched off."""
    with MailServer(ca=test_ca, options={"smtp": {"smtputf8": False}}) as server:
        yield server


def test_utf8_local_part_without_smtputf8_is_refused_for_good(ascii_server, tmp_path: Path) -> None:
    alice = ascii_server.new_user()
    with_password(account_for(ascii_server, alice, name="work"), tmp_path, alice.password)
    result = tuimail("send", "jörg@example.org", stdin=_message("jörg@example.org", "no-utf8"))
    assert result.returncode == 1
    err = result.stderr.decode()
    assert "jörg@example.org" in err and "SMTPUTF8" in err and "codec" not in err
    assert "will not be retried" in err
    (entry,) = json.loads(tuimail("outbox", "--json").stdout)
    assert entry["state"] == "failed" and entry["next_attempt"] is None
    assert ascii_server.protocol_server("smtp").accepted == []


def test_mixed_recipients_without_smtputf8_reach_the_ascii_ones(
    ascii_server, tmp_path: Path
) -> None:
    alice, bob = ascii_server.new_user(), ascii_server.new_user()
    with_password(account_for(ascii_server, alice, name="work"), tmp_path, alice.password)
    raw = _message(bob.email, "mixed", From=alice.email)
    result = tuimail("send", bob.email, "jörg@example.org", stdin=raw)
    assert result.returncode == 1
    assert result.stdout.decode().startswith(f"Sent to {bob.email}.")
    assert "jörg@example.org: not sent" in result.stderr.decode()
    ascii_server.wait_for_message(bob, _has("mixed"), 30)
    assert json.loads(tuimail("outbox", "--json").stdout) == []


async def test_a_recipient_refused_before_sending_is_kept_as_data(ascii_server) -> None:
    """Core keeps why a recipient was refused here (no SMTPUTF8) as a problem key, on disk
    too; the words are the edge's (tuimail.words.outbox.refusal)."""
    alice, bob = ascii_server.new_user(), ascii_server.new_user()
    account = account_for(ascii_server, alice)
    raw = _message(bob.email, "typed-refusal", From=alice.email).replace(b"\n", b"\r\n")
    entry = await send_now(
        raw, alice.email, [bob.email, "jörg@example.org"], account, Secret(alice.password)
    )
    assert entry.state == "partial" and entry.delivered == [bob.email]
    refusal = {"problem": "needs-smtputf8", "detail": ""}
    assert entry.refused == {"jörg@example.org": refusal}
    stored = json.loads((Outbox(account.name).sent_dir / f"{entry.id}.json").read_text())
    assert stored["refused"] == {"jörg@example.org": refusal}
    assert stored["failure"]["data"]["refused"] == {"jörg@example.org": refusal}
    assert refused_recipients(entry) == (
        "jörg@example.org: not sent: it is not ASCII and the server does not offer SMTPUTF8"
    )
    assert "jörg@example.org: not sent: it is not ASCII" in outbox_reason(entry)


def test_sendmail_calling_conventions_mean_send() -> None:
    from tuimail.__main__ import build_parser, sendmail_argv

    parser = build_parser()
    assert sendmail_argv(parser, ["-i", "a@b.example"]) == ["send", "-i", "a@b.example"]
    assert sendmail_argv(parser, ["a@b.example"]) == ["send", "a@b.example"]
    assert sendmail_argv(parser, ["-oi", "-f", "me@x.example", "a@b.example"])[0] == "send"
    assert sendmail_argv(parser, ["-t"], "/usr/sbin/sendmail") == ["send", "-t"]
    assert sendmail_argv(parser, ["--from=me@x.example", "a@b.example"])[0] == "send"
    assert sendmail_argv(parser, ["-fme@x.example", "a@b.example"])[0] == "send"
    assert sendmail_argv(parser, ["--account", "work", "a@b.example"])[0] == "send"
    for unchanged in (["sync"], ["--debug", "sync"], ["--help"], [], ["send", "-t"]):
        assert sendmail_argv(parser, unchanged) == unchanged
