"""Quota check against the bundled server's IMAP QUOTA (store user quota_kb)."""

from __future__ import annotations

from tests.doctor.conftest import make_account
from tuimail.core.doctor.server_checks import check_server
from tuimail.core.secrets import Secret
from tuimail.doctor_words import fix, seen


def _message(kib: int) -> bytes:
    body = (b"x" * 76 + b"\r\n") * (kib * 1024 // 78)
    return b"From: a@example.test\r\nTo: b@example.test\r\nSubject: big\r\n\r\n" + body


def _quota(server, user):
    account = make_account(server, user)
    results = check_server("imap", account, Secret(user.password), timeout=5)
    return next(r for r in results if r.name == "quota")


def test_quota_nearly_full_is_a_warning(mail_server) -> None:
    user = mail_server.new_user()
    mail_server.store.user(user.login).quota_kb = 100
    mail_server.deliver(user, _message(93))
    quota = _quota(mail_server, user)
    assert quota.status == "warning"
    # core gives the finding as data; the line and its fix are the edge's words
    assert (quota.seen, quota.fix, quota.data["finding"]) == ("", "", "quota-full")
    assert seen(quota) == "the mailbox is nearly full: 93% used (93 of 100 KiB)"
    assert fix(quota) == (
        "delete or archive old mail (and empty Trash): new mail bounces while the mailbox is full"
    )


def test_quota_over_the_limit_says_full_not_nearly_full(mail_server) -> None:
    """Dovecot at 117% of its quota was reported as 'nearly full'."""
    user = mail_server.new_user()
    mail_server.deliver(user, _message(117))
    mail_server.store.user(user.login).quota_kb = 100  # lowered by the provider since
    quota = _quota(mail_server, user)
    assert quota.status == "failure"
    said = seen(quota)
    assert said.startswith("the mailbox is full (over its quota): 11") and "nearly" not in said
    assert said.endswith("of 100 KiB); new mail is refused")


def test_quota_half_used_is_ok(mail_server) -> None:
    user = mail_server.new_user()
    mail_server.store.user(user.login).quota_kb = 1000
    mail_server.deliver(user, _message(500))
    quota = _quota(mail_server, user)
    assert quota.status == "ok"
    assert "% used" in seen(quota) and "of 1000 KiB" in seen(quota)


def test_no_limit(mail_server) -> None:
    user = mail_server.new_user()
    assert seen(_quota(mail_server, user)) == "no storage limit is set"
