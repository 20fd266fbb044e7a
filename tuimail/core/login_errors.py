"""Classifier of login refusals, for all three protocols: which usual cause a refusal
names. Servers carry no response code for "an app password is needed" (Gmail answers IMAP
with `[ALERT] Application-specific password required`, SMTP with 534 5.7.9), so this is the
one place that reads a refusal's words; everything else decides by the kind returned.
"""

from __future__ import annotations

from enum import Enum


class Refusal(Enum):
    WRONG_PASSWORD = "wrong-password"
    APP_PASSWORD = "app-password"  # the normal password is right but not for mail programs
    MECHANISM = "mechanism"  # no login method both sides support
    PLAINTEXT = "plaintext"  # a clear-text login refused on this connection


# What providers say when the normal password is right but a mail program may not use it
# (Gmail 534-5.7.9 / IMAP [ALERT] "Application-specific password required", 5.7.14
# "log in via your web browser", Yahoo/iCloud "app-specific password").
_APP_PASSWORD_HINTS = (
    "application-specific password",
    "app-specific password",
    "app password",
    "apppassword",
    "5.7.9 ",
    "web browser",
    "weblogin",
    "5.7.14",
)
_MECHANISM_HINTS = ("mechanism", "not supported", "no suitable")
_PLAINTEXT_HINTS = ("plaintext", "logindisabled", "privacy")


def classify_refusal(server_text: str) -> Refusal:
    """The usual cause a login refusal's words name (the server's own words, as received)."""
    text = server_text.lower()
    if any(hint in text for hint in _APP_PASSWORD_HINTS):
        return Refusal.APP_PASSWORD
    if any(hint in text for hint in _MECHANISM_HINTS):
        return Refusal.MECHANISM
    if any(hint in text for hint in _PLAINTEXT_HINTS):
        return Refusal.PLAINTEXT
    return Refusal.WRONG_PASSWORD
