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
from tuimail.words.config import config_words

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
aliases = ["alice@work.example.test"]
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
    assert acc.extra == {"aliases": ["alice@work.example.test"]}
    assert config.keys == {"quit": "ctrl+q"}


def test_missing_file_is_empty_config() -> None:
    config = load_config()
    assert config.accounts == {}
    assert not config_path().exists()


def test_round_trip_keeps_comments_and_extra_keys() -> None:
    path = config_path()
    path.parent.mkdir(parents=True)
    path.write_text(DOCUMENTED)
    save_account(_account("work", display_name="Bob", protocol="pop3", delete_after_days=7))
    text = path.read_text()
    assert "# my mail" in text
    assert "# optional, for From:" in text
    assert 'aliases = ["alice@work.example.test"]' in text
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
    assert again.extra == {"aliases": ["alice@work.example.test"]}
    assert remove_account("work") is True
    assert remove_account("work") is False
    assert set(load_config().accounts) == {"personal"}
    assert "# my mail" in path.read_text()
    assert oct(path.stat().st_mode & 0o777) == oct(0o600)
    leftovers = [p.name for p in path.parent.iterdir() if p.name != "config.toml"]
    assert leftovers == []


def test_an_account_with_true_false_settings_is_saved_again() -> None:
    """tomlkit gives a saved true/false back as a plain bool: saving such an account a
    second time (a POP3 account's new server key trusted in Diagnose, the wizard) failed
    with "'bool' object has no attribute 'unwrap'", and nothing was saved."""
    save_account(_account("work", protocol="pop3", download_bodies=True))
    work = load_config().accounts["work"]
    work.incoming = ServerSettings("pop.example.test", 995, "tls", "cd" * 32)
    work.leave_on_server = False
    save_account(work)
    again = load_config().accounts["work"]
    assert again.incoming.pinned_sha256 == "cd" * 32
    assert again.leave_on_server is False and again.download_bodies is True


@pytest.mark.parametrize(
    "text, line, words",
    [
        ('[accounts.a]\nemail = "a@b.test"\nincoming = { host = "x", port = 993 \n', 3, ""),
        ('[accounts.a]\nemail = "a@b.test\n', 2, ""),
        ("[accounts.a]\nemail = \n", 2, ""),
        (
            '[accounts.a]\nemail = "a@b.test"\nemail = "c@d.test"\n',
            3,
            'key "email" already exists.',
        ),
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
    message = config_words(info.value)
    assert str(path) in message
    assert f"line {line}" in message
    assert words in message and not message.endswith("..")
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
    assert problem in config_words(info.value)
    assert str(path) in config_words(info.value)
    assert "[accounts.x]" in config_words(info.value)


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


def _write(text: str) -> Path:
    path = config_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


ACCOUNT = '[accounts.x]\nemail = "a@b.test"\nincoming = { host = "h" }\noutgoing = { host = "h" }\n'


@pytest.mark.parametrize(
    "text, line, words",
    [
        (ACCOUNT + 'pasword_command = "pass x"\n', 5, "did you mean password_command?"),
        (ACCOUNT + "save_sent_cpy = false\n", 5, "did you mean save_sent_copy?"),
        ("bel = true\n" + ACCOUNT, 1, "did you mean bell?"),
        ('[ui]\ncolums = ["from"]\n', 2, "did you mean columns?"),
        (
            '[accounts.x]\nemail = "a@b.test"\nincoming = { hots = "h" }\n'
            'outgoing = { host = "h" }\n',
            3,
            "did you mean host?",
        ),
        (
            '[accounts.x]\nemail = "a@b.test"\noutgoing = { host = "h" }\n'
            '[accounts.x.incoming]\nhost = "h"\npinned_sha265 = "00"\n',
            6,
            "did you mean pinned_sha256?",
        ),
        (ACCOUNT + "completely_new_thing = 1\n", 5, "unknown key 'completely_new_thing'"),
    ],
)
def test_unknown_keys_are_errors_with_file_line_and_suggestion(
    text: str, line: int, words: str
) -> None:
    path = _write(text)
    with pytest.raises(ConfigError) as info:
        load_config()
    message = config_words(info.value)
    assert message.startswith(f"{path}, line {line}: ")
    assert words in message


@pytest.mark.parametrize(
    "extra, line, words",
    [
        ('timeout = "10"\n', 5, "'timeout' must be a number"),
        ('aliases = "a@b.test"\n', 5, "'aliases' must be a list of quoted strings"),
        ("use_condstore = 1\n", 5, "'use_condstore' must be true or false"),
        ("idle_renew_seconds = 1.5\n", 5, "'idle_renew_seconds' must be a whole number"),
        ("sent_retention_days = -1\n", 5, "'sent_retention_days' cannot be negative"),
        ("timeout = 0\n", 5, "'timeout' must be more than 0 and at most 3600"),
        ("timeout = 86400\n", 5, "'timeout' must be more than 0 and at most 3600"),
        ("poll_interval = 0\n", 5, "'poll_interval' must be at least 1"),
    ],
)
def test_wrong_types_name_the_line(extra: str, line: int, words: str) -> None:
    path = _write(ACCOUNT + extra)
    with pytest.raises(ConfigError) as info:
        load_config()
    assert config_words(info.value).startswith(f"{path}, line {line}: in [accounts.x]")
    assert words in config_words(info.value)


def test_every_documented_key_loads() -> None:
    _write(
        'bell = true\n[ui]\ncolumns = ["from", "subject"]\nmark_read_delay = 2\n'
        + ACCOUNT
        + 'signature = "-- \\nA"\nsave_sent_copy = false\ndownload_bodies = true\n'
        "use_condstore = false\nuse_qresync = false\nidle_renew_seconds = 600\n"
        'timeout = 12.5\naliases = ["b@b.test"]\ndkim_selector = "s1"\n'
        "sent_retention_days = 7\n"
    )
    config = load_config()
    acc = config.accounts["x"]
    assert (acc.save_sent_copy, acc.download_bodies, acc.use_condstore) == (False, True, False)
    assert acc.idle_renew_seconds == 600 and acc.sent_retention_days == 7
    assert acc.extra == {"timeout": 12.5, "aliases": ["b@b.test"], "dkim_selector": "s1"}
    assert config.settings["ui"] == {"columns": ["from", "subject"], "mark_read_delay": 2}


def test_docs_config_md_documents_exactly_the_known_keys() -> None:
    """docs/config.md is the one place every key is documented, with default and example."""
    import re

    from tuimail.core import config as cfg

    doc = (Path(__file__).resolve().parents[2] / "docs" / "config.md").read_text()
    documented = set(re.findall(r"^#### `([a-z0-9_]+)`", doc, re.M))
    known = set(cfg.TOP_KEYS) | set(cfg.UI_KEYS) | set(cfg.ACCOUNT_KEYS) | set(cfg.SERVER_KEYS)
    known |= set(cfg.OAUTH2_KEYS)
    assert documented == known
    for section in re.split(r"^#### ", doc, flags=re.M)[1:]:
        has_default = "Default:" in section or "Required; no default." in section
        assert has_default and "```toml" in section, section[:60]
