"""The result of one check, as data: what was found, what to do, how long it took.

Core makes no sentence from a typed error here: a finding built from one (a TLS failure,
a refused login, a connection lost mid-check) carries it in `failure`, and the edge words it (tuimail.doctor_words, which also renders
the text and JSON reports), so the doctor and the rest of the CLI say it alike."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from tuimail.core.errors import MailError
from tuimail.core.sanitize import sanitize
from tuimail.core.secrets import PasswordError

Status = Literal["ok", "warning", "failure"]


@dataclass
class CheckResult:
    """`seen` is what was found, in words core can make itself (counts, names, the
    server's own words); for a finding made from a typed error it is "" or a context
    that the edge adds to the error's words, and `failure` is the error. `fix` is "" when
    the edge derives it from the error's type or `data` (tuimail.doctor_words.fix)."""

    name: str
    group: str
    status: Status
    seen: str
    fix: str = ""
    seconds: float = 0.0
    # The typed error; for the OAuth token command, the secrets module's PasswordError.
    failure: MailError | PasswordError | None = field(default=None, compare=False, repr=False)
    # Small typed data about the finding the edge words with `failure` (plain data):
    # "finding" (what was found: "login-refused", "lost", "unreachable", "unexpected",
    # "submit-refused", "unconfirmed", "quota-failed", "not-signed-in", ...; the list is
    # tuimail.doctor_words'), "refusal" (a login_errors.Refusal value), "login" (the
    # user name tried), "server" ("IMAP server imap.example.org"), "host"/"port"/"dns"
    # (where a connection was tried), "submit" (a SubmitError.record()), "type" (an
    # unexpected exception's class name), "account" (the account's name); the round
    # trip's "how" (idle, search, pop3), "folder", "deleted", "subject", "protocol".
    data: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        # Server replies end up here: never let them carry terminal escapes.
        self.name = sanitize(self.name)
        self.group = sanitize(self.group)
        self.seen = sanitize(self.seen)
        self.fix = sanitize(self.fix)
        self.seconds = round(float(self.seconds), 3)


def failed(results: list[CheckResult]) -> bool:
    return any(r.status == "failure" for r in results)
