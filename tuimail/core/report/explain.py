"""Plain-language sentences for the route and the provider's verdicts."""

from __future__ import annotations

import re

from tuimail.core.report.domains import org_domain
from tuimail.core.report.model import DeliveryReport, Explanation, Verdict
from tuimail.core.report.received import LARGE_DELAY, duration

CLOCK_AHEAD = 5 * 60.0  # a Date this far after the first hop: the sender's clock is ahead

_POLICY = re.compile(r"\bp=([A-Za-z]+)")

SPF_WORDS = {
    "pass": ("ok", "the server that handed the message over is allowed to send mail for {d}"),
    "fail": ("bad", "{d} says the server that handed the message over may NOT send its mail"),
    "hardfail": ("bad", "{d} says the server that handed the message over may NOT send its mail"),
    "softfail": (
        "warning",
        "{d} says the sending server is probably not allowed to send its mail (softfail: "
        "suspicious, not conclusive)",
    ),
    "neutral": ("info", "{d} makes no statement about the sending server (neutral)"),
    "none": ("info", "{d} publishes no SPF record, so the sending server is not checked"),
    "temperror": ("warning", "the SPF check of {d} failed for a temporary DNS problem"),
    "permerror": ("warning", "{d} publishes a broken SPF record, so it could not be checked"),
}
DKIM_WORDS = {
    "pass": ("ok", "valid: the signed parts are unchanged since {d} signed them"),
    "fail": (
        "bad",
        "does not verify: the message was changed after {d} signed it, or the signature is forged",
    ),
    "neutral": ("warning", "could not be checked (neutral)"),
    "none": ("info", "the message is not signed"),
    "policy": ("warning", "valid but not accepted by the receiver's policy"),
    "temperror": ("warning", "could not be checked: the key lookup failed temporarily"),
    "permerror": (
        "bad",
        "could not be checked: the key is missing or broken, or the signature is malformed",
    ),
}
DMARC_WORDS = {
    "pass": ("ok", "the From domain {d} is confirmed by a matching SPF or DKIM pass"),
    "fail": ("bad", "nothing confirms the From domain {d}: neither SPF nor DKIM passed for it"),
    "none": ("info", "{d} publishes no DMARC policy"),
    "temperror": ("warning", "the DMARC check of {d} failed for a temporary DNS problem"),
    "permerror": ("warning", "{d} publishes a broken DMARC record"),
}
POLICY_WORDS = {
    "reject": "its owner asks receivers to refuse such mail",
    "quarantine": "its owner asks receivers to put such mail in the spam folder",
    "none": "its owner only monitors and asks receivers to do nothing",
}


def route_explanations(report: DeliveryReport) -> list[Explanation]:
    out: list[Explanation] = []
    if not report.hops:
        out.append(
            Explanation(
                "route",
                "info",
                "The message has no Received headers: it was not delivered by a mail server "
                "(a draft, a local copy, or a server that records nothing).",
            )
        )
        return out
    count = len(report.hops) + report.omitted_hops
    text = f"The message passed {count} server hop{'s' if count != 1 else ''}"
    if report.total_seconds is not None and report.total_seconds >= 0:
        text += f" in {duration(report.total_seconds)}"
    out.append(Explanation("route", "info", text + "."))
    if report.omitted_hops:
        out.append(
            Explanation(
                "route",
                "warning",
                f"{report.omitted_hops} older Received headers are counted but not read "
                "(too many to be real).",
            )
        )
    gap = report.written_to_first_hop
    if gap is not None and gap >= LARGE_DELAY:
        out.append(
            Explanation(
                "route",
                "warning",
                f"The message is dated {duration(gap)} before the first server received it: "
                "it waited on the sender's side (an outbox, a queue), or the sender's clock "
                "is behind.",
            )
        )
    elif gap is not None and gap <= -CLOCK_AHEAD:
        out.append(
            Explanation(
                "route",
                "warning",
                f"The message is dated {duration(-gap)} after the first server received it: "
                "the sender's clock is ahead (or the Date header was set on purpose).",
            )
        )
    unencrypted = [h for h in report.hops if h.encrypted is False and not h.local]
    if unencrypted:
        numbers = ", ".join(str(h.number) for h in unencrypted)
        out.append(
            Explanation(
                "route",
                "warning",
                f"Hop{'s' if len(unencrypted) > 1 else ''} {numbers} travelled without encryption: anyone on that network path "
                "could read or change it.",
            )
        )
    for hop in report.hops:
        for note in hop.notes:
            level = "info" if note.startswith("could not") or "time stamp" in note else "warning"
            out.append(
                Explanation("route", level, f"Hop {hop.number} ({hop.by_host or '?'}): {note}.")
            )
    return out


def provider_verdicts(report: DeliveryReport, method: str) -> list[Verdict]:
    """One method's results from the provider's own Authentication-Results (never claims)."""
    return [
        v
        for a in report.auth_results
        if a.trusted and a.source == "Authentication-Results"
        for v in a.verdicts
        if v.method == method
    ]


def dmarc_policy(verdict: Verdict) -> str:
    policy = verdict.prop("policy.dmarc", "policy.published-domain-policy", "p")
    if not policy:
        m = _POLICY.search(verdict.comment)
        policy = m.group(1) if m else ""
    return policy.lower()


def explain_results(report: DeliveryReport) -> list[Explanation]:
    """SPF, DKIM per signature, DMARC and ARC from the trusted results, then what they mean."""
    out: list[Explanation] = []
    trusted = [a for a in report.auth_results if a.trusted]
    claims = [a for a in report.auth_results if not a.trusted]
    if not trusted:
        out.append(
            Explanation(
                "combined",
                "info",
                "Your provider left no Authentication-Results header that tuimail can "
                "recognise as its own, so SPF, DKIM and DMARC are not verified here"
                + (" (the results below were claimed by earlier servers)." if claims else "."),
            )
        )
    for v in provider_verdicts(report, "spf"):
        domain = (
            v.prop("smtp.mailfrom", "smtp.mail", "smtp.helo").rpartition("@")[2] or "the sender"
        )
        level, words = SPF_WORDS.get(v.result, ("info", f"{{d}}: {v.result}"))
        out.append(Explanation("spf", level, f"SPF {v.result}: {words.format(d=domain)}."))
    for v in provider_verdicts(report, "dkim"):
        domain = v.prop("header.d") or v.prop("header.i").rpartition("@")[2] or "?"
        selector = v.prop("header.s")
        level, words = DKIM_WORDS.get(v.result, ("info", v.result))
        label = f"DKIM signature of {domain}" + (f" (selector {selector})" if selector else "")
        out.append(Explanation("dkim", level, f"{label}: {v.result}, {words.format(d=domain)}."))
    for v in provider_verdicts(report, "dmarc"):
        domain = v.prop("header.from") or report.from_domain or "?"
        level, words = DMARC_WORDS.get(v.result, ("info", v.result))
        text = f"DMARC {v.result}: {words.format(d=domain)}"
        policy = dmarc_policy(v)
        if policy:
            text += f"; its policy is '{policy}'" + (
                f": {POLICY_WORDS[policy]}" if policy in POLICY_WORDS else ""
            )
        out.append(Explanation("dmarc", level, text + "."))
    for v in provider_verdicts(report, "arc"):
        level = "ok" if v.result == "pass" else "warning" if v.result == "fail" else "info"
        text = {
            "pass": "a forwarder on the way (a mailing list, a forwarding service) vouches "
            "for the results it saw before it changed the message",
            "fail": "the chain of forwarders' seals is broken",
        }.get(v.result, "no forwarder's seal")
        seen = _first_forwarder(report) if v.result == "pass" else ""
        out.append(Explanation("arc", level, f"ARC {v.result}: {text}." + seen))
    if trusted:
        out.append(_combined(report))
    return out


def _first_forwarder(report: DeliveryReport) -> str:
    """' The first forwarder (x) saw: spf=pass, ...' from the lowest ARC instance."""
    sealed = [a for a in report.auth_results if a.source.startswith("ARC-") and a.verdicts]
    if not sealed:
        return ""
    first = min(sealed, key=lambda a: _instance(a.source))
    saw = ", ".join(f"{v.method}={v.result}" for v in first.verdicts[:6])
    return f" The first of them ({first.authserv_id or '?'}) saw: {saw}."


def _instance(source: str) -> int:
    number = source.rpartition("=")[2]
    return int(number) if number.isdigit() else 0


def _combined(report: DeliveryReport) -> Explanation:
    from_org = org_domain(report.from_domain)
    dmarc = provider_verdicts(report, "dmarc")
    if dmarc:
        if any(v.result == "pass" for v in dmarc):
            return Explanation(
                "combined",
                "ok",
                f"This message really comes from {report.from_domain}: your provider "
                "confirmed the From domain (that says who sent it, not whether they are honest).",
            )
        if any(v.result == "fail" for v in dmarc):
            return Explanation(
                "combined",
                "bad",
                f"The From address cannot be trusted: {report.from_domain} did not send or "
                "sign this message, whatever the name shown says.",
            )
    dkim_pass = [
        (v.prop("header.d") or v.prop("header.i").rpartition("@")[2]).lower()
        for v in provider_verdicts(report, "dkim")
        if v.result == "pass"
    ]
    spf_pass = [
        v.prop("smtp.mailfrom", "smtp.mail").rpartition("@")[2].lower()
        for v in provider_verdicts(report, "spf")
        if v.result == "pass"
    ]
    if from_org and any(org_domain(d) == from_org for d in dkim_pass):
        return Explanation(
            "combined",
            "ok",
            f"Signed by the From domain {report.from_domain}: the sender is confirmed.",
        )
    if from_org and any(org_domain(d) == from_org for d in spf_pass):
        return Explanation(
            "combined",
            "ok",
            f"Sent by a server {report.from_domain} allows (SPF): the sender is likely genuine, "
            "though the message is not signed by it.",
        )
    if dkim_pass or spf_pass:
        others = ", ".join(sorted(set(dkim_pass + spf_pass)))
        return Explanation(
            "combined",
            "warning",
            f"Checks passed only for {others}, not for the From domain "
            f"{report.from_domain or '?'}: the From address itself is not confirmed.",
        )
    return Explanation(
        "combined", "warning", "Nothing confirms who sent this message: be careful with it."
    )
