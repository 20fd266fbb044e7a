"""auth = "oauth2" in config.toml: the fixed key names, checked together, round-tripped."""

from __future__ import annotations

from pathlib import Path

import pytest

from tuimail.core.account import Account, ServerSettings
from tuimail.core.config import ConfigError, config_path, load_config, save_account
from tuimail.words.config import config_words

ACCOUNT = '[accounts.w]\nemail = "me@company.test"\nincoming = { host = "h" }\noutgoing = { host = "h" }\n'


def _load(extra: str):
    path = config_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(ACCOUNT + extra)
    return load_config().accounts["w"]


def test_provider_and_client_id() -> None:
    acc = _load('auth = "oauth2"\noauth2 = { provider = "microsoft", client_id = "abc" }\n')
    assert acc.auth == "oauth2"
    assert acc.oauth2 == {"provider": "microsoft", "client_id": "abc"}
    assert acc.oauth2_token_store == "keyring" and acc.oauth2_token_command is None


def test_explicit_endpoints_as_a_sub_table_and_file_store() -> None:
    acc = _load(
        'auth = "oauth2"\noauth2_token_store = "file"\n[accounts.w.oauth2]\n'
        'client_id = "c"\nclient_secret = "s"\nissuer = "https://id.test"\n'
        'token_endpoint = "https://id.test/token"\n'
        'authorization_endpoint = "https://id.test/authorize"\n'
        'device_authorization_endpoint = "https://id.test/device"\n'
        'introspection_endpoint = "https://id.test/introspect"\nscopes = ["mail", "offline"]\n'
    )
    assert acc.oauth2["scopes"] == ["mail", "offline"] and acc.oauth2_token_store == "file"


def test_a_token_command_alone_is_enough() -> None:
    acc = _load('auth = "oauth2"\noauth2_token_command = "oama access me@company.test"\n')
    assert acc.oauth2 is None and acc.oauth2_token_command.startswith("oama")


@pytest.mark.parametrize(
    "extra, words",
    [
        ('auth = "oauth"\n', '\'auth\' must be "password" or "oauth2"'),
        ('auth = "oauth2"\n', "needs an 'oauth2' table"),
        ('oauth2 = { provider = "google", client_id = "c" }\n', 'only used with auth = "oauth2"'),
        ('auth = "oauth2"\noauth2 = { provider = "google" }\n', "needs a client_id"),
        ('auth = "oauth2"\noauth2 = { provider = "nope", client_id = "c" }\n', "not a provider"),
        ('auth = "oauth2"\noauth2 = { client_id = "c" }\n', "needs a provider or a token_endpoint"),
        (
            'auth = "oauth2"\noauth2 = { client_id = "c", token_endpoint = "http://x/t" }\n',
            "must be an https:// address",
        ),
        (
            'auth = "oauth2"\noauth2 = { provider = "google", client_id = "c", clientid = "d" }\n',
            "did you mean client_id?",
        ),
        (
            'auth = "oauth2"\noauth2 = { provider = "google", client_id = "c", scopes = "x" }\n',
            "'oauth2.scopes' must be a list",
        ),  # fmt: skip
        (
            'auth = "oauth2"\noauth2_token_command = "x"\noauth2_token_store = "disk"\n',
            "'oauth2_token_store' must be",
        ),  # fmt: skip
        (
            'auth = "oauth2"\noauth2_token_command = "x"\npassword_command = "y"\n',
            "use oauth2_token_command",
        ),  # fmt: skip
    ],
)
def test_mistakes_are_sentences_with_the_line(extra: str, words: str) -> None:
    with pytest.raises(ConfigError) as info:
        _load(extra)
    assert words in config_words(info.value)
    assert config_words(info.value).startswith(str(config_path()))


def test_save_writes_the_oauth2_keys_back(isolated_home: Path) -> None:
    account = Account(
        name="w",
        email="me@outlook.test",
        incoming=ServerSettings("outlook.office365.com", 993, "tls"),
        outgoing=ServerSettings("smtp.office365.com", 587, "starttls"),
        auth="oauth2",
        oauth2={"provider": "microsoft", "client_id": "abc"},
        oauth2_token_store="file",
    )
    save_account(account)
    text = config_path().read_text()
    assert 'auth = "oauth2"' in text and 'client_id = "abc"' in text
    again = load_config().accounts["w"]
    assert (again.auth, again.oauth2, again.oauth2_token_store) == (
        "oauth2",
        {"provider": "microsoft", "client_id": "abc"},
        "file",
    )
