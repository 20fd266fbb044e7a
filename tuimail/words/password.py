"""Words for a password that could not be obtained (tuimail.core.secrets.PasswordError:
its problem and data). Never the password itself: core never puts it in the data.

Every string returned is sanitised (no control characters).
"""

from __future__ import annotations

from typing import Any

from tuimail.words.plain import plain

_MEANING = {126: "cannot be run", 127: "command not found"}


def password_words(error: Any) -> str:
    """One sentence for a PasswordError ("The password_command printed nothing.")."""
    data = getattr(error, "data", None)
    data = data if isinstance(data, dict) else {}
    what = plain(data.get("what")) or "password_command"
    problem = getattr(error, "problem", "")
    if problem == "empty":
        return f"The {what} is empty."
    if problem == "no-shell":
        return f"The shell {plain(data.get('shell'))} cannot be run ({plain(data.get('detail'))})."
    if problem == "timeout":
        seconds = data.get("seconds")
        seconds = seconds if isinstance(seconds, int | float) else 0
        return f"The {what} did not finish within {seconds:g} seconds."
    if problem == "failed":
        status = data.get("status")
        meaning = _MEANING.get(status) if isinstance(status, int) else None
        how = f"exit status {status}: {meaning}" if meaning else f"exit status {status}"
        said = plain(data.get("said"))
        return f"The {what} failed ({how}){': ' + said if said else ''}; no login was attempted."
    if problem == "printed-nothing":
        return f"The {what} printed nothing."
    login = plain(data.get("login"))
    if problem == "no-password":
        return (
            f"No password for {login}: set password_command in the account, or enter it when asked."
        )
    if problem == "none-entered":
        return f"No password was entered for {login}."
    return "No password could be obtained."
