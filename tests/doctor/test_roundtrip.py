"""Round trip against the bundled server: sent for real, found in INBOX, deleted."""

from __future__ import annotations

import gc
import socket

import pytest

from tests.doctor.conftest import make_account
from testserver.server import MailServer
from tuimail.core.doctor import roundtrip, run_checks
from tuimail.core.doctor.roundtrip import HEADER, check_roundtrip
from tuimail.core.errors import Unreachable
from tuimail.core.secrets import Secret
from tuimail.doctor_words import fix as words_fix
from tuimail.doctor_words import seen
from tuimail.words.describe import describe
from tuimail.words.outbox import submit_failure

OTHER = b"From: a@example.test\r\nTo: b@example.test\r\nSubject: keep me\r\n\r\nhello\r\n"


def _ours(raw: bytes) -> bool:
    return HEADER.encode() in raw


def _with_deleted_message(server, user) -> None:
    """A message the user marked \\Deleted: the clean-up must never expunge it."""
    server.deliver(user, OTHER)
    uid = server.store.messages(user.login)[-1].uid
    server.store.store_flags(user.login, "INBOX", [uid], "+", ["\\Deleted"])


def _accepted(server) -> list:
    return server.protocol_server("smtp").accepted


def _run(server, user, protocol="imap", roundtrip_timeout=30.0, **kw):
    account = make_account(server, user, protocol=protocol, **kw)
    return check_roundtrip(account, Secret(user.password), 10.0, roundtrip_timeout)


def _run_with_closed_port(server, side: str):
    """The round trip of a new user on `server` whose `side` ("incoming" or "outgoing")
    server is a port bound but never listening (refused); returns (its result, port)."""
    user = server.new_user()
    account = make_account(server, user)
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))  # bound, never listening: refused
        getattr(account, side).port = port = closed.getsockname()[1]
        (trip,) = check_roundtrip(account, Secret(user.password), 5.0, 5.0)
    return trip, port


def test_imap_round_trip_measured_and_cleaned_up(mail_server) -> None:
    user = mail_server.new_user()
    _with_deleted_message(mail_server, user)
    trip, cleanup = _run(mail_server, user)
    assert trip.group == "Round trip" and trip.status == "ok", trip
    assert trip.seen == "" and trip.data == {"finding": "arrived", "how": "idle"}
    assert seen(trip) == (
        f"the test message arrived in INBOX {trip.seconds:.1f} s after the outgoing server "
        "accepted it (announced by IMAP IDLE)"
    )
    assert 0.0 <= trip.seconds < 30.0
    assert cleanup.status == "ok" and cleanup.seen == "", cleanup
    assert seen(cleanup) == "the test message was deleted from INBOX"
    # It really went through the outgoing server, to the account's own address...
    (sub,) = _accepted(mail_server)
    assert sub.delivered and sub.tls and sub.login == user.login
    assert sub.mail_from == user.email and sub.rcpt_tos == (user.email,)
    assert b"Subject: tuimail doctor test " in sub.raw
    # ...and it is gone, while the other message marked \Deleted is still there.
    assert mail_server.messages(user) == [OTHER]


def test_pop3_round_trip_measured_and_deleted(mail_server) -> None:
    user = mail_server.new_user()
    mail_server.deliver(user, OTHER)
    trip, cleanup = _run(mail_server, user, protocol="pop3")
    assert trip.status == "ok", trip
    assert seen(trip).endswith("accepted it (found by POP3, polled every few seconds)")
    assert 0.0 <= trip.seconds < 30.0
    assert cleanup.status == "ok", cleanup
    assert seen(cleanup) == "the test message was deleted from the server"
    assert len(_accepted(mail_server)) == 1
    assert mail_server.messages(user) == [OTHER]


@pytest.mark.parametrize(
    ("disabled", "status", "where"),
    [
        (("IDLE", "UIDPLUS"), "ok", "Trash"),  # polled; moved to Trash
        (("UIDPLUS", "MOVE"), "warning", "INBOX"),  # left flagged, never EXPUNGE
    ],
)
def test_imap_without_uidplus_never_expunges_other_mail(test_ca, disabled, status, where):
    with MailServer(ca=test_ca, options={"imap": {"disable": disabled}}) as server:
        user = server.new_user()
        _with_deleted_message(server, user)
        trip, cleanup = _run(server, user)
        assert trip.status == "ok", trip
        if "IDLE" in disabled:
            assert "(found by IMAP SEARCH, polled every second)" in seen(trip)
        assert cleanup.status == status, cleanup
        inbox = server.store.messages(user.login)
        assert [m.raw for m in inbox if not _ours(m.raw)] == [OTHER]
        if where == "Trash":
            assert not any(_ours(m.raw) for m in inbox)
            assert any(_ours(m) for m in server.messages(user, "Trash"))
            assert seen(cleanup) == (
                'the test message was moved to "Trash" (the server has no UIDPLUS, so it '
                "cannot expunge one message alone)"
            )
        else:
            (test_message,) = [m for m in inbox if _ours(m.raw)]
            assert "\\Deleted" in test_message.flags
            assert seen(cleanup) == (
                "the test message was marked deleted but left in INBOX: the server has no "
                "UIDPLUS, and a plain EXPUNGE would also remove every other message you "
                "marked deleted there"
            )
            assert words_fix(cleanup) == "delete the test message from INBOX by hand"
    gc.collect()


def test_swallowed_message_times_out(mail_server) -> None:
    user = mail_server.new_user()
    mail_server.faults.add(protocol="smtp", kind="swallow")
    # The wait for a message that never comes: a short one shows it as well as a long one.
    (trip,) = _run(mail_server, user, roundtrip_timeout=1.0)
    assert trip.status == "failure"
    assert seen(trip) == (
        "the outgoing server accepted the test message, but it did not arrive in INBOX within 1 s"
    )
    said = words_fix(trip)
    assert "Junk" in said and "delaying" in said and "provider" in said
    assert trip.seconds >= 1.0
    assert [s.delivered for s in _accepted(mail_server)] == [False]


def test_pop3_swallowed_message_times_out(mail_server) -> None:
    user = mail_server.new_user()
    mail_server.faults.add(protocol="smtp", kind="swallow")
    (trip,) = _run(mail_server, user, protocol="pop3", roundtrip_timeout=1.0)
    assert trip.status == "failure" and "did not arrive in INBOX within 1 s" in seen(trip)


def test_message_filed_as_junk_is_found_early_and_deleted(mail_server, monkeypatch) -> None:
    user = mail_server.new_user()
    store = mail_server.store
    deliver = store.deliver
    # A spam filter at the provider: whatever the SMTP server delivers lands in Junk.
    monkeypatch.setattr(
        store, "deliver", lambda rcpt, raw, folder="INBOX": deliver(rcpt, raw, "Junk")
    )
    monkeypatch.setattr(roundtrip, "IDLE_RECHECK_SECONDS", 0.5)
    # Found while waiting, not only at the end of the wait: an hour's wait would outlast
    # the test's own timeout (pytest-timeout, 120 s), so no elapsed time is asserted.
    (trip,) = _run(mail_server, user, roundtrip_timeout=3600.0)
    assert trip.status == "warning", trip
    assert trip.data == {"finding": "junk", "folder": "Junk", "deleted": True}
    assert seen(trip) == (
        'the test message did not arrive in INBOX: it was filed in the junk folder "Junk" '
        f"(found {trip.seconds:.1f} s after the outgoing server accepted it) and deleted there"
    )
    assert words_fix(trip) == (
        "a spam filter took your own message: mark such messages as not spam and check "
        "the domain's SPF, DKIM and DMARC records (mail from this address may land in "
        "other people's spam folders too)"
    )
    assert mail_server.messages(user, "Junk") == []
    assert mail_server.messages(user) == []


@pytest.mark.parametrize(
    ("stage", "code", "text", "fix"),
    [
        ("MAIL", 553, "5.7.1 <x>: Sender address rejected: not owned by user", "own address"),
        ("RCPT", 554, "5.7.1 <x>: Relay access denied", "relay denied"),
        ("MAIL", 530, "5.7.0 Authentication required", "requires a login"),
    ],
)
def test_submission_refused_shows_the_servers_reason(mail_server, stage, code, text, fix):
    user = mail_server.new_user()
    mail_server.faults.add(protocol="smtp", kind="reply", command=stage, code=code, message=text)
    (trip,) = _run(mail_server, user)
    assert trip.status == "failure"
    said = seen(trip)  # the words of the report (tuimail.doctor_words)
    # The same sentence as `describe` of that SubmitError anywhere else (its record).
    refused = submit_failure(trip.data["submit"])
    assert said == f"the outgoing server refused the test message: {refused}"
    assert str(code) in said and text in said
    assert fix in words_fix(trip)
    assert _accepted(mail_server) == [] and mail_server.messages(user) == []


def test_nothing_sent_when_starttls_is_stripped(mail_server) -> None:
    user = mail_server.new_user()
    mail_server.faults.add(protocol="smtp", kind="strip_starttls")
    account = make_account(mail_server, user, smtp_security="starttls")
    (trip,) = check_roundtrip(account, Secret(user.password), 10.0, 30.0)
    # the reason once, in tuimail's words (not aiosmtplib's), and "nothing was sent" once
    assert trip.status == "failure" and seen(trip) == (
        f"could not secure the connection to localhost port {account.outgoing.port}: the "
        "server does not offer STARTTLS, so the connection cannot be encrypted (someone may "
        "be stripping it); nothing was sent"
    )
    # the fix once: the TLS check above has it for this port
    assert words_fix(trip) == (
        "see the outgoing server checks above; once they pass, run the doctor again"
    )
    assert _accepted(mail_server) == []
    log = mail_server.protocol_server("smtp").auth_log
    assert log == []  # no password either


def test_incoming_login_refused_sends_nothing(mail_server) -> None:
    user = mail_server.new_user()
    account = make_account(mail_server, user)
    (trip,) = check_roundtrip(account, Secret("wrong"), 10.0, 5.0)
    assert trip.status == "failure"
    assert seen(trip) == (
        f"no test message was sent: the IMAP server localhost rejected the login for "
        f"{user.login} ([AUTHENTICATIONFAILED] Authentication failed)"
    )
    assert words_fix(trip) == (
        "see the incoming server checks above; once they pass, run the doctor again"
    )
    assert _accepted(mail_server) == []


@pytest.mark.parametrize(("send", "password"), [(False, True), (True, False)])
def test_round_trip_omitted_without_send_or_password(mail_server, send, password) -> None:
    user = mail_server.new_user()
    secret = Secret(user.password) if password else None
    results = run_checks(make_account(mail_server, user), secret, timeout=10.0, send=send)
    assert results and all(r.group != "Round trip" for r in results)
    assert _accepted(mail_server) == []


def test_run_checks_ends_with_the_round_trip(mail_server) -> None:
    user = mail_server.new_user()
    account = make_account(mail_server, user)
    results = run_checks(account, Secret(user.password), timeout=10.0, send=True)
    assert {r.status for r in results} == {"ok"}
    assert [r.name for r in results[-2:]] == ["round trip", "clean up"]


def test_lost_confirmation_still_waits_and_cleans_up(mail_server) -> None:
    user = mail_server.new_user()
    mail_server.faults.add(protocol="smtp", kind="no_reply_after_data")
    trip, cleanup = _run(mail_server, user)
    assert trip.status == "warning", trip
    said = seen(trip)
    assert said.startswith("the outgoing server never confirmed the test message ("), said
    assert f"it arrived in INBOX {trip.seconds:.1f} s later all the same" in said, said
    assert describe(trip.failure) in said and "network" in words_fix(trip)
    assert cleanup.status == "ok"
    assert mail_server.messages(user) == []


def test_lost_confirmation_and_never_delivered_is_a_failure(mail_server) -> None:
    user = mail_server.new_user()
    mail_server.faults.add(protocol="smtp", kind="no_reply_after_data")
    mail_server.faults.add(protocol="smtp", kind="swallow")
    (trip,) = _run(mail_server, user, roundtrip_timeout=1.0)
    assert trip.status == "failure"
    said = seen(trip)
    assert "never confirmed" in said and said.endswith("; it did not arrive"), said
    assert describe(trip.failure) in said and "network" in words_fix(trip)


def test_incoming_server_not_secured_sends_nothing(bad_cert_server) -> None:
    """A certificate the incoming server cannot be trusted with: the round trip says the
    TLS check's words for the same SecurityFailure (not Python's ssl text) and sends nothing."""
    from tuimail.core.errors import SecurityFailure

    user = bad_cert_server.new_user()
    account = make_account(bad_cert_server, user)
    (trip,) = check_roundtrip(account, Secret(user.password), 10.0, 5.0)
    assert trip.status == "failure" and isinstance(trip.failure, SecurityFailure)
    said = seen(trip)
    assert said == (
        f"no test message was sent (incoming server localhost): {describe(trip.failure)}"
    )
    assert ("expired" if bad_cert_server.cert_kind == "expired" else "name") in said, said
    assert "SSL" not in said and "[X509" not in said, said
    assert _accepted(bad_cert_server) == []


def test_cleanup_refused_says_the_servers_words(mail_server) -> None:
    """The POP3 server says goodbye at DELE: the clean-up warning has the words
    tuimail.words has for that typed error, with the server's own."""
    user = mail_server.new_user()
    mail_server.faults.add(protocol="pop3", kind="bye", command="DELE")
    trip, cleanup = _run(mail_server, user, protocol="pop3")
    assert trip.status == "ok", trip
    assert cleanup.status == "warning" and cleanup.failure is not None, cleanup
    said = seen(cleanup)
    assert said == f"the test message could not be deleted: {describe(cleanup.failure)}", said
    assert words_fix(cleanup) == "delete it by hand (or it is downloaded with the next fetch)"


def test_incoming_port_closed_sends_nothing_and_says_where(mail_server) -> None:
    """The round trip's words for a refused connection are those of the reachable
    check above (the host and port tried), not "the incoming server: the mail server"."""
    trip, port = _run_with_closed_port(mail_server, "incoming")
    assert trip.status == "failure" and isinstance(trip.failure, Unreachable), trip
    assert seen(trip) == (
        f"no test message was sent: could not connect to localhost port {port}: "
        f"{describe(trip.failure)}"
    )
    assert _accepted(mail_server) == []


def test_a_test_message_another_program_took_first_is_gone(mail_server, monkeypatch) -> None:
    """POP3: the test message was seen, then another program downloaded and deleted it
    before the clean-up: no error made of tuimail's own words as if the server said them."""
    user = mail_server.new_user()
    seen_at = roundtrip._POP3Waiter._find

    def find_then_taken(self, pop):
        found = seen_at(self, pop)
        if found is not None:  # another client: removed from INBOX before the clean-up
            uids = [m.uid for m in mail_server.store.messages(user.login)]
            mail_server.store.remove(user.login, "INBOX", uids)
        return found

    monkeypatch.setattr(roundtrip._POP3Waiter, "_find", find_then_taken)
    trip, cleanup = _run(mail_server, user, protocol="pop3")
    assert trip.status == "ok", trip
    assert cleanup.status == "ok" and cleanup.failure is None, cleanup
    assert seen(cleanup) == (
        "the test message is no longer on the server: another mail program downloaded "
        "and deleted it first"
    )


def test_the_words_of_a_connection_lost_while_waiting(mail_server, monkeypatch) -> None:
    """The incoming server drops the connection while the doctor waits: the failure says
    so once, and the fix names the test message's subject to delete by hand."""
    user = mail_server.new_user()

    def lost(self, deadline):
        raise ConnectionResetError(104, "Connection reset by peer")

    monkeypatch.setattr(roundtrip._IMAPWaiter, "wait", lost)
    (trip,) = _run(mail_server, user)
    assert trip.status == "failure" and trip.fix == "", trip
    subject = trip.data["subject"]
    assert subject.startswith("tuimail doctor test ")
    said = seen(trip)
    assert said == (
        "the outgoing server accepted the test message; while waiting for it in INBOX, "
        f"{describe(trip.failure)}"
    )
    assert said.count("connection") == 1, said
    assert "Errno" not in seen(trip) and "reset by peer" not in seen(trip).lower()
    assert words_fix(trip) == (
        f'run the check again; the test message may be left in your INBOX (subject "{subject}"): '
        "delete it by hand"
    )


def test_outgoing_port_closed_sends_nothing_and_is_no_refusal(mail_server) -> None:
    """No connection to the outgoing server: the test message was not "refused" and
    waiting "a few minutes" is no fix; the server checks above are."""
    trip, port = _run_with_closed_port(mail_server, "outgoing")
    assert trip.status == "failure" and trip.data["cause"] == "unreachable", trip
    assert seen(trip) == (
        f"no test message was sent: could not reach localhost port {port}: {describe(trip.failure)}"
    )
    assert words_fix(trip) == (
        "see the outgoing server checks above; once they pass, run the doctor again"
    )


def test_pop3_incoming_server_without_stls_is_named_stls(mail_server) -> None:
    """POP3's STARTTLS is STLS (RFC 2595): the round trip says it as the TLS check does."""
    user = mail_server.new_user()
    mail_server.faults.add(protocol="pop3", kind="no_starttls")
    account = make_account(mail_server, user, protocol="pop3", security="starttls")
    (trip,) = check_roundtrip(account, Secret(user.password), 5.0, 5.0)
    assert trip.status == "failure", trip
    assert seen(trip) == (
        "no test message was sent (incoming server localhost): the server does not offer "
        "STLS, so the connection cannot be encrypted (someone may be stripping it)"
    )
    assert _accepted(mail_server) == []
