"""What a receiving mail server adds: DKIM signing on submission, and on delivery the
Received trace and Authentication-Results (SPF, DKIM, DMARC) computed for real against
the bundled DNS server's zone (no network).

    signer = DkimSigner("example.test")          # one RSA key per process, selector "test"
    zone |= signer.zone_records()                 # test._domainkey.example.test TXT
    signed = signer.sign(raw)
    results = evaluate(raw, client_ip, mail_from, txt_lookup)   # -> AuthVerdicts
    results.header("smtp.example.test")           # b"Authentication-Results: ..."

The SPF evaluator knows ip4, ip6, a, mx, include, all with qualifiers (enough for test
zones); DMARC uses relaxed alignment on the last two labels.
"""

from __future__ import annotations

import functools
import ipaddress
import re
from collections.abc import Callable
from dataclasses import dataclass, field

import dkim
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

SELECTOR = "test"
SIGNED_HEADERS = [b"from", b"to", b"cc", b"subject", b"date", b"message-id", b"reply-to"]
# name -> TXT strings (None: no such name); name -> A/AAAA/MX answers
TxtLookup = Callable[[str], list[str] | None]
HostLookup = Callable[[str, str], list[str]]


@functools.lru_cache(maxsize=1)
def _key() -> tuple[bytes, str]:
    """(private key PEM, public key base64) made once per process."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    )
    public = key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    import base64

    return private, base64.b64encode(public).decode("ascii")


class DkimSigner:
    """Signs mail for one domain with the process's key and publishes it."""

    def __init__(self, domain: str, selector: str = SELECTOR) -> None:
        self.domain = domain
        self.selector = selector

    @property
    def record_name(self) -> str:
        return f"{self.selector}._domainkey.{self.domain}"

    def record(self) -> str:
        """The TXT value, split in quoted strings of at most 250 characters."""
        text = f"v=DKIM1; k=rsa; p={_key()[1]}"
        return " ".join(f'"{text[i : i + 250]}"' for i in range(0, len(text), 250))

    def zone_records(self) -> dict[str, list[tuple[str, str]]]:
        return {self.record_name: [("TXT", self.record())]}

    def signature(self, raw: bytes) -> bytes:
        """The DKIM-Signature header (with CRLF) for `raw`; `raw` itself is not changed."""
        raw = raw.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
        return dkim.sign(
            raw,
            self.selector.encode(),
            self.domain.encode(),
            _key()[0],
            include_headers=SIGNED_HEADERS,
            linesep=b"\r\n",
        )


@dataclass
class AuthVerdicts:
    spf: str = "none"
    spf_domain: str = ""
    mail_from: str = ""
    dkim: list[tuple[str, str, str]] = field(default_factory=list)  # (d, s, result)
    dmarc: str = "none"
    dmarc_policy: str = ""
    from_domain: str = ""

    def header(self, authserv_id: str) -> bytes:
        parts = [f"spf={self.spf} smtp.mailfrom={self.mail_from or '<>'}"]
        if not self.dkim:
            parts.append("dkim=none (message not signed)")
        for d, s, result in self.dkim:
            comment = " (no key for signature)" if result == "permerror" else ""
            parts.append(f"dkim={result}{comment} header.d={d} header.s={s}")
        dmarc = f"dmarc={self.dmarc}"
        if self.dmarc_policy:
            dmarc += f" (p={self.dmarc_policy}) policy.dmarc={self.dmarc_policy}"
        parts.append(f"{dmarc} header.from={self.from_domain or 'unknown'}")
        value = f"{authserv_id};\r\n\t" + ";\r\n\t".join(parts)
        return f"Authentication-Results: {value}\r\n".encode()


_RESULTS = re.compile(
    rb"^Authentication-Results:[ \t]*([^;\s]+)[^\n]*\n(?:[ \t][^\n]*\n)*",
    re.IGNORECASE | re.MULTILINE,
)


def strip_results(raw: bytes, authserv_id: str) -> bytes:
    """`raw` without Authentication-Results headers naming `authserv_id` (RFC 8601 5: a
    receiving server deletes results that claim to be its own before adding its own)."""
    end = raw.find(b"\r\n\r\n")
    head, rest = (raw, b"") if end < 0 else (raw[: end + 2], raw[end + 2 :])
    wanted = authserv_id.lower().encode()
    kept = _RESULTS.sub(lambda m: b"" if m.group(1).lower() == wanted else m.group(0), head)
    return kept + rest


def _org(domain: str) -> str:
    return ".".join(domain.lower().rstrip(".").rsplit(".", 2)[-2:])


_FROM = re.compile(rb"^From:[ \t]*(.*(?:\r?\n[ \t].*)*)", re.IGNORECASE | re.MULTILINE)
_ADDR = re.compile(rb"[\w.+-]+@([\w.-]+)")


def from_domain(raw: bytes) -> str:
    head = raw.split(b"\r\n\r\n", 1)[0]
    m = _FROM.search(head)
    if not m:
        return ""
    found = _ADDR.findall(m.group(1))
    return found[-1].decode("ascii", "replace").lower() if found else ""


def evaluate(
    raw: bytes, client_ip: str, mail_from: str, txt: TxtLookup, hosts: HostLookup
) -> AuthVerdicts:
    """SPF of the envelope sender, every DKIM signature, DMARC of the From domain."""
    v = AuthVerdicts()
    v.mail_from = mail_from.strip("<>")
    v.spf_domain = v.mail_from.rpartition("@")[2].lower()
    v.spf = spf(client_ip, v.spf_domain, txt, hosts) if v.spf_domain else "none"
    v.dkim = verify_all(raw, txt)
    v.from_domain = from_domain(raw)
    record = _dmarc_record(v.from_domain, txt) if v.from_domain else None
    if record is None:
        v.dmarc = "none"
        return v
    tags = dict(
        (k.strip().lower(), val.strip())
        for k, _, val in (p.partition("=") for p in record.split(";"))
        if k.strip()
    )
    v.dmarc_policy = tags.get("p", "none").lower()
    org = _org(v.from_domain)
    aligned = (v.spf == "pass" and _org(v.spf_domain) == org) or any(
        r == "pass" and _org(d) == org for d, _, r in v.dkim
    )
    v.dmarc = "pass" if aligned else "fail"
    return v


def _dmarc_record(domain: str, txt: TxtLookup) -> str | None:
    for name in dict.fromkeys((domain, _org(domain))):
        for value in txt(f"_dmarc.{name}") or []:
            if value.lower().startswith("v=dmarc1"):
                return value
    return None


def verify_all(raw: bytes, txt: TxtLookup) -> list[tuple[str, str, str]]:
    raw = raw.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
    out = []
    try:
        verifier = dkim.DKIM(raw)
        signatures = [v for n, v in verifier.headers if n.lower() == b"dkim-signature"]
    except Exception:
        return out
    for index, value in enumerate(signatures[:10]):
        tags = dict(
            (k.strip(), b"".join(val.split()))
            for k, _, val in (p.partition(b"=") for p in value.split(b";"))
        )
        d = tags.get(b"d", b"").decode("ascii", "replace")
        s = tags.get(b"s", b"").decode("ascii", "replace")
        if not txt(f"{s}._domainkey.{d}"):
            out.append((d, s, "permerror"))
            continue

        def lookup(name: bytes, timeout: float = 5) -> bytes | None:
            found = txt(name.decode("ascii", "replace").rstrip("."))
            return found[0].encode() if found else None

        try:
            ok = dkim.DKIM(raw).verify(idx=index, dnsfunc=lookup)
        except dkim.ValidationError:  # e.g. the body hash does not match
            ok = False
        except Exception:
            out.append((d, s, "permerror"))
            continue
        out.append((d, s, "pass" if ok else "fail"))
    return out


def spf(ip: str, domain: str, txt: TxtLookup, hosts: HostLookup, depth: int = 0) -> str:
    """pass | fail | softfail | neutral | none | permerror for `ip` sending for `domain`."""
    if depth > 5:
        return "permerror"
    records = [r for r in txt(domain) or [] if r.lower().startswith("v=spf1")]
    if not records:
        return "none"
    if len(records) > 1:
        return "permerror"
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return "permerror"
    results = {"+": "pass", "-": "fail", "~": "softfail", "?": "neutral"}
    for term in records[0].split()[1:]:
        qualifier = "+"
        if term[0] in results:
            qualifier, term = term[0], term[1:]
        name, _, arg = term.partition(":")
        name = name.lower()
        if name == "all":
            return results[qualifier]
        matched = False
        if name in ("ip4", "ip6"):
            try:
                matched = address in ipaddress.ip_network(arg, strict=False)
            except ValueError:
                return "permerror"
        elif name == "a":
            matched = ip in hosts(arg or domain, "A") + hosts(arg or domain, "AAAA")
        elif name == "mx":
            for mx in hosts(arg or domain, "MX"):
                if ip in hosts(mx, "A") + hosts(mx, "AAAA"):
                    matched = True
        elif name == "include":
            matched = spf(ip, arg, txt, hosts, depth + 1) == "pass"
        if matched:
            return results[qualifier]
    return "neutral"


_MARK = b"(tuimail test ESMTP) with "


def without_trace(delivered: bytes) -> bytes:
    """A locally delivered message without the headers the bundled SMTP server put in
    front: the bytes the client sent (tests of exact delivery use it)."""
    at = delivered.find(_MARK)
    if at < 0:
        return delivered
    end = at
    while True:
        end = delivered.find(b"\r\n", end)
        if end < 0 or delivered[end + 2 : end + 3] not in (b" ", b"\t"):
            break
        end += 2
    return delivered if end < 0 else delivered[end + 2 :]
