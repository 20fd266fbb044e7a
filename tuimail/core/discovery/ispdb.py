"""The Thunderbird ISP database shipped with tuimail (tuimail/data/ispdb/, MPL-2.0, see
SOURCE.md and LICENSE there): server settings and OAuth 2.0 endpoints for ~160 providers that
publish no autoconfig of their own, answered with no network at all.

    entry = lookup("gmail.com")       # IspdbEntry | None
    entry.candidates(email)           # [Candidate(source="ispdb"), ...]
    entry.oauth2                      # OAuthProvider | None (issuer, scopes, endpoints)

Invariants: the files are read as data (no DTDs or entities, parsed by the same safe reader
as autoconfig); a broken file is skipped, never fatal; lookups are by exact domain.
"""

from __future__ import annotations

import functools
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from importlib import resources

from tuimail.core.discovery import autoconfig
from tuimail.core.discovery.model import Candidate

# Device authorization endpoints the database does not list (RFC 8628; published by each
# provider). Keyed by the database's <issuer>.
DEVICE_ENDPOINTS = {
    "accounts.google.com": "https://oauth2.googleapis.com/device/code",
    "login.microsoftonline.com": (
        "https://login.microsoftonline.com/common/oauth2/v2.0/devicecode"
    ),
}
# Short names users write in `oauth2 = { provider = "..." }`.
PROVIDER_NAMES = {
    "google": "accounts.google.com",
    "gmail": "accounts.google.com",
    "microsoft": "login.microsoftonline.com",
    "outlook": "login.microsoftonline.com",
    "office365": "login.microsoftonline.com",
    "yahoo": "login.yahoo.com",
    "aol": "login.aol.com",
    "yandex": "oauth.yandex.com",
    "mailru": "o2.mail.ru",
}

# Thunderbird keeps some OAuth settings by server host name instead of in the file (as for
# Outlook.com): host suffix -> issuer.
HOST_ISSUERS = {
    "office365.com": "login.microsoftonline.com",
    "outlook.com": "login.microsoftonline.com",
    "gmail.com": "accounts.google.com",
    "googlemail.com": "accounts.google.com",
    "yahoo.com": "login.yahoo.com",
    "aol.com": "login.aol.com",
    "yandex.com": "oauth.yandex.com",
    "yandex.ru": "oauth.yandex.com",
    "mail.ru": "o2.mail.ru",
}


@dataclass(frozen=True)
class OAuthProvider:
    issuer: str
    scopes: tuple[str, ...]
    authorization_endpoint: str | None
    token_endpoint: str
    device_authorization_endpoint: str | None = None


@dataclass(frozen=True)
class IspdbEntry:
    provider_id: str
    display_name: str
    xml: bytes
    auth_methods: dict[str, tuple[str, ...]]  # "imap"/"pop3"/"smtp" -> methods, as listed
    oauth2: OAuthProvider | None

    def candidates(self, email: str) -> list[Candidate]:
        domain = email.rpartition("@")[2].lower()
        return autoconfig.parse(self.xml, email, domain, source="ispdb")

    @property
    def oauth2_only(self) -> bool:
        """Every listed server takes OAuth2 and none a password."""
        methods = [set(m) for m in self.auth_methods.values() if m]
        return bool(methods) and all(
            "OAuth2" in m and not m & {"password-cleartext", "password-encrypted"} for m in methods
        )

    @property
    def oauth2_offered(self) -> bool:
        return any("OAuth2" in m for m in self.auth_methods.values())


def _files():
    return resources.files("tuimail.data").joinpath("ispdb")


@functools.lru_cache(maxsize=1)
def _index() -> dict[str, str]:
    """domain -> file name, from every file's <domain> elements."""
    index: dict[str, str] = {}
    for item in sorted(_files().iterdir(), key=lambda p: p.name):
        if not item.name.endswith(".xml"):
            continue
        try:
            root = _parse(item.read_bytes())
        except ValueError:
            continue
        provider = root.find("emailProvider")
        for domain in provider.findall("domain") if provider is not None else []:
            name = (domain.text or "").strip().lower()
            if name:
                index.setdefault(name, item.name)
    return index


def _parse(xml: bytes) -> ET.Element:
    if b"<!DOCTYPE" in xml[:4096].upper() or b"<!ENTITY" in xml.upper():
        raise ValueError("DTDs and entities are not allowed")
    try:
        return ET.fromstring(xml)
    except ET.ParseError as exc:
        raise ValueError(str(exc)) from None


def domains() -> list[str]:
    return sorted(_index())


@functools.lru_cache(maxsize=256)
def lookup(domain: str) -> IspdbEntry | None:
    name = _index().get(domain.strip().rstrip(".").lower())
    if name is None:
        return None
    xml = _files().joinpath(name).read_bytes()
    try:
        root = _parse(xml)
    except ValueError:
        return None
    provider = root.find("emailProvider")
    if provider is None:
        return None
    methods: dict[str, tuple[str, ...]] = {}
    for server in provider.findall("incomingServer") + provider.findall("outgoingServer"):
        kind = (server.get("type") or "").lower()
        found = tuple((a.text or "").strip() for a in server.findall("authentication"))
        methods[kind] = tuple(dict.fromkeys(methods.get(kind, ()) + found))
    oauth2 = _oauth2(root.find("oAuth2"))
    if oauth2 is None and any("OAuth2" in m for m in methods.values()):
        hosts = [(s.findtext("hostname") or "").strip().lower() for s in provider.iter()
                 if s.tag in ("incomingServer", "outgoingServer")]  # fmt: skip
        issuer = next(
            (i for h in hosts for suffix, i in HOST_ISSUERS.items()
             if h == suffix or h.endswith("." + suffix)),
            None,
        )  # fmt: skip
        oauth2 = provider_by_issuer(issuer) if issuer else None
    return IspdbEntry(
        provider.get("id") or name.removesuffix(".xml"),
        (provider.findtext("displayName") or name).strip(),
        xml,
        methods,
        oauth2,
    )


def _oauth2(block: ET.Element | None) -> OAuthProvider | None:
    if block is None:
        return None
    issuer = (block.findtext("issuer") or "").strip()
    token = (block.findtext("tokenURL") or "").strip()
    if not issuer or not token.startswith("https://"):
        return None
    auth = (block.findtext("authURL") or "").strip() or None
    return OAuthProvider(
        issuer,
        tuple((block.findtext("scope") or "").split()),
        auth if auth and auth.startswith("https://") else None,
        token,
        DEVICE_ENDPOINTS.get(issuer),
    )


def oauth2_from_xml(xml: bytes) -> OAuthProvider | None:
    """The `<oAuth2>` block of an autoconfig document (the ISPDB's own format), if any."""
    try:
        return _oauth2(_parse(xml).find("oAuth2"))
    except ValueError:
        return None


def short_name(issuer: str) -> str | None:
    """The name users write in `oauth2 = { provider = ... }` for an issuer, if any."""
    return next((name for name, i in PROVIDER_NAMES.items() if i == issuer), None)


def provider(name: str) -> OAuthProvider | None:
    """The OAuth endpoints for a short name ("google", "microsoft") or an issuer."""
    return provider_by_issuer(PROVIDER_NAMES.get(name.lower(), name.lower()))


@functools.lru_cache(maxsize=32)
def provider_by_issuer(issuer: str) -> OAuthProvider | None:
    for item in sorted(_files().iterdir(), key=lambda p: p.name):
        if not item.name.endswith(".xml"):
            continue
        try:
            block = _parse(item.read_bytes()).find("oAuth2")
        except ValueError:
            continue
        found = _oauth2(block)
        if found is not None and found.issuer == issuer:
            return found
    return None
