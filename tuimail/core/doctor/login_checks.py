"""Turn a failed login into a finding: the typed error and the usual cause it names
(wrong password, app password needed, plaintext refused, mechanism not offered), worded
with its fix at the edge (tuimail.doctor_words)."""

from __future__ import annotations

from tuimail.core.doctor.report import CheckResult
from tuimail.core.errors import MailError
from tuimail.core.login_errors import classify_refusal

SUPPORTED_MECHANISMS = ("PLAIN", "LOGIN", "CRAM-MD5")
OAUTH_MECHANISMS = ("XOAUTH2", "OAUTHBEARER")


def server_words(error: MailError) -> str:
    """What the server said, as the classifier kept it (code and words), for the login
    classifier (tuimail.core.login_errors) to read: never a sentence for people."""
    words = error.server_text or (error.code if isinstance(error.code, str) else "")
    code = f"{error.code} " if isinstance(error.code, int) else ""
    enhanced = getattr(error, "enhanced", None)
    if isinstance(enhanced, str) and enhanced not in words:
        code += f"{enhanced} "
    return f"{code}{words}".strip()


def login_failed(
    group: str, login: str, error: MailError, seconds: float, protocol: str = "", host: str = ""
) -> CheckResult:
    """The check line for a refused login: the typed error, and the usual cause its words
    name (decided by the login classifier, tuimail.core.login_errors). The edge words it
    (naming the `protocol`'s server at `host`) and gives the cause's fix
    (tuimail.doctor_words)."""
    kind = classify_refusal(server_words(error))
    data = {
        "finding": "login-refused",
        "refusal": kind.value,
        "login": login,
        "protocol": protocol,
        "host": host,
    }
    return CheckResult("login", group, "failure", "", "", seconds, failure=error, data=data)


def no_mechanism(group: str, offered: list[str], seconds: float) -> CheckResult:
    """The check line for a server that offers no SASL mechanism tuimail can use
    (none of SUPPORTED_MECHANISMS): no password was sent. As data: the mechanisms
    `offered` and the OAuth ones among them (`oauth`: the way in is tuimail's OAuth
    sign-in); the edge words it and its fix (tuimail.doctor_words)."""
    oauth = [m for m in offered if m in OAUTH_MECHANISMS]
    data = {"finding": "no-mechanism", "offered": list(offered), "oauth": oauth}
    return CheckResult("login", group, "failure", "", "", seconds, data=data)


def plain_login(group: str, refused_by_server: str | None) -> CheckResult:
    """security = plain: the doctor never sends the password in clear. If the server
    refuses logins in clear anyway (`refused_by_server` says how it shows it:
    "logindisabled", "no-user-before-stls", "auth-after-starttls"), the account cannot
    log in at all: that is the cause, and a failure. Worded in tuimail.doctor_words."""
    if refused_by_server:
        data = {"finding": "plain-refused", "how": refused_by_server}
        return CheckResult("login", group, "failure", "", "", data=data)
    return CheckResult("login", group, "warning", "", "", data={"finding": "plain-not-tried"})
