"""Detection's findings for people (`tuimail detect`, `account add`, `login`, the setup
wizard): a probe's, a look-up's or a login check's failure to secure the connection is
worded here from its typed SecurityFailure with tuimail.words, the same words the CLI
and the app use for that failure anywhere else. Core keeps the typed failure and, where
no error exists, a plain detail (tests/test_layers.py: no TLS phrases under core).
"""

from __future__ import annotations

from typing import Any

from tuimail.core.errors import SecurityFailure
from tuimail.core.sanitize import sanitize
from tuimail.words import failure_words


def _secured(failure: Any) -> bool:
    return isinstance(failure, SecurityFailure) and bool(failure.reason)


def probe(result: Any) -> str:
    """A ProbeResult's detail: its security failure worded, with the key's SHA-256 to
    compare when detection read it (pin.read_pin), else core's detail."""
    if not _secured(result.failure):
        return sanitize(result.detail)
    words = failure_words(result.failure)
    if result.pin:
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
    """A LoginCheck's sentence: its security failure worded here, else core's."""
    if check.ok or not _secured(check.failure) or not check.server:
        return sanitize(check.detail)
    return sanitize(f"Could not log in to the {check.server}: {failure_words(check.failure)}.")


def event(ev: Any) -> str:
    """A detection event's detail (one line of `detect`'s progress, the wizard's log)."""
    if ev.result is not None:
        return probe(ev.result)
    if ev.check is not None:
        return login(ev.check)
    if _secured(ev.failure):
        return sanitize(failure_words(ev.failure))
    return sanitize(ev.detail)
