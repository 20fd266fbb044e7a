"""Round trip against the bundled server: sent for real, found in INBOX, deleted."""

from __future__ import annotations

import gc

import pytest

from tests.doctor.conftest import make_account
from testserver.server import MailServer
from tuimail.core.doctor import roundtrip, run_checks
from tuimail.core.doctor.roundtrip import HEADER, check_roundtrip
from tuimail.core.secrets import Secret
from tuimail.doctor_words import fix as words_fix
from tuimail.doctor_words import seen
from tuimail.words import describe, submit_failure

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


def test_imap_round_trip_measured_and_cleaned_up(mail_server) -> None:
    user = mail_server.new_user()
    _with_deleted_message(mail_server, user)
    trip, cleanup = _run(mail_server, user)
    assert trip.group == "Round trip" and trip.status == "ok", trip
    assert "arrived in INBOX" in trip.seen and "IDLE" in trip.seen
    assert 0.0 <= trip.seconds < 30.0
    assert f"{trip.seconds:.1f} s" in trip.seen
    assert cleanup.status == "ok" and "deleted from INBOX" in cleanup.seen
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
    assert "arrived in INBOX" in trip.seen and "POP3" in trip.seen
    assert 0.0 <= trip.seconds < 30.0
    assert cleanup.status == "ok", cleanup
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
            assert "SEARCH" in trip.seen
        assert cleanup.status == status, cleanup
        assert "UIDPLUS" in cleanup.seen
        inbox = server.store.messages(user.login)
        assert [m.raw for m in inbox if not _ours(m.raw)] == [OTHER]
        if where == "Trash":
            assert not any(_ours(m.raw) for m in inbox)
            assert any(_ours(m) for m in server.messages(user, "Trash"))
        else:
            (test_message,) = [m for m in inbox if _ours(m.raw)]
            assert "\\Deleted" in test_message.flags
            assert "by hand" in cleanup.fix
    gc.collect()


def test_swallowed_message_times_out(mail_server) -> None:
    user = mail_server.new_user()
    mail_server.faults.add(protocol="smtp", kind="swallow")
    # The wait for a message that never comes: a short one shows it as well as a long one.
    (trip,) = _run(mail_server, user, roundtrip_timeout=1.0)
    assert trip.status == "failure"
    assert seen(trip) == "the server accepted the message but it did not arrive in 1 s"
    said = words_fix(trip)
    assert "Junk" in said and "delaying" in said and "provider" in said
    assert trip.seconds >= 1.0
    assert [s.delivered for s in _accepted(mail_server)] == [False]


def test_pop3_swallowed_message_times_out(mail_server) -> None:
    user = mail_server.new_user()
    mail_server.faults.add(protocol="smtp", kind="swallow")
    (trip,) = _run(mail_server, user, protocol="pop3", roundtrip_timeout=1.0)
    assert trip.status == "failure" and "did not arrive in 1 s" in seen(trip)


def test_message_filed_as_junk_is_found_early_and_deleted(mail_server, monkeypatch) -> None:
    user = mail_server.new_user()
    store = mail_server.store
    deliver = store.deliver
    # A spam filter at the provider: whatever the SMTP server delivers lands in Junk.
    monkeypatch.setattr(
        store, "deliver", lambda rcpt, raw, folder="INBOX": deliver(rcpt, raw, "Junk")
    )
    monkeypatch.setattr(roundtrip, "IDLE_RECHECK_SECONDS", 0.5)
    (trip,) = _run(mail_server, user, roundtrip_timeout=60.0)
    assert trip.status == "warning", trip
    assert 'filed in the junk folder "Junk"' in trip.seen and "SPF" in trip.fix
    assert trip.seconds < 30.0  # found while waiting, not only at the end
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
    (trip,) = _run(mail_server, user, smtp_security="starttls")
    assert trip.status == "failure" and "STARTTLS" in seen(trip)
    assert "nothing was sent" in words_fix(trip)
    assert _accepted(mail_server) == []
    log = mail_server.protocol_server("smtp").auth_log
    assert log == []  # no password either


def test_incoming_login_refused_sends_nothing(mail_server) -> None:
    user = mail_server.new_user()
    account = make_account(mail_server, user)
    (trip,) = check_roundtrip(account, Secret("wrong"), 10.0, 5.0)
    assert trip.status == "failure"
    said = seen(trip)
    assert said == f"no test message was sent; the incoming server: {describe(trip.failure)}"
    assert "refused the login" in said and "[AUTHENTICATIONFAILED]" in said, said
    assert "wrong" not in said
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
    assert said == f"no test message was sent; the incoming server: {describe(trip.failure)}"
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
    assert "by hand" in words_fix(cleanup)
