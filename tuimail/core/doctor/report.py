"""The result of one check, as data: what was found, how long it took.

Core makes no sentence here: every finding is a kind and its data (CheckResult.data),
and one built from a typed error (a TLS failure, a refused login, a connection lost
mid-check) carries it in `failure`. The edge words them (tuimail.doctor_words, which also
renders the text and JSON reports), so the doctor and the rest of the CLI say it alike."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from tuimail.core.errors import MailError
from tuimail.core.sanitize import sanitize
from tuimail.core.secrets import PasswordError

Status = Literal["ok", "warning", "failure"]


@dataclass
class CheckResult:
    """One check's outcome as data: `data["finding"]` names what was found (an
    observation such as "mx", "capabilities", "logged-in", "port-open", or a problem such
    as "spf-none", "login-refused", "unreachable") and the rest of `data` what its words
    need (records, names, counts, ports); `failure` is the typed error of a finding made
    from one. tuimail.doctor_words makes the sentence and the fix (docs/json.md lists the
    findings). Core leaves `seen` and `fix` empty (tests/test_layers.py): they carry text
    only for a result made outside core (a screen's sample results)."""

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
    # user name tried), "protocol" and "host" (the server), "host"/"port"/"dns"
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
