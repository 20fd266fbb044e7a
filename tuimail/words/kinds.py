"""The words for each kind of failure (tuimail.core.errors: MailError.kind), said
when nothing more precise is known: a mail server's, and an authorization server's.
"""

from __future__ import annotations

KIND_WORDS = {
    "connection-lost": "the connection to the mail server was lost",
    "unreachable": "the mail server cannot be reached",
    "timeout": "the mail server did not answer in time",
    "busy": "the mail server is busy; it asked to try again later",
    "authentication": "the mail server refused the login",
    "security": "the connection could not be secured",
    "protocol": "the mail server broke the protocol",
    "refused": "the mail server refused",
}


# An authorization server's failures (protocol "http"), by kind.
HTTP_KIND_WORDS = {
    "connection-lost": "the connection to the authorization server was lost",
    "unreachable": "the authorization server cannot be reached",
    "timeout": "the authorization server did not answer in time",
    "busy": "the authorization server is busy; it asked to try again later",
    "authentication": "the authorization server refused the sign-in",
    "security": "the connection to the authorization server could not be secured",
    "protocol": "the authorization server's answer cannot be read",
    "refused": "the authorization server refused",
}
