"""The shipped ISP database: every file is read safely, and the big OAuth providers are
answered with no network at all."""

from __future__ import annotations

from tuimail.core.discovery import ispdb


def test_every_shipped_file_is_indexed_and_usable() -> None:
    domains = ispdb.domains()
    assert len(domains) > 900
    broken = []
    for domain in domains:
        entry = ispdb.lookup(domain)
        try:
            assert entry is not None and entry.candidates(f"me@{domain}")
        except (AssertionError, ValueError) as exc:
            broken.append((domain, exc))
    assert len(broken) < 10, broken  # a handful list only web mail or odd servers


def test_gmail_settings_and_oauth_endpoints() -> None:
    entry = ispdb.lookup("gmail.com")
    servers = {(c.protocol, c.host, c.port, c.security) for c in entry.candidates("me@gmail.com")}
    assert ("imap", "imap.gmail.com", 993, "tls") in servers
    assert ("smtp", "smtp.gmail.com", 465, "tls") in servers
    assert all(c.source == "ispdb" for c in entry.candidates("me@gmail.com"))
    assert entry.oauth2_offered and not entry.oauth2_only  # app passwords still work
    assert entry.oauth2.issuer == "accounts.google.com"
    assert entry.oauth2.token_endpoint.startswith("https://")
    assert entry.oauth2.device_authorization_endpoint == "https://oauth2.googleapis.com/device/code"


def test_outlook_requires_oauth_and_gets_microsofts_endpoints() -> None:
    entry = ispdb.lookup("Outlook.com.")
    assert entry.oauth2_only
    assert entry.oauth2.issuer == "login.microsoftonline.com"
    assert "offline_access" in entry.oauth2.scopes
    assert entry.oauth2.device_authorization_endpoint.endswith("/devicecode")
    assert ispdb.provider("microsoft") == entry.oauth2


def test_unknown_domains_and_names() -> None:
    assert ispdb.lookup("example.test") is None
    assert ispdb.lookup("") is None
    assert ispdb.provider("nobody") is None


def test_the_licence_ships_with_the_data() -> None:
    from importlib import resources

    folder = resources.files("tuimail.data").joinpath("ispdb")
    assert "Mozilla Public License" in folder.joinpath("LICENSE").read_text()
    assert (
        "MPL-2.0" in folder.joinpath("SOURCE.md").read_text()
        or "Mozilla" in folder.joinpath("SOURCE.md").read_text()
    )
