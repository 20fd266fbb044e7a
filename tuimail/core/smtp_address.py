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

PROBLEMS = (
    "literal-not-ascii",  # an address literal ([...]) that is not ASCII
    "idna",  # the domain cannot be written in IDNA (detail: the library's words)
    "not-an-address",  # not local@domain
    "line-break",  # a CR, LF or NUL in it
    "needs-smtputf8",  # a UTF-8 local part, and the server does not offer SMTPUTF8
)


class AddressError(ValueError):
    """An address that no server could take (bad domain, empty parts). `problem` says
    which, as a key of PROBLEMS; `address` the address as given; `detail` the library's
    own words where it gave some (IDNA). The words are made at the edge (tuimail.words);
    str() is a record for logs."""

    def __init__(self, problem: str, address: str, detail: str = "") -> None:
        super().__init__(f"{problem}: {address!r}" + (f" ({detail})" if detail else ""))
        self.problem = problem
        self.address = address
        self.detail = detail

    def refusal(self) -> dict:
        """This address refused here, before sending, as data (what the outbox keeps
        for the recipient): {"problem": key, "detail": the library's words or ""}."""
        return {"problem": self.problem, "detail": self.detail}


@dataclass(frozen=True)
class EnvelopeAddress:
    original: str
    wire: str  # the local part untouched, the domain in A-labels
    needs_smtputf8: bool


def _domain(domain: str, original: str) -> str:
    if domain.startswith("[") and domain.endswith("]"):  # an address literal
        if not domain.isascii():
            raise AddressError("literal-not-ascii", original)
        return domain
    if domain.isascii():
        return domain
    try:
        return idna.encode(domain, uts46=True).decode("ascii")
    except (idna.IDNAError, UnicodeError) as exc:
        raise AddressError("idna", original, str(exc)) from exc


# Never in an unquoted local part or a domain name (RFC 5321 4.1.2): what a list of
# addresses ("a@x, b@y"), a name with its address ("Bob <b@y>") or a comment carries.
_SPECIALS = frozenset(' \t<>()[],;:\\"@')


def _not_one_mailbox(local: str, domain: str) -> bool:
    """Whether local@domain is more (or other) than one mailbox: given whole to RCPT TO,
    a server such as Postfix took "<a@x, b@y>" for a@x alone, the rest never got it."""
    quoted = len(local) >= 2 and local.startswith('"') and local.endswith('"')
    if not quoted and _SPECIALS & set(local):
        return True
    literal = domain.startswith("[") and domain.endswith("]")
    return not literal and bool(_SPECIALS & set(domain))


def _empty_label(domain: str) -> bool:
    """A domain name with an empty label ("x..org", ".x.org", "x.org."): no mail system
    delivers to it (RFC 5321 4.1.2: Domain = sub-domain *("." sub-domain))."""
    literal = domain.startswith("[") and domain.endswith("]")
    return not literal and "" in domain.replace("\u3002", ".").split(".")


def envelope_address(address: str) -> EnvelopeAddress:
    """The envelope form of `address` (may be "" for the null sender)."""
    address = address.strip()
    if address.startswith("<") and address.endswith(">"):
        address = address[1:-1].strip()
    if not address:
        return EnvelopeAddress("", "", False)
    local, at, domain = address.rpartition("@")
    if not at or not local or not domain:
        raise AddressError("not-an-address", address)
    if any(c in address for c in "\r\n\x00"):
        raise AddressError("line-break", address)
    if _not_one_mailbox(local, domain) or _empty_label(domain):
        raise AddressError("not-an-address", address)
    wire = f"{local}@{_domain(domain, address)}"
    return EnvelopeAddress(address, wire, not local.isascii())


@dataclass
class EnvelopePlan:
    """What one transaction sends: MAIL FROM, the RCPTs, and whether SMTPUTF8 is used."""

    sender: str
    recipients: list[EnvelopeAddress]
    # original -> why it cannot be sent (AddressError.refusal(): a problem key, never retried)
    refused: dict[str, dict] = field(default_factory=dict)
    smtputf8: bool = False


def plan_envelope(
    sender: str, recipients: list[str], *, server_smtputf8: bool, utf8_headers: bool = False
) -> EnvelopePlan:
    """Encode the envelope for a server that does (not) offer SMTPUTF8.

    Raises AddressError when the sender itself cannot be sent; recipients that cannot be
    sent are in `refused`, each with its problem as data (never retried: nothing will
    change; the words are made at the edge, tuimail.words.outbox.refusal).
    SMTPUTF8 is asked for when an address needs it or the header has UTF-8 (RFC 6532),
    and only when the server offers it.
    """
    from_ = envelope_address(sender)
    if from_.needs_smtputf8 and not server_smtputf8:
        raise AddressError("needs-smtputf8", sender)
    plan = EnvelopePlan(from_.wire, [])
    for rcpt in recipients:
        try:
            encoded = envelope_address(rcpt)
        except AddressError as exc:
            plan.refused[rcpt] = exc.refusal()
            continue
        if encoded.needs_smtputf8 and not server_smtputf8:
            plan.refused[rcpt] = AddressError("needs-smtputf8", rcpt).refusal()
            continue
        plan.recipients.append(encoded)
    plan.smtputf8 = server_smtputf8 and (
        utf8_headers or from_.needs_smtputf8 or any(r.needs_smtputf8 for r in plan.recipients)
    )
    return plan
