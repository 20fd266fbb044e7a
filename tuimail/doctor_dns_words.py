"""The doctor's DNS findings in words: what core/doctor/dns_checks found (a finding's
kind and its data: records, names, counts) and what to do about it.

Core hands out data only (CheckResult.data, "finding" and what it names); every sentence
of the DNS report, and its fix, is made here. Untrusted parts (DNS records, names) are
sanitised by the caller (tuimail.doctor_words.seen / fix)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Data = dict[str, Any]

_SPF_EXAMPLE = "'v=spf1 include:<the provider's SPF domain> -all'"
_FIX_ADDRESS = "correct the account's email address"
_PTR_FIX = (
    "only the owner of the address (the provider) can set its PTR record; it "
    "should name the server and that name should resolve back to the address, "
    "or receiving servers that check it may treat the mail as spam"
)


def _dmarc_example(d: Data) -> str:
    return f"'v=DMARC1; p=quarantine; rua=mailto:dmarc-reports@{d.get('domain')}'"


def _mx(d: Data) -> str:
    """'10 mx1.example.org, 20 mx2.example.org'."""
    return ", ".join(f"{pref} {host}" for pref, host in d.get("mx") or ())


def _srv(entries: list[Data]) -> list[str]:
    return [
        f"{e.get('service')}: not offered"
        if not e.get("target")
        else f"{e.get('service')} -> {e.get('target')}:{e.get('port')}"
        for e in entries
    ]


def _mx_ok(d: Data) -> str:
    relation = d.get("relation")
    incoming = d.get("incoming")
    if relation == "same-host":
        said = "the incoming server is one of them"
    elif relation == "same-provider":
        said = f"same provider as the incoming server {incoming}"
    else:
        said = (
            f"the incoming server {incoming} is another machine, which is normal: the MX "
            "receives mail from other servers, the incoming server hands it to you"
        )
    return f"{_mx(d)}; {said}"


def _ptr(d: Data) -> str:
    """Each address: the wrong ones first (no PTR, a name not resolving back), then the
    ones whose name resolves back."""
    host = d.get("host")
    wrong, right = [], []
    for p in d.get("ptr") or ():
        address, name = p.get("address"), p.get("name")
        if p.get("back"):
            right.append(f"{address} -> {name}")
        elif name is None:
            wrong.append(f"{address} (of {host}) has no PTR record")
        else:
            wrong.append(
                f"{address} (of {host}) has the PTR name {name}, which does not "
                f"resolve back to {address}"
            )
    return "; ".join(wrong + right)


# What an optional TXT record (MTA-STS, TLS-RPT) is for, and what it lacks without a tag.
_PURPOSE = {
    "MTA-STS": "it lets other mail servers insist on TLS when delivering to you",
    "TLS-RPT": "it asks other servers to report TLS delivery problems to you",
}
_MISSING = {
    "id": "has no id=, so senders ignore it",
    "rua": "has no rua=, so no report can be sent",
}


def _optional_fix(d: Data) -> str:
    """How to publish the optional record (the ok "not published" line shows it too)."""
    domain = d.get("domain")
    if d.get("txt") == "MTA-STS":
        return (
            f"publish a TXT record at _mta-sts.{domain} ('v=STSv1; id=20250101') and the "
            f"policy file at https://mta-sts.{domain}/.well-known/mta-sts.txt"
        )
    return (
        f"publish a TXT record at _smtp._tls.{domain} such as "
        f"'v=TLSRPTv1; rua=mailto:tls-reports@{domain}'"
    )


def _optional(d: Data) -> str:
    said = f"'{d.get('record')}'"
    if d.get("txt") == "MTA-STS":
        said += " (only DNS was checked, not the policy file)"
    return said


def _dkim_ok(d: Data) -> str:
    size = f"{d.get('bits')}-bit key" if d.get("bits") else "key"
    return f"{size} published at {d.get('at')}"


SEEN: dict[str, Callable[[Data], str]] = {
    "no-domain": lambda d: f"the address {d.get('email')} has no domain part",
    "bad-domain": lambda d: (
        f"{d.get('domain')} (from the address {d.get('email')}) is not a valid domain name"
    ),
    "mx-null": lambda d: (
        f"{d.get('domain')} publishes a null MX (RFC 7505): it accepts no mail at all"
    ),
    "mx-fallback": lambda d: (
        f"{d.get('domain')} has no MX record; senders fall back to the domain's own address "
        f"{d.get('address')}, which many refuse to do"
    ),
    "mx-none": lambda d: (
        f"{d.get('domain')} has no MX record (and no address): mail to this domain "
        "cannot be delivered"
    ),
    "mx-no-address": lambda d: (
        f"MX {_mx(d)}, but no MX host has an address in DNS: mail to this domain "
        "cannot be delivered"
    ),
    "mx-some-unknown": lambda d: (
        f"MX {_mx(d)}; {', '.join(d.get('unknown') or ())} has no address in DNS, so "
        "senders waste time on it before trying the next"
    ),
    "mx": _mx_ok,
    "srv-none": lambda _d: (
        "none published (RFC 6186 records are optional; the settings were found another way)"
    ),
    "srv-elsewhere": lambda d: "; ".join(
        f"{e.get('service')} points at {e.get('target')}:{e.get('port')} but the account "
        f"uses {e.get('host')}:{e.get('configured_port')}"
        for e in d.get("srv") or ()
    ),
    "srv": lambda d: "; ".join(_srv(d.get("srv") or [])) + " (consistent with the account)",
    "spf-none": lambda d: (
        f"{d.get('domain')} has no SPF record: receivers cannot tell which servers may send "
        f"mail as @{d.get('domain')}, so your mail is more likely to be marked as spam"
    ),
    "spf-many": lambda d: (
        f"{len(d.get('records') or ())} SPF records ({' | '.join(d.get('records') or ())}): "
        "receivers treat this as an error and SPF fails for all your mail"
    ),
    "spf-plus-all": lambda d: (
        f"'{d.get('record')}' ends in '+all': anyone may send as you, on any server"
    ),
    "spf-neutral": lambda d: (
        f"'{d.get('record')}' ends in '?all': neutral, it says nothing about other servers"
    ),
    "spf-no-sender": lambda d: (
        f"'{d.get('record')}' lists no server at all: it says nothing may send mail as "
        f"@{d.get('domain')}, so every message you send fails SPF (and is refused or junked "
        "where DMARC applies)"
    ),
    "spf-no-all": lambda d: (
        f"'{d.get('record')}' has no 'all' rule: servers not listed are neutral, not refused"
    ),
    "spf": lambda d: f"'{d.get('record')}'",
    "dmarc-none": lambda d: (
        f"no DMARC record at {d.get('at')}: receivers have no policy for mail that claims "
        "to be from you but fails SPF and DKIM, and large providers expect one"
    ),
    "dmarc-many": lambda d: (
        f"{d.get('count')} DMARC records at {d.get('at')}: receivers ignore them all"
    ),
    "dmarc": lambda d: f"'{d.get('record')}'",
    "dmarc-monitor": lambda d: (
        f"'{d.get('record')}': p=none is monitoring only; mail forged in your name is "
        "delivered as usual"
    ),
    "dmarc-invalid": lambda d: (
        f"'{d.get('record')}' has no valid policy (p= must be none, quarantine or reject)"
    ),
    "dkim-none": lambda d: (
        f"no DKIM key at {d.get('at')}: mail signed with selector '{d.get('selector')}' fails DKIM"
    ),
    "dkim-revoked": lambda d: f"the DKIM key at {d.get('at')} is revoked (empty p=)",
    "dkim-unreadable": lambda d: (
        f"the DKIM key at {d.get('at')} cannot be read (p= is not a public key)"
    ),
    "dkim-weak": lambda d: (
        f"the DKIM key at {d.get('at')} has only {d.get('bits')} bits: receivers ignore it"
    ),
    "dkim": _dkim_ok,
    "optional-none": lambda d: (
        f"not published at {d.get('at')} (optional: {_PURPOSE.get(str(d.get('txt')), '')})"
    ),
    "optional-many": lambda d: (
        f"{d.get('count')} {d.get('version')} records at {d.get('at')}: senders ignore them all"
    ),
    "optional-incomplete": lambda d: (
        f"'{d.get('record')}' {_MISSING.get(str(d.get('missing')), '')}"
    ),
    "optional": _optional,
    "ptr-local": lambda d: (
        f"{d.get('host')} is this computer (RFC 6761): it has no public address whose PTR "
        "receiving servers would check"
    ),
    "ptr-no-address": lambda d: (
        f"the outgoing server {d.get('host')} has no address in DNS, so its PTR cannot be checked"
    ),
    "ptr-wrong": _ptr,
    "ptr": lambda d: _ptr(d) + " (and back)",
}


FIX: dict[str, Callable[[Data], str]] = {
    "no-domain": lambda _d: _FIX_ADDRESS,
    "bad-domain": lambda _d: _FIX_ADDRESS,
    "dns-silent": lambda _d: (
        "the domain's name servers (or the DNS resolver in between) did not answer; "
        "try again later, and if it persists ask whoever runs the domain's DNS"
    ),
    "dns-down": lambda _d: (
        "check the network connection and the DNS settings of this computer "
        "(or the --nameserver given); the servers' host names cannot be found "
        "either while DNS does not answer"
    ),
    "mx-null": lambda d: (
        f"if mail to @{d.get('domain')} should arrive, the domain owner must replace the "
        "null MX with the provider's MX records"
    ),
    "mx-fallback": lambda d: (
        f"publish MX records for {d.get('domain')} pointing at the provider's mail servers "
        "(the provider's setup page lists them)"
    ),
    "mx-none": lambda d: (
        f"the domain owner must publish MX records for {d.get('domain')} pointing at the "
        f"provider's mail servers, e.g. '{d.get('domain')}. MX 10 mx.provider.example.' "
        "(the provider's setup page lists the real names)"
    ),
    "mx-no-address": lambda _d: (
        "the MX records must name hosts that exist (A/AAAA records); ask the domain "
        "owner to correct them to the provider's mail servers"
    ),
    "mx-some-unknown": lambda _d: "remove the MX records that name hosts without an address",
    "srv-elsewhere": lambda _d: (
        "if the provider moved its servers, update the account's settings to the "
        "published ones; otherwise the domain owner should correct the SRV records, "
        "which other mail programs use to find the servers"
    ),
    "spf-none": lambda d: (
        f"publish one TXT record at {d.get('domain')} such as {_SPF_EXAMPLE} (the provider "
        "documents the exact record)"
    ),
    "spf-many": lambda _d: (
        "merge them into a single 'v=spf1 ... -all' TXT record and delete the others"
    ),
    "spf-plus-all": lambda _d: (
        "replace '+all' with '-all' (or '~all') so that only the servers listed "
        "before it may send as this domain"
    ),
    "spf-neutral": lambda _d: (
        "end the record with '-all' (or '~all') once it lists all your real senders"
    ),
    "spf-no-sender": lambda _d: (
        f"list the provider's sending servers before the 'all', e.g. {_SPF_EXAMPLE}; "
        "'v=spf1 -all' alone is only for domains that never send mail"
    ),
    "spf-no-all": lambda _d: "end the record with '-all' (or '~all')",
    "dmarc-none": lambda d: (
        f"publish a TXT record at {d.get('at')} such as {_dmarc_example(d)} (start with "
        "p=none to watch the reports, then tighten it)"
    ),
    "dmarc-many": lambda _d: "keep a single v=DMARC1 record and delete the others",
    "dmarc-monitor": lambda _d: (
        "when the reports show your own mail passes, change to p=quarantine, then p=reject"
    ),
    "dmarc-invalid": lambda d: f"correct the record at {d.get('at')}, e.g. {_dmarc_example(d)}",
    "dkim-none": lambda d: (
        f"publish the public key the provider gives for selector '{d.get('selector')}' as a "
        "TXT record ('v=DKIM1; k=rsa; p=...'); check the selector (it is the s= of "
        "the DKIM-Signature header of a mail you sent)"
    ),
    "dkim-revoked": lambda d: (
        f"publish the current key for selector '{d.get('selector')}', or sign with another one"
    ),
    "dkim-unreadable": lambda _d: (
        "copy the key from the provider again: it is often cut when pasted"
    ),
    "dkim-weak": lambda _d: "create a 2048-bit key and publish it (a new selector avoids a gap)",
    "optional-none": _optional_fix,
    "optional-many": lambda d: f"keep a single {d.get('version')} record and delete the others",
    "optional-incomplete": _optional_fix,
    "ptr-no-address": lambda _d: "check the outgoing server's host name in the account settings",
    "ptr-wrong": lambda _d: _PTR_FIX,
}
