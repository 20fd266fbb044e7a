"""Warnings about the sender: what people are tricked with."""

from __future__ import annotations

import re

from tuimail.core.report.domains import (
    BRANDS,
    is_punycode,
    lookalike_of,
    org_domain,
    scripts,
    unicode_domain,
)
from tuimail.core.report.explain import dmarc_policy, provider_verdicts
from tuimail.core.report.model import DeliveryReport, Explanation
from tuimail.core.sanitize import sanitize

_ADDRESS_IN_NAME = re.compile(r"[A-Za-z0-9._%+-]+@([A-Za-z0-9.-]+\.[A-Za-z]{2,})")
_DOMAIN_IN_NAME = re.compile(
    r"\b((?:[A-Za-z0-9-]+\.)+(?:com|net|org|de|uk|fr|io|gov|edu|[a-z]{2}))\b"
)
_WORDS = re.compile(r"[A-Za-z0-9]+")


def sender_warnings(
    report: DeliveryReport,
    from_name: str,
    from_addr: str,
    reply_to: list[tuple[str, str]],
    to: list[tuple[str, str]],
    *,
    own_domains: tuple[str, ...] = (),
) -> list[Explanation]:
    out: list[Explanation] = []
    domain = from_addr.rpartition("@")[2].strip().lower().rstrip(".")
    org = org_domain(unicode_domain(domain))
    shown = sanitize(from_name)
    real = sanitize(from_addr)

    for v in provider_verdicts(report, "dmarc"):
        if v.result == "fail":
            policy = dmarc_policy(v)
            out.append(
                Explanation(
                    "sender",
                    "bad",
                    f"The From domain {sanitize(domain)} fails DMARC"
                    + (f" (its policy: {policy})" if policy else "")
                    + ": the message claims a sender that did not send it.",
                )
            )
            break

    if from_name and domain:
        m = _ADDRESS_IN_NAME.search(from_name)
        named = m.group(1).lower() if m else ""
        if not named:
            d = _DOMAIN_IN_NAME.search(from_name.lower())
            named = d.group(1) if d else ""
        if named and org_domain(named) != org:
            out.append(
                Explanation(
                    "sender",
                    "bad",
                    f"The name shown, '{shown}', looks like an address at {sanitize(named)}, "
                    f"but the message is from {real}.",
                )
            )
        else:
            label = org.split(".")[0] if org else ""
            for word in _WORDS.findall(from_name):
                brand = BRANDS.get(word.lower())
                if brand and label != org_domain(brand).split(".")[0] and word.lower() not in org:
                    out.append(
                        Explanation(
                            "sender",
                            "warning",
                            f"The name shown, '{shown}', names {word}, but the "
                            f"message is from {sanitize(domain)}, not {brand}.",
                        )
                    )
                    break

    reply_orgs = {org_domain(a.rpartition("@")[2].lower()) for _, a in reply_to if "@" in a} - {""}
    other = sorted(r for r in reply_orgs if r != org)
    if other and domain:
        out.append(
            Explanation(
                "reply-to",
                "warning",
                f"Replies go to {sanitize(', '.join(other))}, not to the sender's domain "
                f"{sanitize(org)}: a reply reaches someone else.",
            )
        )

    if domain:
        shown_domain = unicode_domain(domain)
        if is_punycode(domain) or shown_domain != domain or not domain.isascii():
            alphabets = scripts(shown_domain.replace(".", ""))
            mixed = len(alphabets - {"DIGIT"}) > 1
            out.append(
                Explanation(
                    "sender",
                    "bad" if mixed else "warning",
                    f"The sender's domain {sanitize(domain)} is written with non-Latin or "
                    f"special letters: it reads as {sanitize(shown_domain)}"
                    + (
                        " and mixes alphabets (" + ", ".join(sorted(alphabets)).lower() + ")"
                        if mixed
                        else ""
                    )
                    + ". Check it is the domain you expect.",
                )
            )
        known = set(BRANDS.values()) | {d for d in own_domains if d}
        known |= {a.rpartition("@")[2].lower() for _, a in to + reply_to if "@" in a}
        known |= {d.lower() for d, _ in report.dkim_signatures if d}
        imitated = lookalike_of(domain, known)
        if imitated:
            out.append(
                Explanation(
                    "sender",
                    "bad",
                    f"The sender's domain {sanitize(shown_domain)} looks like "
                    f"{sanitize(imitated)} but is a different domain.",
                )
            )
    return out
