"""A configuration file that cannot be used is a ConfigError with a problem and data
(tuimail.core.config); its sentence is made at the edge (tuimail.words.config). Each
problem: the typed data, and the exact words the user reads (the same as when core wrote
them); through the CLI and the app's start: one sentence, exit status 2, no traceback."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.sending.helpers import tuimail
from tuimail.__main__ import main
from tuimail.cli.exits import EXIT_USAGE
from tuimail.core.config import (
    CONFIG_PROBLEMS,
    ConfigError,
    account_from_dict,
    config_path,
    load_config,
    oauth2_clients,
)
from tuimail.words.config import config_words
from tuimail.words.describe import describe

_SERVERS = (
    'incoming = { host = "imap.example.org", port = 993, security = "tls" }\n'
    'outgoing = { host = "smtp.example.org", port = 465, security = "tls" }\n'
)


def acc(extra: str = "", incoming: str | None = None, outgoing: str | None = None) -> str:
    """An [accounts.a] section with `extra` lines before its servers (either replaced)."""
    inc, out = _SERVERS.splitlines(keepends=True)
    inc = inc if incoming is None else incoming
    out = out if outgoing is None else outgoing
    return '[accounts.a]\nemail = "a@example.org"\n' + extra + inc + out


OAUTH2 = 'auth = "oauth2"\n'

# (id, the file, problem, data (beyond the path), the words: "{path}" is the file's)
CASES = [
    (
        "not-utf8",
        b"x = '\xff'\n",
        "not-utf8",
        {"detail": "invalid start byte"},
        "{path}: the file is not valid UTF-8 (invalid start byte).",
    ),
    (
        "toml-syntax",
        "x = = 1\n",
        "syntax",
        {"line": 1, "column": 5},  # the second '=', counted from 1 as editors do
        "{path}, line 1, column 5: unexpected character: '='.",
    ),
    (
        "toml-syntax-eof",
        'x = "abc\n',
        "syntax",
        {"line": 1, "column": 9},
        "{path}, line 1, column 9: control characters (codes less than 0x1f and 0x7f) are not allowed in strings, use \\u000a instead.",
    ),
    (
        "accounts-not-table",
        "accounts = 3\n",
        "wrong-type",
        {"line": 1, "section": (), "key": "accounts", "expected": "table"},
        "{path}, line 1: in the top level, 'accounts' must be a table.",
    ),
    (
        "keys-not-table",
        "keys = 3\n",
        "wrong-type",
        {"line": 1, "section": (), "key": "keys", "expected": "table"},
        "{path}, line 1: in the top level, 'keys' must be a table.",
    ),
    (
        "key-binding",
        "[keys]\nquit = 3\n",
        "key-binding",
        {"line": 2, "section": ("keys",), "key": "quit"},
        '{path}, line 2: in [keys], \'quit\' must be a quoted key name like "ctrl+r" (several: "r,ctrl+r").',
    ),
    (
        "unknown-top-key",
        "bel = true\n",
        "unknown-key",
        {"line": 1, "section": (), "key": "bel", "guess": "bell"},
        "{path}, line 1: in the top level, unknown key 'bel' (did you mean bell?). docs/config.md lists every key.",
    ),
    (
        "wrong-type-top",
        "bell = 3\n",
        "wrong-type",
        {"line": 1, "section": (), "key": "bell", "expected": "bool"},
        "{path}, line 1: in the top level, 'bell' must be true or false.",
    ),
    (
        "unknown-ui-key",
        "[ui]\ncolumn = 3\n",
        "unknown-key",
        {"line": 2, "section": ("ui",), "key": "column", "guess": "columns"},
        "{path}, line 2: in [ui], unknown key 'column' (did you mean columns?). docs/config.md lists every key.",
    ),
    (
        "notify-choice",
        'notify = "loud"\n',
        "choice",
        {
            "line": 1,
            "key": "notify",
            "value": "loud",
            "choices": ("auto", "osc9", "osc777", "bell", "off"),
        },
        '{path}, line 1: \'notify\' must be one of "auto", "osc9", "osc777", "bell", "off", not \'loud\'.',
    ),
    (
        "clients-not-table",
        "oauth2_clients = 3\n",
        "wrong-type",
        {"line": 1, "section": (), "key": "oauth2_clients", "expected": "table"},
        "{path}, line 1: in the top level, 'oauth2_clients' must be a table.",
    ),
    (
        "client-not-table",
        "[oauth2_clients]\nmicrosoft = 3\n",
        "client-not-table",
        {"line": None, "section": ("oauth2_clients", "microsoft")},
        "{path}: [oauth2_clients.microsoft] must be a table with client_id (and client_secret).",
    ),
    (
        "client-unknown-key",
        '[oauth2_clients.microsoft]\nclient_id = "x"\nsecret = "y"\n',
        "unknown-key",
        {
            "line": 3,
            "section": ("oauth2_clients", "microsoft"),
            "key": "secret",
            "guess": "client_secret",
        },
        "{path}, line 3: in [oauth2_clients.microsoft], unknown key 'secret' (did you mean client_secret?). docs/config.md lists every key.",
    ),
    (
        "client-id-missing",
        '[oauth2_clients.microsoft]\nclient_secret = "y"\n',
        "client-id-missing",
        {"line": 1, "section": ("oauth2_clients", "microsoft")},
        "{path}, line 1: in [oauth2_clients.microsoft], 'client_id' must be the client id you registered with the provider (docs/config.md says how).",
    ),
    (
        "client-duplicate",
        '[oauth2_clients.microsoft]\nclient_id = "x"\n[oauth2_clients.outlook]\nclient_id = "y"\n',
        "client-duplicate",
        {"line": 3, "section": ("oauth2_clients", "outlook"), "other": "microsoft"},
        "{path}, line 3: [oauth2_clients.outlook] names the same provider as [oauth2_clients.microsoft]; keep one of them.",
    ),
    (
        "account-not-table",
        "[accounts]\na = 3\n",
        "account-not-table",
        {"line": None, "section": ("accounts", "a")},
        "{path}: in [accounts.a], the account must be a table.",
    ),
    (
        "account-unknown-key",
        acc('pasword_command = "x"\n'),
        "unknown-key",
        {
            "line": 3,
            "section": ("accounts", "a"),
            "key": "pasword_command",
            "guess": "password_command",
        },
        "{path}, line 3: in [accounts.a], unknown key 'pasword_command' (did you mean password_command?). docs/config.md lists every key.",
    ),
    (
        "account-wrong-type",
        acc('leave_on_server = "yes"\n'),
        "wrong-type",
        {"line": 3, "section": ("accounts", "a"), "key": "leave_on_server", "expected": "bool"},
        "{path}, line 3: in [accounts.a], 'leave_on_server' must be true or false.",
    ),
    (
        "account-int",
        acc("poll_interval = 1.5\n"),
        "wrong-type",
        {
            "line": 3,
            "section": ("accounts", "a"),
            "key": "poll_interval",
            "expected": "whole-number",
        },
        "{path}, line 3: in [accounts.a], 'poll_interval' must be a whole number.",
    ),
    (
        "account-number",
        acc('timeout = "x"\n'),
        "wrong-type",
        {"line": 3, "section": ("accounts", "a"), "key": "timeout", "expected": "number"},
        "{path}, line 3: in [accounts.a], 'timeout' must be a number.",
    ),
    (
        "account-list",
        acc("aliases = [1]\n"),
        "wrong-type",
        {"line": 3, "section": ("accounts", "a"), "key": "aliases", "expected": "strings"},
        "{path}, line 3: in [accounts.a], 'aliases' must be a list of quoted strings, like [\"a@example.org\"].",
    ),
    (
        "email",
        '[accounts.a]\nemail = "nobody"\n',
        "email",
        {"line": 2, "section": ("accounts", "a"), "key": "email"},
        "{path}, line 2: in [accounts.a], 'email' must be an address like alice@example.org.",
    ),
    (
        "protocol",
        acc('protocol = "smtp"\n'),
        "choice",
        {
            "line": 3,
            "section": ("accounts", "a"),
            "key": "protocol",
            "value": "smtp",
            "choices": ("imap", "pop3"),
        },
        "{path}, line 3: in [accounts.a], 'protocol' must be \"imap\" or \"pop3\", not 'smtp'.",
    ),
    (
        "negative",
        acc("delete_after_days = -1\n"),
        "negative",
        {"line": 3, "section": ("accounts", "a"), "key": "delete_after_days"},
        "{path}, line 3: in [accounts.a], 'delete_after_days' cannot be negative.",
    ),
    (
        "at-least-1",
        acc("poll_interval = 0\n"),
        "at-least",
        {"line": 3, "section": ("accounts", "a"), "key": "poll_interval", "minimum": 1},
        "{path}, line 3: in [accounts.a], 'poll_interval' must be at least 1 (seconds).",
    ),
    (
        "timeout-range",
        acc("timeout = 0\n"),
        "timeout-range",
        {"line": 3, "section": ("accounts", "a"), "key": "timeout", "maximum": 3600},
        "{path}, line 3: in [accounts.a], 'timeout' must be more than 0 and at most 3600 (seconds).",
    ),
    (
        "oauth2-no-client",
        acc(OAUTH2 + 'oauth2 = { provider = "microsoft" }\n'),
        "oauth2-no-client",
        {"line": 4, "section": ("accounts", "a"), "key": "oauth2"},
        "{path}, line 4: in [accounts.a], 'oauth2' needs a client_id: in this table, or for every account of the provider in a [oauth2_clients.PROVIDER] table (register one with the provider: docs/config.md says how).",
    ),
    (
        "identities-not-list",
        acc("identities = 3\n"),
        "identities-not-list",
        {"line": 3, "section": ("accounts", "a"), "key": "identities"},
        '{path}, line 3: in [accounts.a], \'identities\' must be a list, like identities = [{ email = "me@example.org", name = "Me" }].',
    ),
    (
        "identity-not-table",
        acc("identities = [3]\n"),
        "identity-not-table",
        {"line": 3, "section": ("accounts", "a"), "number": 1},
        '{path}, line 3: in [accounts.a], identity 1 must be a table, like identities = [{ email = "me@example.org", name = "Me" }].',
    ),
    (
        "identity-unknown-key",
        acc('identities = [{ email = "b@example.org", nam = "B" }]\n'),
        "identity-unknown-key",
        {"line": 3, "section": ("accounts", "a"), "number": 1, "key": "nam", "guess": "name"},
        "{path}, line 3: in [accounts.a], identity 1 has an unknown key 'nam' (did you mean name?); its keys are email, name and signature.",
    ),
    (
        "identity-not-string",
        acc('identities = [{ email = "b@example.org", name = 3 }]\n'),
        "identity-not-string",
        {"line": 3, "section": ("accounts", "a"), "number": 1, "key": "name"},
        "{path}, line 3: in [accounts.a], identity 1: 'name' must be a quoted string.",
    ),
    (
        "identity-email",
        acc('identities = [{ name = "B" }]\n'),
        "identity-email",
        {"line": 3, "section": ("accounts", "a"), "number": 1},
        "{path}, line 3: in [accounts.a], identity 1 needs an 'email' address like alice@example.org.",
    ),
    (
        "auth",
        acc('auth = "kerberos"\n'),
        "choice",
        {
            "line": 3,
            "section": ("accounts", "a"),
            "key": "auth",
            "value": "kerberos",
            "choices": ("password", "oauth2"),
        },
        "{path}, line 3: in [accounts.a], 'auth' must be \"password\" or \"oauth2\", not 'kerberos'.",
    ),
    (
        "token-store",
        acc('oauth2_token_store = "disk"\n'),
        "choice",
        {
            "line": 3,
            "section": ("accounts", "a"),
            "key": "oauth2_token_store",
            "value": "disk",
            "choices": ("keyring", "file"),
        },
        "{path}, line 3: in [accounts.a], 'oauth2_token_store' must be \"keyring\" or \"file\", not 'disk'.",
    ),
    (
        "oauth2-only",
        acc('oauth2_token_command = "x"\n'),
        "oauth2-only",
        {"line": 3, "section": ("accounts", "a"), "key": "oauth2_token_command"},
        "{path}, line 3: in [accounts.a], 'oauth2_token_command' is only used with auth = \"oauth2\" (add that line, or remove this one).",
    ),
    (
        "password-with-oauth2",
        acc(OAUTH2 + 'password_command = "x"\noauth2_token_command = "y"\n'),
        "password-with-oauth2",
        {"line": 4, "section": ("accounts", "a")},
        "{path}, line 4: in [accounts.a], 'password_command' is not used with auth = \"oauth2\" (for a command that prints a token, use oauth2_token_command).",
    ),
    (
        "oauth2-table-needed",
        acc(OAUTH2),
        "oauth2-table-needed",
        {"line": 3, "section": ("accounts", "a")},
        '{path}, line 3: in [accounts.a], auth = "oauth2" needs an \'oauth2\' table, like oauth2 = { provider = "microsoft", client_id = "..." } (or oauth2_token_command).',
    ),
    (
        "oauth2-unknown-key",
        acc(OAUTH2 + 'oauth2 = { provider = "microsoft", client_id = "x", scope = "y" }\n'),
        "unknown-key",
        {
            "line": 4,
            "section": ("accounts", "a"),
            "key": "scope",
            "guess": "scopes",
            "inside": "oauth2",
        },
        "{path}, line 4: in [accounts.a], 'oauth2' has an unknown key 'scope' (did you mean scopes?); docs/config.md lists its keys.",
    ),
    (
        "oauth2-wrong-type",
        acc(OAUTH2 + 'oauth2 = { provider = "microsoft", client_id = 3 }\n'),
        "wrong-type",
        {
            "line": 4,
            "section": ("accounts", "a"),
            "key": "client_id",
            "expected": "string",
            "inside": "oauth2",
        },
        "{path}, line 4: in [accounts.a], 'oauth2.client_id' must be a quoted string.",
    ),
    (
        "oauth2-endpoint",
        acc(OAUTH2 + 'oauth2 = { client_id = "x", token_endpoint = "http://x" }\n'),
        "oauth2-endpoint",
        {"line": 4, "section": ("accounts", "a"), "key": "token_endpoint", "inside": "oauth2"},
        "{path}, line 4: in [accounts.a], 'oauth2.token_endpoint' must be an https:// address.",
    ),
    (
        "oauth2-secret",
        acc(OAUTH2 + 'oauth2 = { provider = "microsoft", client_secret = "x" }\n'),
        "oauth2-secret",
        {"line": 4, "section": ("accounts", "a")},
        "{path}, line 4: in [accounts.a], 'oauth2.client_secret' belongs to a client_id in the same table (a provider-wide secret goes in [oauth2_clients.PROVIDER]).",
    ),
    (
        "oauth2-provider",
        acc(OAUTH2 + 'oauth2 = { provider = "nope", client_id = "x" }\n'),
        "oauth2-provider",
        {"line": 4, "section": ("accounts", "a"), "value": "nope"},
        '{path}, line 4: in [accounts.a], \'oauth2.provider\' \'nope\' is not a provider tuimail knows (known: "google", "microsoft", "yahoo", "aol", "yandex", "mailru"); give token_endpoint and the other endpoints instead.',
    ),
    (
        "oauth2-no-endpoint",
        acc(OAUTH2 + 'oauth2 = { client_id = "x" }\n'),
        "oauth2-no-endpoint",
        {"line": 4, "section": ("accounts", "a")},
        "{path}, line 4: in [accounts.a], 'oauth2' needs a provider or a token_endpoint.",
    ),
    (
        "server-missing",
        acc(incoming=""),
        "server-missing",
        {"line": None, "section": ("accounts", "a"), "key": "incoming"},
        '{path}: in [accounts.a], \'incoming\' is missing; write it as incoming = { host = "mail.example.org", port = 993, security = "tls" }.',
    ),
    (
        "server-not-table",
        acc(incoming='incoming = "x"\n'),
        "wrong-type",
        {"line": 3, "section": ("accounts", "a"), "key": "incoming", "expected": "table"},
        "{path}, line 3: in [accounts.a], 'incoming' must be a table.",
    ),
    (
        "server-unknown-key",
        acc(incoming='incoming = { host = "h", prt = 1 }\n'),
        "unknown-key",
        {
            "line": 3,
            "section": ("accounts", "a"),
            "key": "prt",
            "guess": "port",
            "inside": "incoming",
        },
        "{path}, line 3: in [accounts.a], 'incoming' has an unknown key 'prt' (did you mean port?); it takes host, port, security, pinned_sha256.",
    ),
    (
        "server-host",
        acc(incoming='incoming = { host = " ", port = 993 }\n'),
        "server-host",
        {"line": 3, "section": ("accounts", "a"), "key": "incoming"},
        "{path}, line 3: in [accounts.a], 'incoming.host' must be a host name.",
    ),
    (
        "server-security",
        acc(incoming='incoming = { host = "h", security = "ssl" }\n'),
        "choice",
        {
            "line": 3,
            "section": ("accounts", "a"),
            "key": "security",
            "value": "ssl",
            "choices": ("tls", "starttls", "plain"),
            "inside": "incoming",
        },
        '{path}, line 3: in [accounts.a], \'incoming.security\' must be "tls", "starttls" or "plain", not \'ssl\'.',
    ),
    (
        "server-port",
        acc(outgoing='outgoing = { host = "h", port = 0 }\n'),
        "server-port",
        {"line": 4, "section": ("accounts", "a"), "key": "outgoing"},
        "{path}, line 4: in [accounts.a], 'outgoing.port' must be a number from 1 to 65535.",
    ),
    (
        "server-pin",
        acc(incoming='incoming = { host = "h", pinned_sha256 = "ab" }\n'),
        "server-pin",
        {"line": 3, "section": ("accounts", "a"), "key": "incoming"},
        "{path}, line 3: in [accounts.a], 'incoming.pinned_sha256' must be 64 hex digits.",
    ),
]


def _failure(content: str | bytes) -> tuple[ConfigError, Path]:
    path = config_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    with pytest.raises(ConfigError) as caught:
        load_config()
    return caught.value, path


@pytest.mark.parametrize(
    "content, problem, data, words", [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_each_problem_is_data_and_reads_as_before(content, problem, data, words) -> None:
    error, path = _failure(content)
    assert error.problem == problem
    assert error.data["path"] == str(path)
    assert {k: error.data.get(k) for k in data} == data
    assert config_words(error) == words.replace("{path}", str(path))
    assert str(path) not in str(error) and "must" not in str(error)  # a record, not words


def test_the_cases_cover_the_problems_a_file_can_have() -> None:
    unreachable = {  # checked by type first, or not a file's content
        "accounts-not-tables",
        "keys-not-table",
        "clients-not-tables",
        "server-not-table",
        "unreadable",
        "unparsable",
    }
    covered = {problem for _, _, problem, _, _ in CASES}
    assert covered == set(CONFIG_PROBLEMS) - unreachable


def test_a_file_that_cannot_be_read_names_the_system_s_reason() -> None:
    config_path().mkdir(parents=True)  # a directory where the file should be
    with pytest.raises(ConfigError) as caught:
        load_config()
    assert caught.value.problem == "unreadable"
    assert config_words(caught.value) == f"{config_path()}: cannot read the file (Is a directory)."


@pytest.mark.parametrize(
    "make, problem, words",
    [
        (
            lambda: oauth2_clients(3, "c.toml", None),
            "clients-not-tables",
            "c.toml: 'oauth2_clients' must be tables like [oauth2_clients.microsoft].",
        ),
        (
            lambda: account_from_dict("a", 3, "c.toml"),
            "account-not-table",
            "c.toml: in [accounts.a], the account must be a table.",
        ),
    ],
)
def test_problems_of_the_tables_given_directly(make, problem, words) -> None:
    with pytest.raises(ConfigError) as caught:
        make()
    assert caught.value.problem == problem
    assert config_words(caught.value) == words


@pytest.mark.parametrize(
    "problem, data, words",
    [
        (
            "accounts-not-tables",
            {},
            "c.toml: 'accounts' must be a table of [accounts.NAME] sections.",
        ),
        ("keys-not-table", {}, 'c.toml: [keys] must be a table of action = "key" lines.'),
        (
            "server-not-table",
            {"line": 4, "section": ("accounts", "a"), "key": "incoming"},
            "c.toml, line 4: in [accounts.a], 'incoming' must be a table with host, port and security.",
        ),
        ("unparsable", {"detail": "Invalid date"}, "c.toml: Invalid date."),
    ],
)
def test_the_words_of_problems_no_file_reaches_today(problem, data, words) -> None:
    assert config_words(ConfigError(problem, path="c.toml", **data)) == words


def test_every_problem_has_its_own_words() -> None:
    for problem in CONFIG_PROBLEMS:
        words = config_words(ConfigError(problem, path="c.toml"))
        assert words.startswith("c.toml") and "cannot be used" not in words, problem


def test_a_key_with_control_characters_is_shown_plain() -> None:
    error, path = _failure('"\\u001b[31mred" = 1\n')
    assert error.data["key"] == "\x1b[31mred"
    assert "\x1b" not in config_words(error) and "[31mred" in config_words(error)
    assert describe(error) == config_words(error)


@pytest.mark.parametrize(
    "argv",
    [
        ["sync"],
        ["list"],
        ["read", "1"],
        ["watch"],
        ["doctor"],
        ["account", "list"],
        ["account", "remove", "a"],
        ["account", "login", "a"],
        ["outbox"],
    ],
    ids=" ".join,
)
def test_the_cli_says_one_sentence_and_exits_2(argv, capsys) -> None:
    error, path = _failure(acc("poll_interval = 0\n"))
    capsys.readouterr()
    assert main(argv) == EXIT_USAGE
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert err.rstrip().endswith(config_words(error)), err
    assert f"{path}, line 3: in [accounts.a], 'poll_interval' must be at least 1" in err


def test_the_app_does_not_start_and_says_why(capsys) -> None:
    from tuimail.cli.app import run_app

    _failure("[keys]\nquit = 3\n")
    assert run_app() == 2
    err = capsys.readouterr().err
    assert err == (
        f"tuimail: {config_path()}, line 2: in [keys], 'quit' must be a quoted key name like "
        '"ctrl+r" (several: "r,ctrl+r").\n'
    )


def test_tuimail_itself_prints_the_sentence_and_no_traceback() -> None:
    _failure("x = = 1\n")
    result = tuimail("list")
    assert result.returncode == EXIT_USAGE
    assert result.stderr.decode() == (
        f"tuimail: {config_path()}, line 1, column 5: unexpected character: '='.\n"
    )
