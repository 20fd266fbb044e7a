"""IDLE's fetch of new mail leaves out the messages the last folder sync found the
server cannot send (Dovecot drops the connection for each: asking again on every
EXISTS would reconnect the watcher again and again)."""

from __future__ import annotations

from tuimail.core.imap.idle import _above


def test_new_mail_is_asked_for_above_the_newest_stored() -> None:
    assert _above(10, set()) == "11:*"
    assert _above(10, {3, 7}) == "11:*"  # below: not asked anyway


def test_unreadable_ones_are_left_out_without_a_star() -> None:
    """ "n:*" names the newest message even below n (RFC 3501 6.4.8): a range to the
    largest UID instead, so an unreadable newest message is not asked for after all."""
    assert _above(10, {11}) == "12:4294967295"
    assert _above(10, {13, 14}) == "11:12,15:4294967295"
    assert _above(10, {4294967295}) == "11:4294967294"
