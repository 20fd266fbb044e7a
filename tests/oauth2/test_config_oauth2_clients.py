"""[oauth2_clients.PROVIDER]: one client id for every account of a provider; the account's
own client id wins; bad tables are sentences with their line."""

from __future__ import annotations

import re

import pytest

from tuimail.core.account import Account, ServerSettings
from tuimail.core.config import ConfigError, config_path, load_config, save_account
from tuimail.core.oauth2.tokens import endpoints
from tuimail.words.config import config_words

ACCOUNT = (
    '[accounts.w]\nemail = "me@company.test"\nincoming = { host = "h" }\n'
    'outgoing = { host = "h" }\nauth = "oauth2"\n'
)


def _write(text: str):
    path = config_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def _load(clients: str, oauth2: str):
    _write(clients + ACCOUNT + oauth2)
    return load_config().accounts["w"]


def test_the_provider_table_gives_the_client_id_and_secret() -> None:
    acc = _load(
        '[oauth2_clients.microsoft]\nclient_id = "prov-id"\nclient_secret = "prov-secret"\n',
        'oauth2 = { provider = "microsoft" }\n',
    )
    ep = endpoints(acc)
    assert ep.client_id == "prov-id" and ep.client_secret.reveal() == "prov-secret"
    assert ep.token_endpoint.startswith("https://login.microsoftonline.com/")
    assert acc.oauth2 == {"provider": "microsoft"}  # nothing copied into the account


def test_another_name_of_the_same_provider_finds_the_table() -> None:
    acc = _load(
        '[oauth2_clients.outlook]\nclient_id = "o"\n', 'oauth2 = { provider = "office365" }\n'
    )
    assert endpoints(acc).client_id == "o"


def test_a_table_named_by_issuer_serves_explicit_endpoints() -> None:
    acc = _load(
        '[oauth2_clients."https://id.test/"]\nclient_id = "by-issuer"\n',
        'oauth2 = { issuer = "https://id.test", token_endpoint = "https://id.test/token" }\n',
    )
    assert endpoints(acc).client_id == "by-issuer"


def test_the_accounts_own_client_id_wins_with_its_own_secret() -> None:
    acc = _load(
        '[oauth2_clients.google]\nclient_id = "prov"\nclient_secret = "prov-secret"\n',
        'oauth2 = { provider = "google", client_id = "mine" }\n',
    )
    ep = endpoints(acc)
    assert ep.client_id == "mine" and ep.client_secret is None


def test_another_providers_table_does_not_count() -> None:
    with pytest.raises(ConfigError) as info:
        _load('[oauth2_clients.google]\nclient_id = "g"\n', 'oauth2 = { provider = "microsoft" }\n')
    words = config_words(info.value)
    assert re.search(r"line 8: .*needs a client_id.*\[oauth2_clients", words), words


@pytest.mark.parametrize(
    "clients, words",
    [
        ("[oauth2_clients.microsoft]\nclient_id = 5\n", r"line 2: .*'client_id' must be a quoted"),
        ('[oauth2_clients.microsoft]\nclientid = "x"\n', r"line 2: .*unknown key 'clientid'"),
        ('[oauth2_clients.microsoft]\nclient_id = ""\n', r"line 2: .*'client_id' must be the"),
        ('[oauth2_clients.microsoft]\nclient_secret = "s"\n', r"line 1: .*'client_id' must be"),
        (
            '[oauth2_clients.microsoft]\nclient_id = "a"\n[oauth2_clients.outlook]\nclient_id = "b"\n',
            r"line 3: \[oauth2_clients.outlook\] names the same provider as "
            r"\[oauth2_clients.microsoft\]",
        ),
        ("oauth2_clients = 3\n", r"line 1: .*'oauth2_clients' must be"),
        ('oauth2_clients = { microsoft = "id" }\n', r"line 1: .*must be a table with client_id"),
    ],
)
def test_bad_provider_tables_are_sentences_with_their_line(clients: str, words: str) -> None:
    _write(clients + ACCOUNT + 'oauth2 = { provider = "microsoft", client_id = "c" }\n')
    with pytest.raises(ConfigError) as info:
        load_config()
    assert re.search(words, config_words(info.value)), config_words(info.value)


def test_a_secret_without_its_client_id_in_the_account_is_an_error() -> None:
    with pytest.raises(ConfigError) as info:
        _load("", 'oauth2 = { provider = "google", client_secret = "s" }\n')
    words = config_words(info.value)
    assert re.search(r"line 6: .*client_secret' belongs to a client_id", words), words


def test_saving_an_account_keeps_the_client_id_in_the_provider_table() -> None:
    path = _write('[oauth2_clients.microsoft]\nclient_id = "prov"\n')
    account = Account(
        name="n", email="me@outlook.test", incoming=ServerSettings("h", 993, "tls"),
        outgoing=ServerSettings("h", 465, "tls"), auth="oauth2",
        oauth2={"provider": "microsoft"},
    )  # fmt: skip
    save_account(account, path)
    text = path.read_text()
    assert text.count("client_id") == 1
    assert endpoints(load_config().accounts["n"]).client_id == "prov"
