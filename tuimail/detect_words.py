"""Detection's findings for people (`tuimail detect`, `account add`, `login`, the setup
wizard): a probe's, a look-up's or a login check's failure to secure the connection is
worded here from its typed SecurityFailure with tuimail.words, the same words the CLI
and the app use for that failure anywhere else. Core keeps the typed failure and, where
no error exists, a plain detail (tests/test_layers.py: no TLS phrases under core).
"""

from __future__ import annotations

from typing import Any

from tuimail.core.errors import MailError, SecurityFailure
from tuimail.core.sanitize import sanitize
from tuimail.words import failure_words, login_rejected, submit_failure


def _secured(failure: Any) -> bool:
    return isinstance(failure, SecurityFailure) and bool(failure.reason)


def probe(result: Any) -> str:
    """A ProbeResult's detail: its typed failure worded as `words.describe` words it
    anywhere else (a timeout, a refused port, an unknown host, a server that is not the
    protocol's, a certificate), with the key's SHA-256 to compare when detection read it
    (pin.read_pin); a probe that worked: core's detail ("works (TLS, ...)")."""
    if result.ok or not isinstance(result.failure, MailError):
        return sanitize(result.detail)
    words = failure_words(result.failure)
    if result.pin and _secured(result.failure):
        c = result.candidate
        words += (
            f"; its key's SHA-256 is {result.pin} (to trust this one certificate "
            f"for {c.host} port {c.port} only, give it as --{c.role}-pin)"
        )
    return sanitize(words)


def probe_dict(result: Any) -> dict:
    """ProbeResult.to_dict() with its detail worded here (docs/json.md keys unchanged)."""
    out = result.to_dict()
    out["detail"] = probe(result)
    return out


def confirm(detection: Any) -> list[str]:
    """What needs the user's yes (Detection.confirm), a failed stronger probe's reason
    worded here."""
    out = [sanitize(c) for c in detection.confirm]
    for i, (said, result) in detection.weaker.items():
        if i < len(out):
            out[i] = sanitize(f"{said} ({probe(result)}).")
    return out


def detection_dict(detection: Any) -> dict:
    """Detection.to_json() (docs/json.md) with each failure worded here: the probes',
    the login checks' and the look-ups' details."""
    out = detection.to_json()
    out["probes"] = [probe_dict(p) for p in detection.ordered_probes()]
    out["needs_confirmation"] = confirm(detection)
    if out.get("login"):
        out["login"]["checks"] = [
            {"role": c.role, "ok": c.ok, "detail": login(c)} for c in detection.logins
        ]
    out["lookups"] = [
        {"stage": e.stage, "target": e.target, "ok": e.ok, "detail": event(e)}
        for e in detection.lookups()
    ]
    return out


def login(check: Any) -> str:
    """A LoginCheck's sentence, from its typed failure in `words.describe`'s words for
    it (a wrong password, a timeout, a refused port, a certificate), or from the SMTP
    check's submission record when no server error exists (no AUTH offered)."""
    if check.ok or check.failure is None or not check.server:
        return sanitize(check.detail)
    if check.submit is not None and check.submit.get("error") is None:
        said = submit_failure(check.submit)
    else:
        said = failure_words(check.failure)
    if check.rejected:
        rejected = login_rejected(check.failure, check.login, check.server)
        return sanitize(f"{rejected}: check the user name and password.")
    return sanitize(f"Could not log in to the {check.server}: {said}.")


def event(ev: Any) -> str:
    """A detection event's detail (one line of `detect`'s progress, the wizard's log)."""
    if ev.result is not None:
        return probe(ev.result)
    if ev.check is not None:
        return login(ev.check)
    if isinstance(ev.failure, MailError):
        return sanitize(failure_words(ev.failure))
    return sanitize(ev.detail)
