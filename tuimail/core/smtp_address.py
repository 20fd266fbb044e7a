"""Addresses for the SMTP envelope: IDNA domains, SMTPUTF8 local parts (RFC 5321/6531).

`envelope_address` turns an address as the user wrote it into what goes after MAIL FROM:
or RCPT TO:. The domain is always sent in ASCII (IDNA 2008 A-labels, UTS #46 mapping), so
`bob@bücher.example` needs nothing from the server. A local part that is not ASCII
(`jörg@example.org`) can only travel with SMTPUTF8; `plan_envelope` says which
addresses cannot be sent to a server that does not offer it, so the caller refuses
them permanently instead of failing on an encoding error and retrying for ever.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import idna


class AddressError(ValueError):
    """An address that no server could take (bad domain, empty parts). `problem` says
    which, as a key: "literal-not-ascii", "idna", "not-an-address", "line-break",
    "needs-smtputf8" (the words are made at the edge, tuimail.words)."""

    def __init__(self, message: str, problem: str = "") -> None:
        super().__init__(message)
        self.problem = problem


@dataclass(frozen=True)
class EnvelopeAddress:
    original: str
    wire: str  # the local part untouched, the domain in A-labels
    needs_smtputf8: bool


def _domain(domain: str, original: str) -> str:
    if domain.startswith("[") and domain.endswith("]"):  # an address literal
        if not domain.isascii():
            raise AddressError(f"{original}: the address literal is not ASCII", "literal-not-ascii")
        return domain
    if domain.isascii():
        return domain
    try:
        return idna.encode(domain, uts46=True).decode("ascii")
    except (idna.IDNAError, UnicodeError) as exc:
        raise AddressError(
            f"{original}: the domain cannot be written in IDNA ({exc})", "idna"
        ) from exc


def envelope_address(address: str) -> EnvelopeAddress:
    """The envelope form of `address` (may be "" for the null sender)."""
    address = address.strip()
    if address.startswith("<") and address.endswith(">"):
        address = address[1:-1].strip()
    if not address:
        return EnvelopeAddress("", "", False)
    local, at, domain = address.rpartition("@")
    if not at or not local or not domain:
        raise AddressError(f"{address}: not an address (local@domain)", "not-an-address")
    if any(c in address for c in "\r\n\x00"):
        raise AddressError(f"{address!r}: contains a line break or NUL", "line-break")
    wire = f"{local}@{_domain(domain, address)}"
    return EnvelopeAddress(address, wire, not local.isascii())


@dataclass
class EnvelopePlan:
    """What one transaction sends: MAIL FROM, the RCPTs, and whether SMTPUTF8 is used."""

    sender: str
    recipients: list[EnvelopeAddress]
    refused: dict[str, str] = field(default_factory=dict)  # original -> why (permanent)
    smtputf8: bool = False


def plan_envelope(
    sender: str, recipients: list[str], *, server_smtputf8: bool, utf8_headers: bool = False
) -> EnvelopePlan:
    """Encode the envelope for a server that does (not) offer SMTPUTF8.

    Raises AddressError when the sender itself cannot be sent; recipients that cannot be
    sent are in `refused`, each with a sentence (never retried: nothing will change).
    SMTPUTF8 is asked for when an address needs it or the header has UTF-8 (RFC 6532),
    and only when the server offers it.
    """
    from_ = envelope_address(sender)
    if from_.needs_smtputf8 and not server_smtputf8:
        raise AddressError(
            f"the sender address {sender} is not ASCII and the server does not offer "
            "SMTPUTF8, so it cannot be sent there",
            "needs-smtputf8",
        )
    plan = EnvelopePlan(from_.wire, [])
    for rcpt in recipients:
        try:
            encoded = envelope_address(rcpt)
        except AddressError as exc:
            plan.refused[rcpt] = f"not sent: {exc}"
            continue
        if encoded.needs_smtputf8 and not server_smtputf8:
            plan.refused[rcpt] = (
                "not sent: the address is not ASCII and the server does not offer SMTPUTF8"
            )
            continue
        plan.recipients.append(encoded)
    plan.smtputf8 = server_smtputf8 and (
        utf8_headers or from_.needs_smtputf8 or any(r.needs_smtputf8 for r in plan.recipients)
    )
    return plan
