"""Config file: XDG location, schema, round trip, comments kept, malformed files untouched."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tuimail.core.account import Account, ServerSettings
from tuimail.core.config import (
    ConfigError,
    config_path,
    data_dir,
    load_config,
    remove_account,
    save_account,
)

DOCUMENTED = """\
# my mail
[keys]
quit = "ctrl+q"

[accounts.personal]
email = "alice@example.test"
name = "Alice Example"            # optional, for From:
protocol = "imap"                 # "imap" or "pop3"
username = "alice@example.test"   # optional, defaults to email
password_command = "pass show mail/alice"   # optional
ca_file = "/path/to/ca.pem"       # optional extra trust anchor for this account
incoming = { host = "imap.example.test", port = 993, security = "tls" }   # tls | starttls | plain
outgoing = { host = "smtp.example.test", port = 465, security = "tls" }
leave_on_server = true            # pop3 only
delete_after_days = 0             # pop3 only, 0 = never
future_option = "kept"
"""


def _account(name: str = "work", **kw) -> Account:
    return Account(
        name=name,
        email=kw.pop("email", "bob@example.test"),
        incoming=ServerSettings("imap.example.test", 143, "starttls"),
        outgoing=ServerSettings("smtp.example.test", 587, "starttls"),
        **kw,
    )


def test_paths_follow_xdg(isolated_home: Path) -> None:
    assert config_path() == isolated_home / "config" / "tuimail" / "config.toml"
    assert data_dir() == isolated_home / "data" / "tuimail"


def test_documented_schema_loads() -> None:
    path = config_path()
    path.parent.mkdir(parents=True)
    path.write_text(DOCUMENTED)
    config = load_config()
    acc = config.accounts["personal"]
    assert acc.email == "alice@example.test"
    assert acc.display_name == "Alice Example"
    assert acc.protocol == "imap"
    assert acc.password_command == "pass show mail/alice"
    assert acc.ca_file == "/path/to/ca.pem"
    assert acc.incoming == ServerSettings("imap.example.test", 993, "tls")
    assert acc.outgoing == ServerSettings("smtp.example.test", 465, "tls")
    assert acc.extra == {"future_option": "kept"}
    assert config.keys == {"quit": "ctrl+q"}


def test_missing_file_is_empty_config() -> None:
    config = load_config()
    assert config.accounts == {}
    assert not config_path().exists()


def test_round_trip_keeps_comments_and_unknown_keys() -> None:
    path = config_path()
    path.parent.mkdir(parents=True)
    path.write_text(DOCUMENTED)
    save_account(_account("work", display_name="Bob", protocol="pop3", delete_after_days=7))
    text = path.read_text()
    assert "# my mail" in text
    assert "# optional, for From:" in text
    assert 'future_option = "kept"' in text
    config = load_config()
    assert set(config.accounts) == {"personal", "work"}
    work = config.accounts["work"]
    assert work == _account("work", display_name="Bob", protocol="pop3", delete_after_days=7)
    # Update an existing account: its comments on unchanged lines survive.
    personal = config.accounts["personal"]
    personal.outgoing = ServerSettings("smtp.example.test", 587, "starttls", "ab" * 32)
    save_account(personal)
    text = path.read_text()
    assert "# optional, for From:" in text
    again = load_config().accounts["personal"]
    assert again.outgoing.pinned_sha256 == "ab" * 32
    assert again.extra == {"future_option": "kept"}
    assert remove_account("work") is True
    assert remove_account("work") is False
    assert set(load_config().accounts) == {"personal"}
    assert "# my mail" in path.read_text()
    assert oct(path.stat().st_mode & 0o777) == oct(0o600)
    leftovers = [p.name for p in path.parent.iterdir() if p.name != "config.toml"]
    assert leftovers == []


@pytest.mark.parametrize(
    "text, line, words",
    [
        ('[accounts.a]\nemail = "a@b.test"\nincoming = { host = "x", port = 993 \n', 3, ""),
        ('[accounts.a]\nemail = "a@b.test\n', 2, ""),
        ("[accounts.a]\nemail = \n", 2, ""),
    ],
)
def test_malformed_file_names_file_line_problem_and_is_untouched(
    text: str, line: int, words: str
) -> None:
    path = config_path()
    path.parent.mkdir(parents=True)
    path.write_text(text)
    before = path.read_bytes()
    with pytest.raises(ConfigError) as info:
        load_config()
    message = str(info.value)
    assert str(path) in message
    assert f"line {line}" in message
    assert "Traceback" not in message
    with pytest.raises(ConfigError):
        save_account(_account())
    with pytest.raises(ConfigError):
        remove_account("a")
    assert path.read_bytes() == before
    assert os.listdir(path.parent) == ["config.toml"]


@pytest.mark.parametrize(
    "body, problem",
    [
        ('email = "nobody"', "'email' must be an address"),
        (
            'email = "a@b.test"\nincoming = { host = "h", port = 993, security = "ssl" }\n'
            'outgoing = { host = "h", port = 465 }',
            "'incoming.security' must be",
        ),
        (
            'email = "a@b.test"\nincoming = { host = "h", port = 99999 }\n'
            'outgoing = { host = "h", port = 465 }',
            "'incoming.port' must be a number",
        ),
        ('email = "a@b.test"\nincoming = { host = "h" }', "'outgoing' is missing"),
        (
            'email = "a@b.test"\nprotocol = "mapi"\nincoming = { host = "h" }\n'
            'outgoing = { host = "h" }',
            "'protocol' must be",
        ),
    ],
)
def test_invalid_values_are_sentences(body: str, problem: str) -> None:
    path = config_path()
    path.parent.mkdir(parents=True)
    path.write_text(f"[accounts.x]\n{body}\n")
    with pytest.raises(ConfigError) as info:
        load_config()
    assert problem in str(info.value)
    assert str(path) in str(info.value)
    assert "[accounts.x]" in str(info.value)


def test_default_ports_from_security() -> None:
    path = config_path()
    path.parent.mkdir(parents=True)
    path.write_text(
        '[accounts.x]\nemail = "a@b.test"\nprotocol = "pop3"\n'
        'incoming = { host = "h", security = "starttls" }\noutgoing = { host = "h" }\n'
    )
    acc = load_config().accounts["x"]
    assert acc.incoming.port == 110
    assert acc.outgoing.port == 465
