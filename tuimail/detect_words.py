"""Detection's findings for people (`tuimail detect`, `account add`, `login`, the setup
wizard). Core hands out typed data (tuimail.core.discovery.findings and model: what
needs a yes, what to know, why nothing was found, each look-up's outcome, the typed
failures); every sentence about it is made here. A failure is worded from its typed
MailError with tuimail.words, the same words the CLI and the app use for that failure
anywhere else. Core keeps no sentence of its own (tests/test_layers.py).

Every string returned is sanitised; the UI hands them to Textual as plain text.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tuimail.core.errors import MailError, SecurityFailure
from tuimail.core.sanitize import sanitize
from tuimail.words.failures import failure_words
from tuimail.words.login import login_rejected
from tuimail.words.outbox import submit_failure

if TYPE_CHECKING:  # loaded by whoever has a detection: `account list` needs none
    from tuimail.core.discovery.findings import Confirm, NotFound, Notice
    from tuimail.core.discovery.model import Note, SrvNote

_SOURCE = {
    "srv": "SRV records",
    "autoconfig": "autoconfig document",
    "mx": "MX record",
    "ispdb": "ISP database",
}
_SECURITY = {"tls": "TLS", "starttls": "STARTTLS", "plain": "NOT ENCRYPTED"}
_WHAT = {"incoming": "incoming (IMAP or POP3)", "outgoing": "outgoing (SMTP)"}


def _secured(failure: Any) -> bool:
    return isinstance(failure, SecurityFailure) and bool(failure.reason)


def _failure(error: MailError) -> str:
    """A typed failure's words; the base MailError (a look-up's unforeseen exception,
    detect.lookup_failure) names only the exception's type."""
    if type(error) is MailError and not error.message:
        cause = type(error.__cause__).__name__ if error.__cause__ is not None else "error"
        return f"the look-up failed unexpectedly ({cause})"
    return failure_words(error)


def probe(result: Any) -> str:
    """A ProbeResult in words: a server that works and how it is secured; one not tried
    (unencrypted) or taken from the ISP database untried; or its typed failure worded as
    `words.describe` words it anywhere else (a timeout, a refused port, an unknown host, a
    server that is not the protocol's, a certificate), with the key's SHA-256 to compare
    when detection read it (pin.read_pin)."""
    c = result.candidate
    if result.ok:
        if c.security == "plain":
            return "works, but WITHOUT encryption"
        return f"works ({_SECURITY.get(c.security, c.security)}, certificate verified)"
    if result.skipped:
        return "not tried: it would be unencrypted (see --allow-plain)"
    if not result.verified:
        return "from the ISP database; not verified by a probe"
    if not isinstance(result.failure, MailError):
        return sanitize(result.detail)
    words = failure_words(result.failure)
    if result.pin and _secured(result.failure):
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


def confirm_item(item: Confirm) -> str:
    """Why one chosen server needs the user's yes."""
    from tuimail.core.discovery.findings import ConfirmKind

    c, role = item.chosen, item.role
    if item.kind is ConfirmKind.PLAIN:
        said = (
            f"The {role} server {c.host}:{c.port} works only WITHOUT encryption: "
            "your password and mail would be readable on the network."
        )
    elif item.kind is ConfirmKind.WEAKER and item.stronger is not None:
        s = item.stronger.candidate
        said = (
            f"The {role} server could only be reached with {c.security.upper()} on "
            f"{c.host}:{c.port}; the stronger {s.security.upper()} on "
            f"{s.host}:{s.port} failed ({probe(item.stronger)})."
        )
    else:
        how = "the MX record" if c.source == "mx" else c.source.upper()
        said = (
            f"The {role} server {c.host} is outside {item.domain} "
            f"(found by {how}); make sure you trust it."
        )
    return sanitize(said)


def confirm(detection: Any) -> list[str]:
    """What needs the user's yes (Detection.confirm), one sentence each."""
    return [confirm_item(item) for item in detection.confirm]


def warning(notice: Notice) -> str:
    """Something to know about a detection that worked (Detection.warnings)."""
    from tuimail.core.discovery.findings import NoticeKind

    if notice.kind is NoticeKind.PLAIN_SKIPPED:
        return (
            "Some servers were not tried because they would be unencrypted "
            "(--allow-plain tries them)."
        )
    if notice.kind is NoticeKind.DEADLINE:
        return (
            f"Detection stopped at its time limit ({notice.seconds:g} seconds): servers that "
            "had not answered by then count as not working, and no others were tried."
        )
    return sanitize(
        f"No server of {notice.provider} answered, so these settings come from tuimail's "
        "copy of the ISP database and were not tried."
    )


def warnings(detection: Any) -> list[str]:
    return [warning(w) for w in detection.warnings]


def not_found(error: NotFound | None) -> str | None:
    """Why detection found no usable servers (Detection.error), for the command line."""
    from tuimail.core.discovery.findings import NotFoundHint, NotFoundReason

    if error is None:
        return None
    if error.reason is NotFoundReason.NOT_AN_ADDRESS:
        return sanitize(f"{error.email!r} is not an e-mail address like alice@example.org.")
    if error.reason is NotFoundReason.ONE_ROLE and error.found is not None:
        have = error.found.role
        lack = "outgoing" if have == "incoming" else "incoming"
        c = error.found
        return sanitize(
            f"An {_WHAT[have]} server was found ({c.protocol.upper()} {c.host} port {c.port}, "
            f"{_SECURITY.get(c.security, c.security)}) "
            f"but no working {_WHAT[lack]} server; enter it by hand with `tuimail account add`."
        )
    if error.named_by:
        found_by = " and ".join(_SOURCE.get(s, s) for s in error.named_by)
        nor = " (nor the usual host names)" if error.guessed else ""
        msg = (
            f"No working mail server was found for {error.domain}: the {found_by} "
            f"named servers, but none of them{nor} answered securely."
        )
    else:
        msg = (
            f"No working mail server was found for {error.domain}: no SRV records, no "
            "autoconfig document, and none of the usual host names answered securely."
        )
    if error.hint is NotFoundHint.PLAIN_SKIPPED:
        msg += " Some servers might work without encryption (--allow-plain shows them)."
    elif error.hint is NotFoundHint.PINNABLE:
        msg += (
            " Some servers have a certificate from an authority this computer does not "
            "know: if you trust it, give its CA certificate with --ca-file, or trust that "
            "one server's key with --incoming-pin/--outgoing-pin (its SHA-256 is in the "
            "probe lines above)."
        )
    elif error.hint is NotFoundHint.NOT_SECURED:
        msg += " Some servers answered but could not be secured (see the probes)."
    msg += " Enter the servers by hand with `tuimail account add NAME --incoming ...`."
    return sanitize(msg)


def detection_dict(detection: Any) -> dict:
    """Detection.to_json() (docs/json.md) with each finding worded here: the probes',
    the login checks' and the look-ups' details, what needs a yes, the warnings, the
    error (and `error_reason`, its kind)."""
    out = detection.to_json()
    out["probes"] = [probe_dict(p) for p in detection.ordered_probes()]
    out["needs_confirmation"] = confirm(detection)
    out["warnings"] = warnings(detection)
    out["error"] = not_found(detection.error)
    out["error_reason"] = detection.error.reason.value if detection.error else None
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
    """A LoginCheck's sentence: the server logged in to, or its typed failure in
    `words.describe`'s words for it (a wrong password, a timeout, a refused port, a
    certificate), or the SMTP check's submission record when no server error exists (no
    AUTH offered); then what the server's [ALERT]s said (RFC 3501 7.1: they must be shown)."""
    said = _login(check)
    for alert in getattr(check, "alerts", ()) or ():
        said += sanitize(f" The server says: {alert}")
    return said


def _login(check: Any) -> str:
    if not check.host or (not check.ok and check.failure is None):
        return sanitize(check.detail)
    server = f"{check.protocol.upper()} server {check.host}"
    if check.ok:
        how = " (SMTP AUTH)" if check.protocol == "smtp" else ""
        return sanitize(f"Logged in to the {server}{how}.")
    if check.submit is not None and check.submit.get("error") is None:
        said = submit_failure(check.submit)
    else:
        said = failure_words(check.failure)
    if check.rejected:
        rejected = login_rejected(check.failure, check.login, server)
        return sanitize(f"{rejected}: check the user name and password.")
    return sanitize(f"Could not log in to the {server}: {said}.")


def _srv_note(note: SrvNote) -> str:
    if note.failure is None:
        return f"{note.name} says the service is not offered"
    return _failure(note.failure)


def note(item: Note) -> str:
    """A look-up's typed outcome (Event.note) in words, sanitised (names come from DNS)."""
    return sanitize(_note(item))


def _note(item: Note) -> str:
    from tuimail.core.discovery.model import Step

    step = item.step
    if step is Step.SRV_RECORDS:
        said = f"{item.count} SRV record(s)" if item.count else "no SRV records"
        return "; ".join([said, *(_srv_note(n) for n in item.srv)])
    if step is Step.AUTOCONFIG:
        return f"{item.count} server(s) listed"
    if step is Step.MX_NONE:
        return "no MX record"
    if step is Step.MX_SAME_DOMAIN:
        return f"the MX {item.host} is in the same domain"
    if step is Step.MX_PROVIDER:
        return f"MX {item.host}: provider {item.name}"
    if step is Step.ISPDB:
        return f"{item.name} in the ISP database"
    if step is Step.PIN_READ:
        return (
            f"read its certificate's key (SHA-256 {item.pin}) for you to compare; nothing was sent"
        )
    return "could not read its certificate's key"


def event(ev: Any) -> str:
    """A detection event's detail (one line of `detect`'s progress, the wizard's log)."""
    if ev.result is not None:
        return probe(ev.result)
    if ev.check is not None:
        return login(ev.check)
    if isinstance(ev.failure, MailError):
        return sanitize(_failure(ev.failure))
    if ev.note is not None:
        return sanitize(note(ev.note))
    return sanitize(ev.detail)
