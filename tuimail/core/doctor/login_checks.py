"""Turn a failed login into the usual cause and its fix (what the guides tell people)."""

from __future__ import annotations

from tuimail.core.doctor.report import CheckResult

WRONG_PASSWORD_FIX = (
    "check the user name and password; if the provider uses two-step verification, "
    "create an app password and use it instead of the normal password"
)


def login_failed(group: str, login: str, server_text: str, seconds: float) -> CheckResult:
    text = server_text.lower()
    if "mechanism" in text or "not supported" in text or "no suitable" in text:
        seen = f"no login method both sides support ({server_text})"
        fix = "the server does not offer a login method tuimail can use on this port"
    elif "plaintext" in text or "logindisabled" in text or "privacy" in text:
        seen = f"the server refuses a plain-text login here ({server_text})"
        fix = "use the TLS port (993/995/465) or security = starttls"
    else:
        seen = f"the server refused the login for {login} ({server_text})"
        fix = WRONG_PASSWORD_FIX
    return CheckResult("login", group, "failure", seen, fix, seconds)


def no_mechanism(group: str, offered: list[str], seconds: float) -> CheckResult:
    shown = ", ".join(offered) or "none"
    return CheckResult(
        "login",
        group,
        "failure",
        f"no login method tuimail supports is offered (offered: {shown})",
        "ask the provider which port and method to use; tuimail supports PLAIN and LOGIN",
        seconds,
    )
