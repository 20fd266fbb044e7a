"""The doctor's observations of a server and its ports in words: the TCP connect, the
TLS in use, the certificate's expiry, the extensions offered, the login that worked, the
quota, and the other standard ports (core/doctor server_checks, quota, port_checks hand
them out as data: CheckResult.data "finding" and what it names).

Untrusted parts (host names, a cipher's name, the system's words) are sanitised by the
caller (tuimail.doctor_words.seen / fix)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Data = dict[str, Any]


def _capabilities(d: Data) -> str:
    offered = ", ".join(map(str, d.get("offered") or ()))
    lacking = ", ".join(map(str, d.get("lacking") or ()))
    if d.get("before_login"):  # most servers name their extensions only after a login
        said = f"before a login offers {offered or 'none of ' + lacking}"
        if lacking:
            said += f"; {lacking} not listed before a login (many servers name them only after)"
    else:
        said = f"offers {offered or 'none of ' + lacking}"
        if lacking:
            said += f"; lacks {lacking}"
    if "auth" in d:
        said += f"; AUTH {' '.join(map(str, d.get('auth') or ())) or 'not offered'}"
    return said


def _certificate(d: Data) -> str:
    return (
        f"valid for {d.get('host')}, trusted, expires in {d.get('days')} days "
        f"({d.get('not_after')})"
    )


def _encrypted(d: Data) -> str:
    how = "implicit TLS" if d.get("security") == "tls" else "STARTTLS"
    return f"{how}, {d.get('version')}, {d.get('cipher')}"


def why_closed(d: Data) -> str:
    """Why a port did not answer (port_checks' reason data)."""
    why = d.get("why")
    if why == "timeout":
        return f"no answer within {float(d.get('timeout') or 0):g} s (a firewall drops it)"
    if why == "refused":
        return "connection refused (closed)"
    return str(d.get("error") or "")  # the system's own words


def _where(d: Data) -> str:
    return f"{d.get('host')} port {d.get('port')}"


def _answers(d: Data) -> str:
    return f"{_where(d)} answers (TCP connect in {d.get('ms')} ms)"


SEEN: dict[str, Callable[[Data], str]] = {
    "connected": lambda d: f"TCP connect in {d.get('ms')} ms",
    "encrypted": _encrypted,
    "certificate": _certificate,
    "certificate-expiring": _certificate,
    "capabilities": _capabilities,
    "logged-in": lambda d: f"logged in as {d.get('login')}",
    "no-quota": lambda _d: "the server does not report a quota",
    "no-limit": lambda _d: "no storage limit is set",
    "quota": lambda d: (
        f"{d.get('percent') or 0:.0f}% used ({d.get('used')} of {d.get('limit')} KiB)"
    ),
    "port-open": _answers,
    "port-instead": lambda d: (
        f"{_answers(d)}, while the configured port {d.get('configured')} does not ({why_closed(d)})"
    ),
    "port-25-blocked": lambda d: (
        f"{_where(d)}: {why_closed(d)}. This is the usual ISP block of port 25; sending "
        f"uses {'/'.join(map(str, d.get('sending') or ()))}, nothing to fix"
    ),
    "port-25-closed": lambda d: (
        f"{_where(d)}: {why_closed(d)}, and no submission port answers either"
    ),
    "port-closed": lambda d: f"{_where(d)}: {why_closed(d)}; the account does not use it",
    "server-alert": lambda d: f"the server says: {d.get('text')}",
}

FIX: dict[str, Callable[[Data], str]] = {
    "server-alert": lambda _d: "read what the server says (an [ALERT]: its administrator's words)",
    "certificate-expiring": lambda _d: (
        "the server's administrator should renew the certificate soon"
    ),
    "port-instead": lambda d: (
        f"if port {d.get('configured')} stays unreachable, set the {d.get('direction')} "
        f"server to port {d.get('port')} with security = {d.get('security')}"
    ),
    "port-25-closed": lambda _d: (
        "mail programs send through port 587 or 465: check the outgoing host name; "
        "if it is right, a firewall or the network blocks sending"
    ),
}
