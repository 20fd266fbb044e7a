"""The configuration file: accounts and settings in TOML under the XDG config dir.

    $XDG_CONFIG_HOME/tuimail/config.toml   (platformdirs; ~/.config/tuimail/config.toml)

The file is the public interface (CLI, UI and the user's own edits), documented key by key
in docs/config.md. It is read with the standard library's tomllib (a start pays for no
more); tomlkit edits it, so a save keeps the user's comments and key order, and finds
the line and column of the problem when tomllib refuses a file. A key that is not in the
tables below is an error (with the closest known key), never ignored. Every problem is a
ConfigError with a problem and data (CONFIG_PROBLEMS), never a sentence: the edge words it
(tuimail.words.config). A file that cannot be parsed is never overwritten. Writes are atomic: a temporary file
in the same directory, fsync, rename, fsync of the directory. Passwords never go here.
"""

from __future__ import annotations

import os
import re
import tempfile
import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import TYPE_CHECKING, Any

import platformdirs

from tuimail.core.account import DEFAULT_PORTS, Account, ServerSettings

if TYPE_CHECKING:
    import tomlkit
    from tomlkit.items import InlineTable

# The values of `notify` (how the terminal is told of new mail: tuimail.core.hooks) and
# the keys of an `identities` table (tuimail.core.identities), kept here: reading the
# config never loads those modules (`tuimail sync` needs neither before it connects).
NOTIFY_SETTINGS = ("auto", "osc9", "osc777", "bell", "off")
IDENTITY_KEYS = {"email": str, "name": str, "signature": str}

APP_NAME = "tuimail"
SECURITIES = ("tls", "starttls", "plain")
PROTOCOLS = ("imap", "pop3")

# -- every key the file knows ----------------------------------------------------------
#
# One table per section: key -> type. Adding a key is one line here plus its entry in
# docs/config.md (a test checks that both name the same keys). A key that is not here is
# an error with a suggestion ("did you mean password_command?"). Types: bool, int (whole
# number), NUMBER (int or float), str, list, dict (a table); ANY: the code that uses the
# key checks its value.
NUMBER = (int, float)
ANY = object

TOP_KEYS: dict[str, Any] = {
    "accounts": dict,
    "keys": dict,  # [keys]: binding id = "key" (checked by the UI, which knows the ids)
    "ui": dict,
    "bell": bool,
    "address_book_command": str,
    "notify": str,  # how the terminal is told of new mail (tuimail.core.hooks)
    "new_mail_command": str,
    "theme": str,  # the Textual theme, saved when chosen in the app
    "oauth2_clients": dict,  # [oauth2_clients.PROVIDER]: client id per provider
}
UI_KEYS: dict[str, Any] = {
    "columns": ANY,
    "mark_read_delay": ANY,
}
ACCOUNT_KEYS: dict[str, Any] = {
    "email": str,
    "name": str,
    "incoming": dict,
    "outgoing": dict,
    "protocol": str,
    "username": str,
    "password_command": str,
    "ca_file": str,
    "leave_on_server": bool,
    "delete_after_days": int,
    "delete_on_server_when_deleted_locally": bool,
    "poll_interval": int,
    "idle_renew_seconds": int,
    "use_condstore": bool,
    "use_qresync": bool,
    "save_sent_copy": bool,
    "download_bodies": bool,
    "signature": str,
    "sent_retention_days": int,
    "auth": str,
    "oauth2": dict,
    "oauth2_token_command": str,
    "oauth2_token_store": str,
    # Not Account fields: kept in Account.extra for the code that reads them.
    "aliases": list,
    "identities": ANY,  # a list of { email, name, signature } tables (IDENTITY_KEYS)
    "timeout": NUMBER,
    "dkim_selector": str,
    # The DNS server setup found the servers through (`--nameserver`, the wizard's DNS
    # server): their host names are resolved there too (tuimail.core.connect).
    "nameserver": str,
}
# The `oauth2 = { ... }` table of an account: a provider from the shipped database by
# name, or explicit endpoints (which override the provider's).
OAUTH2_KEYS: dict[str, Any] = {
    "provider": str,
    "client_id": str,
    "client_secret": str,
    "issuer": str,
    "authorization_endpoint": str,
    "token_endpoint": str,
    "device_authorization_endpoint": str,
    "introspection_endpoint": str,
    "scopes": list,
}
# A [oauth2_clients.PROVIDER] table: the client id (and secret) registered with one
# provider, named like `oauth2.provider` ("microsoft") or by its issuer; used by every
# account of that provider whose own oauth2 table has no client_id.
OAUTH2_CLIENT_KEYS: dict[str, Any] = {
    "client_id": str,
    "client_secret": str,
}
AUTHS = ("password", "oauth2")
TOKEN_STORES = ("keyring", "file")
SERVER_KEYS: dict[str, Any] = {
    "host": str,
    "port": int,
    "security": str,
    "pinned_sha256": str,
}

_ACCOUNT_FIELDS = {f.name for f in fields(Account)}
# Account fields that map 1:1 to a key of the same name (beyond email/name/incoming/outgoing;
# `name` is the display name, the account's own name is its [accounts.NAME]).
_SIMPLE_FIELDS: dict[str, Any] = {
    key: typ
    for key, typ in ACCOUNT_KEYS.items()
    if key in _ACCOUNT_FIELDS and key not in ("email", "name", "incoming", "outgoing", "oauth2")
}
_EXTRA_KEYS = {k for k in ACCOUNT_KEYS if k not in _ACCOUNT_FIELDS and k != "name"}
_KNOWN_KEYS = set(ACCOUNT_KEYS)
_SERVER_KEYS = set(SERVER_KEYS)


class ConfigError(Exception):
    """The configuration file cannot be used, as data: `problem` (CONFIG_PROBLEMS) and
    `data` naming where and what: path, line (None: unknown), column, section (a tuple:
    ("accounts", "work"); (): the top level), key, inside (the inline table holding the
    key: "oauth2", "incoming"), value, expected (a kind: TYPE_KINDS), choices, guess (the
    closest known key), known, number (of an identity), other, detail (the library's or
    the system's words). The edge words it (tuimail.words.config); its text is a record
    for logs."""

    def __init__(self, problem: str, **data: Any) -> None:
        super().__init__(f"config: {problem}")
        self.problem = problem
        self.data = data


# ConfigError.problem, and what its data holds beyond path, line and section:
CONFIG_PROBLEMS = (
    "not-utf8",  # detail: the decoder's reason
    "unreadable",  # detail: the system's words
    "syntax",  # column, detail: tomlkit's words
    "unparsable",  # detail: tomlkit's words
    "accounts-not-tables",
    "keys-not-table",
    "key-binding",  # key: the binding id
    "choice",  # key, value, choices (inside: for a server's security)
    "unknown-key",  # key, guess, known, inside (an inline table: "oauth2", "incoming")
    "wrong-type",  # key, expected, inside
    "clients-not-tables",
    "client-not-table",  # (section: the client's)
    "client-id-missing",
    "client-duplicate",  # other: the first name of the same provider
    "account-not-table",
    "email",
    "negative",  # key
    "at-least",  # key, minimum (seconds)
    "timeout-range",  # key, maximum (seconds)
    "oauth2-no-client",
    "identities-not-list",
    "identity-not-table",  # number
    "identity-unknown-key",  # number, key, guess, known
    "identity-not-string",  # number, key
    "identity-email",  # number
    "oauth2-only",  # key
    "password-with-oauth2",
    "oauth2-table-needed",
    "oauth2-endpoint",  # key (inside "oauth2")
    "oauth2-secret",
    "oauth2-provider",  # value, known
    "oauth2-no-endpoint",
    "server-missing",  # key: "incoming" or "outgoing"
    "server-not-table",  # key
    "server-host",  # key
    "server-port",  # key
    "server-pin",  # key
)
# ConfigError.data["expected"]: what a value of the wrong type should have been.
TYPE_KINDS = ("whole-number", "number", "strings", "bool", "string", "table")


@dataclass
class Config:
    path: Path
    accounts: dict[str, Account] = field(default_factory=dict)
    keys: dict[str, Any] = field(default_factory=dict)  # [keys]: the UI's keymap
    settings: dict[str, Any] = field(default_factory=dict)  # other top-level keys, as read
    lines: _Lines | None = field(default=None, repr=False, compare=False)

    def line_of(self, section: tuple[str, ...], key: str) -> int | None:
        """The line of `key` in `section` of the file as read (None if unknown)."""
        return self.lines.find(section, key) if self.lines else None


def config_dir() -> Path:
    return Path(platformdirs.user_config_dir(APP_NAME))


def config_path() -> Path:
    return config_dir() / "config.toml"


def data_dir() -> Path:
    """Where the local store lives ($XDG_DATA_HOME/tuimail)."""
    return Path(platformdirs.user_data_dir(APP_NAME))


def cache_dir() -> Path:
    return Path(platformdirs.user_cache_dir(APP_NAME))


def state_dir() -> Path:
    return Path(platformdirs.user_state_dir(APP_NAME))


# -- reading ---------------------------------------------------------------------------


def _read_text(path: Path) -> str:
    """The file's text ("" when there is no file)."""
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return ""
    except UnicodeDecodeError as exc:
        raise ConfigError("not-utf8", path=str(path), detail=exc.reason) from None
    except OSError as exc:
        raise ConfigError("unreadable", path=str(path), detail=exc.strerror) from None


def _read_data(path: Path) -> tuple[str, dict[str, Any]]:
    """The file's text and its values, read with tomllib; when tomllib refuses the file,
    tomlkit (what the file is written with) decides, and names the problem."""
    text = _read_text(path)
    try:
        return text, tomllib.loads(text)
    except tomllib.TOMLDecodeError:
        return text, _parse_document(path, text).unwrap()


def _read_document(path: Path) -> tomlkit.TOMLDocument:
    """The file as a tomlkit document, to edit it keeping its comments and order."""
    return _parse_document(path, _read_text(path))


def _parse_document(path: Path, text: str) -> tomlkit.TOMLDocument:
    import tomlkit
    from tomlkit.exceptions import ParseError, TOMLKitError

    try:
        return tomlkit.parse(text)
    except ParseError as exc:
        # text-ok: tomlkit keeps the problem only in its text (its words, for the edge)
        detail = str(exc).split(" at line ")[0]
        # tomlkit counts columns from 0; people (editors, tomllib) from 1
        column = exc.col + 1 if isinstance(exc.col, int) else None
        raise ConfigError(
            "syntax", path=str(path), line=exc.line, column=column, detail=detail
        ) from None
    except TOMLKitError as exc:
        raise ConfigError("unparsable", path=str(path), detail=str(exc)) from None


def load_config(path: str | Path | None = None) -> Config:
    """Read and validate the configuration; a missing file is an empty configuration."""
    path = Path(path) if path else config_path()
    text, data = _read_data(path)
    lines = _Lines(text)
    _check_keys(data, TOP_KEYS, (), path, lines)
    accounts_data = data.get("accounts", {})
    if not isinstance(accounts_data, dict):
        raise ConfigError("accounts-not-tables", path=str(path))
    clients = oauth2_clients(data.get("oauth2_clients", {}), path, lines)
    accounts = {}
    for name, table in accounts_data.items():
        accounts[name] = account_from_dict(name, table, path, lines, clients)
    keys = data.get("keys", {})
    if not isinstance(keys, dict):
        raise ConfigError("keys-not-table", path=str(path))
    keys = _dotted(keys)
    for binding, value in keys.items():
        if not isinstance(value, str) or not value.strip():
            line = lines.find(("keys",), binding)
            raise ConfigError(
                "key-binding", path=str(path), line=line, section=("keys",), key=binding
            )
    _check_choice(data, "notify", NOTIFY_SETTINGS, path, lines)
    ui = data.get("ui", {})
    if isinstance(ui, dict):
        _check_keys(ui, UI_KEYS, ("ui",), path, lines)
    settings = {k: v for k, v in data.items() if k not in ("accounts", "keys")}
    return Config(path=path, accounts=accounts, keys=keys, settings=settings, lines=lines)


def _dotted(keys: dict, prefix: str = "") -> dict:
    """[keys] with TOML's dotted keys joined back into binding ids: `list.down = "n"`,
    written as the ids are documented, is the table {"list": {"down": "n"}} to TOML, and
    means the binding `list.down` ("list.down" = "n" quoted is the same)."""
    flat: dict = {}
    for name, value in keys.items():
        if isinstance(value, dict):
            flat.update(_dotted(value, f"{prefix}{name}."))
        else:
            flat[f"{prefix}{name}"] = value
    return flat


def issuer_key(name: str) -> str:
    """One spelling for a provider: a short name ("outlook") becomes its issuer host; an
    issuer loses its https:// and trailing slash ("https://login.example.org/" ->
    "login.example.org"), so either names the same [oauth2_clients] entry."""
    from tuimail.core.discovery.ispdb import PROVIDER_NAMES

    key = name.strip().lower()
    key = PROVIDER_NAMES.get(key, key)
    return key.removeprefix("https://").rstrip("/")


def oauth2_clients(value: Any, path: Path | str, lines: _Lines | None) -> dict[str, dict]:
    """The [oauth2_clients.PROVIDER] tables, checked, by issuer_key. Each needs a client_id;
    two names for one provider ("microsoft" and "outlook") are an error, not a guess."""
    if not isinstance(value, dict):
        line = lines.find((), "oauth2_clients") if lines else None
        raise ConfigError("clients-not-tables", path=str(path), line=line)
    clients: dict[str, dict] = {}
    names: dict[str, str] = {}
    for name, table in value.items():
        section = ("oauth2_clients", name)
        if not isinstance(table, dict):
            line = lines.find((), "oauth2_clients") if lines else None
            raise ConfigError("client-not-table", path=str(path), line=line, section=section)
        _check_keys(table, OAUTH2_CLIENT_KEYS, section, path, lines)
        if not table.get("client_id", "").strip():
            line = lines.find(section, "client_id") if lines else None
            line = line or _header_line(lines, section)
            raise ConfigError("client-id-missing", path=str(path), line=line, section=section)
        key = issuer_key(name)
        if key in clients:
            line = _header_line(lines, section)
            raise ConfigError(
                "client-duplicate", path=str(path), line=line, section=section, other=names[key]
            )
        clients[key] = dict(table)
        names[key] = name
    return clients


def load_oauth2_clients(path: str | Path | None = None) -> dict[str, dict]:
    """The [oauth2_clients] tables of the configuration file (checked; {} without a file)."""
    path = Path(path) if path else config_path()
    text, data = _read_data(path)
    return oauth2_clients(data.get("oauth2_clients", {}), path, _Lines(text))


def _header_line(lines: _Lines | None, section: tuple[str, ...]) -> int | None:
    return lines.header(section) if lines else None


def _check_choice(
    data: dict, key: str, choices: tuple[str, ...], path: Path, lines: _Lines
) -> None:
    """A top-level key whose value is one of `choices` (else: "choice", naming them)."""
    value = data.get(key)
    if value is not None and value not in choices:
        line = lines.find((), key)
        raise ConfigError(
            "choice", path=str(path), line=line, key=key, value=value, choices=choices
        )


def _check_keys(
    table: dict,
    known: dict[str, Any],
    section: tuple[str, ...],
    path: Path | str,
    lines: _Lines | None,
) -> None:
    """Every key of `table` is in `known` (else: "unknown-key" with the closest known
    key), and of its type (else: "wrong-type" with the kind expected)."""
    for key, value in table.items():
        if key not in known:
            line = lines.find(section, key) if lines else None
            raise ConfigError(
                "unknown-key",
                path=str(path),
                line=line,
                section=section,
                key=key,
                guess=_guess(key, known),
                known=tuple(known),
            )
        expected = _type_problem(value, known[key])
        if expected:
            line = lines.find(section, key) if lines else None
            raise ConfigError(
                "wrong-type",
                path=str(path),
                line=line,
                section=section,
                key=key,
                expected=expected,
            )


def _guess(key: str, known) -> str | None:
    """The known key closest to `key` (a likely typo), or None."""
    import difflib

    guess = difflib.get_close_matches(key, list(known), n=1, cutoff=0.6)
    return guess[0] if guess else None


def _type_problem(value: Any, typ: Any) -> str | None:
    """None when `value` fits `typ`, else the kind it should be (TYPE_KINDS)."""
    if typ is ANY:
        return None
    if typ is int:
        return None if isinstance(value, int) and not isinstance(value, bool) else "whole-number"
    if typ is NUMBER:
        ok = isinstance(value, int | float) and not isinstance(value, bool)
        return None if ok else "number"
    if typ is list:
        ok = isinstance(value, list) and all(isinstance(v, str) for v in value)
        return None if ok else "strings"
    if not isinstance(value, typ):
        return {bool: "bool", str: "string", dict: "table"}[typ]
    return None


class _Lines:
    """Finds the line of a key in the file's text, for messages ("config.toml, line 7").

    Knows [section] headers, `key = value` lines and keys inside one-line inline tables;
    None when it cannot tell (the message then names the file and section only).
    """

    _HEADER = re.compile(r"^\s*\[\[?([^\]]*)\]\]?\s*(#.*)?$")

    def __init__(self, text: str) -> None:
        self._lines = text.split("\n")

    @staticmethod
    def _parts(dotted: str) -> tuple[str, ...]:
        return tuple(p.strip().strip("\"'") for p in dotted.split("."))

    def header(self, section: tuple[str, ...]) -> int | None:
        """The line of the [section] header (None if it has none, as an inline table)."""
        for number, line in enumerate(self._lines, 1):
            header = self._HEADER.match(line)
            if header and self._parts(header.group(1)) == section:
                return number
        return None

    def find(self, section: tuple[str, ...], key: str, inside: str | None = None) -> int | None:
        """The line of `key` in `section` (or of `key` inside the inline table `inside`)."""
        current: tuple[str, ...] = ()
        key_re = re.compile(rf"^\s*[\"']?{re.escape(key)}[\"']?\s*=")
        inline_re = re.compile(rf"[{{,]\s*[\"']?{re.escape(key)}[\"']?\s*=")
        owner_re = re.compile(rf"^\s*[\"']?{re.escape(inside or '')}[\"']?\s*=")
        for number, line in enumerate(self._lines, 1):
            header = self._HEADER.match(line)
            if header:
                current = self._parts(header.group(1))
                continue
            if inside is None:
                if current == section and key_re.match(line):
                    return number
            elif current == section and owner_re.match(line) and inline_re.search(line):
                return number
            elif current == (*section, inside) and key_re.match(line):
                return number
        return None


def account_from_dict(
    name: str,
    table: Any,
    path: Path | str = "config",
    lines: _Lines | None = None,
    clients: dict[str, dict] | None = None,
) -> Account:
    """Build an Account from its [accounts.NAME] table; a ConfigError names the problem
    (with the line when the file's text is known). `clients`: the file's [oauth2_clients]
    (oauth2_clients()), for an oauth2 table with no client_id of its own."""
    section = ("accounts", name)

    def where(key: str | None = None) -> dict[str, Any]:
        """The data naming the place: file, line of `key` (when known), section."""
        line = lines.find(section, key) if lines and key else None
        return {"path": str(path), "line": line, "section": section}

    if not isinstance(table, dict):
        raise ConfigError("account-not-table", **where())
    _check_keys(table, ACCOUNT_KEYS, section, path, lines)
    email = table.get("email")
    if not isinstance(email, str) or "@" not in email:
        raise ConfigError("email", **where("email"), key="email")
    values: dict[str, Any] = {k: table[k] for k in _SIMPLE_FIELDS if k in table}
    protocol = values.get("protocol", "imap")
    if protocol not in PROTOCOLS:
        raise ConfigError(
            "choice", **where("protocol"), key="protocol", value=protocol, choices=PROTOCOLS
        )
    for key in ("delete_after_days", "sent_retention_days"):
        if key in values and values[key] < 0:
            raise ConfigError("negative", **where(key), key=key)
    for key in ("poll_interval", "idle_renew_seconds"):
        if key in values and values[key] < 1:
            raise ConfigError("at-least", **where(key), key=key, minimum=1)
    timeout = table.get("timeout")
    if timeout is not None and not 0 < timeout <= 3600:
        raise ConfigError("timeout-range", **where("timeout"), key="timeout", maximum=3600)
    oauth2 = _oauth2(table, values, where, lines, section)
    oauth2_client = provider_client(oauth2, clients or {})
    if oauth2 is not None and not oauth2.get("client_id") and oauth2_client is None:
        raise ConfigError("oauth2-no-client", **where("oauth2"), key="oauth2")
    _check_identities(table.get("identities"), where)
    display_name = table.get("name")
    incoming = _server(table.get("incoming"), "incoming", protocol, where, lines, section)
    outgoing = _server(table.get("outgoing"), "outgoing", "smtp", where, lines, section)
    extra = {k: v for k, v in table.items() if k in _EXTRA_KEYS}
    return Account(
        name=name,
        email=email,
        incoming=incoming,
        outgoing=outgoing,
        display_name=display_name,
        oauth2=oauth2,
        oauth2_client=oauth2_client,
        extra=extra,
        **values,
    )


def _check_identities(value: Any, where: Any) -> None:
    """`identities = [{ email = "...", name = "...", signature = "..." }, ...]`: each a
    table with an address and only the known keys, all strings."""
    if value is None:
        return
    if not isinstance(value, list):
        raise ConfigError("identities-not-list", **where("identities"), key="identities")
    for number, entry in enumerate(value, 1):
        if not isinstance(entry, dict):
            raise ConfigError("identity-not-table", **where("identities"), number=number)
        for key, item in entry.items():
            if key not in IDENTITY_KEYS:
                raise ConfigError(
                    "identity-unknown-key",
                    **where("identities"),
                    number=number,
                    key=key,
                    guess=_guess(key, IDENTITY_KEYS),
                    known=tuple(IDENTITY_KEYS),
                )
            if not isinstance(item, str):
                raise ConfigError(
                    "identity-not-string", **where("identities"), number=number, key=key
                )
        email = entry.get("email", "")
        if "@" not in email or any(ch in email for ch in " \r\n<>,"):
            raise ConfigError("identity-email", **where("identities"), number=number)


def _oauth2(
    table: dict,
    values: dict[str, Any],
    where: Any,
    lines: _Lines | None,
    section: tuple[str, ...],
) -> dict[str, Any] | None:
    """Check auth, oauth2, oauth2_token_command and oauth2_token_store together; the
    oauth2 table as given (endpoints are resolved by tuimail.core.oauth2.tokens)."""
    auth = values.get("auth", "password")
    if auth not in AUTHS:
        raise ConfigError("choice", **where("auth"), key="auth", value=auth, choices=AUTHS)
    store = values.get("oauth2_token_store", "keyring")
    if store not in TOKEN_STORES:
        key = "oauth2_token_store"
        raise ConfigError("choice", **where(key), key=key, value=store, choices=TOKEN_STORES)
    value = table.get("oauth2")
    oauth_keys = [k for k in ("oauth2", "oauth2_token_command") if k in table]
    if auth != "oauth2":
        if oauth_keys:
            raise ConfigError("oauth2-only", **where(oauth_keys[0]), key=oauth_keys[0])
        return None
    if "password_command" in table:
        raise ConfigError("password-with-oauth2", **where("password_command"))
    if value is None:
        if "oauth2_token_command" in table:
            return None
        raise ConfigError("oauth2-table-needed", **where("auth"))
    for sub, sub_value in value.items():
        at = {**where(), "line": lines.find(section, sub, inside="oauth2") if lines else None}
        if sub not in OAUTH2_KEYS:
            guess = _guess(sub, OAUTH2_KEYS)
            raise ConfigError(
                "unknown-key", **at, key=sub, guess=guess, known=tuple(OAUTH2_KEYS), inside="oauth2"
            )
        expected = _type_problem(sub_value, OAUTH2_KEYS[sub])
        if expected:
            raise ConfigError("wrong-type", **at, key=sub, expected=expected, inside="oauth2")
        if sub.endswith("_endpoint") and not sub_value.startswith("https://"):
            raise ConfigError("oauth2-endpoint", **at, key=sub, inside="oauth2")
    if value.get("client_secret") and not value.get("client_id"):
        raise ConfigError("oauth2-secret", **where("oauth2"))
    provider = value.get("provider")
    if provider is not None:
        from tuimail.core.discovery import ispdb

        if ispdb.provider(provider) is None:
            known = ("google", "microsoft", "yahoo", "aol", "yandex", "mailru")
            raise ConfigError("oauth2-provider", **where("oauth2"), value=provider, known=known)
    elif not value.get("token_endpoint"):
        raise ConfigError("oauth2-no-endpoint", **where("oauth2"))
    return dict(value)


def provider_client(oauth2: dict | None, clients: dict[str, dict]) -> dict | None:
    """The [oauth2_clients] entry of the account's provider (by its name, its explicit
    issuer, or the issuer the shipped database gives the name), for an oauth2 table
    without a client_id of its own; None otherwise (the account's own client_id wins)."""
    if not oauth2 or oauth2.get("client_id") or not clients:
        return None
    names = [oauth2.get("issuer"), oauth2.get("provider")]
    if oauth2.get("provider"):
        from tuimail.core.discovery import ispdb

        base = ispdb.provider(oauth2["provider"])
        names.append(base.issuer if base else None)
    for name in names:
        if name and issuer_key(name) in clients:
            return clients[issuer_key(name)]
    return None


def _server(
    value: Any,
    key: str,
    protocol: str,
    where: Any,
    lines: _Lines | None,
    section: tuple[str, ...],
) -> ServerSettings:
    if value is None:
        raise ConfigError("server-missing", **where(), key=key)
    if not isinstance(value, dict):
        raise ConfigError("server-not-table", **where(key), key=key)
    for sub in value:
        if sub not in SERVER_KEYS:
            at = {**where(key), "line": lines.find(section, sub, inside=key) if lines else None}
            guess = _guess(sub, SERVER_KEYS)
            raise ConfigError(
                "unknown-key", **at, key=sub, guess=guess, known=tuple(SERVER_KEYS), inside=key
            )
    host = value.get("host")
    if not isinstance(host, str) or not host.strip():
        raise ConfigError("server-host", **where(key), key=key)
    security = value.get("security", "tls")
    if security not in SECURITIES:
        raise ConfigError(
            "choice", **where(key), key="security", value=security, choices=SECURITIES, inside=key
        )
    port = value.get("port", DEFAULT_PORTS[(protocol, security)])
    if isinstance(port, bool) or not isinstance(port, int) or not 0 < port < 65536:
        raise ConfigError("server-port", **where(key), key=key)
    pin = value.get("pinned_sha256")
    if pin is not None and (not isinstance(pin, str) or len(pin.replace(":", "")) != 64):
        raise ConfigError("server-pin", **where(key), key=key)
    return ServerSettings(host=host.strip(), port=port, security=security, pinned_sha256=pin)


# -- writing ---------------------------------------------------------------------------


def account_to_items(account: Account) -> dict[str, Any]:
    """The keys an account writes, in the documented order (defaults left out), without
    Account.extra; loading them back gives the same Account."""
    defaults = {f.name: f.default for f in fields(Account) if f.name in _SIMPLE_FIELDS}
    items: dict[str, Any] = {"email": account.email}
    if account.display_name is not None:
        items["name"] = account.display_name
    items["protocol"] = account.protocol
    for key in ("username", "password_command", "ca_file"):
        if getattr(account, key) is not None:
            items[key] = getattr(account, key)
    if account.auth != "password":
        items["auth"] = account.auth
    if account.oauth2 is not None:
        import tomlkit

        table = tomlkit.inline_table()
        for key, value in account.oauth2.items():
            table[key] = value
        items["oauth2"] = table
    items["incoming"] = _server_table(account.incoming)
    items["outgoing"] = _server_table(account.outgoing)
    pop3 = account.protocol == "pop3"
    for key in ("leave_on_server", "delete_after_days"):  # shown for POP3 even as defaults
        if pop3 or getattr(account, key) != defaults[key]:
            items[key] = getattr(account, key)
    for key in _SIMPLE_FIELDS:
        if key in items or key in ("protocol", "auth"):
            continue
        value = getattr(account, key)
        if value != defaults.get(key):
            items[key] = value
    return items


def _server_table(server: ServerSettings) -> InlineTable:
    import tomlkit

    table = tomlkit.inline_table()
    table["host"] = server.host
    table["port"] = server.port
    table["security"] = server.security
    if server.pinned_sha256 is not None:
        table["pinned_sha256"] = server.pinned_sha256
    return table


def save_account(account: Account, path: str | Path | None = None) -> Path:
    """Add or update one account, keeping everything else in the file as it was.

    Invariant: afterwards the file's [accounts.NAME] loads back as exactly `account`
    (every field and every Account.extra setting; a setting the account no longer has is
    removed), while the user's comments, key order and the formatting of unchanged lines
    stay."""
    import tomlkit

    path = Path(path) if path else config_path()
    doc = _read_document(path)  # raises on a broken file: never overwrite it
    items = {**account_to_items(account), **account.extra}
    # Validate before writing, so a bad account never lands in the file.
    clients = oauth2_clients(doc.unwrap().get("oauth2_clients", {}), path, None)
    account_from_dict(account.name, items, path, None, clients)
    if "accounts" not in doc:
        accounts = tomlkit.table(is_super_table=True)
        doc["accounts"] = accounts
    accounts = doc["accounts"]
    existing = accounts.get(account.name)
    if isinstance(existing, dict):  # a Table or an inline table: update it in place
        _update_account(existing, account, items)
    else:
        table = tomlkit.table()
        for key, value in items.items():
            table[key] = value
        accounts[account.name] = table
    _write_atomic(path, tomlkit.dumps(doc))
    return path


def _update_account(existing: Any, account: Account, items: dict[str, Any]) -> None:
    """Make an account's table in the file say `items`: a known key the account no longer
    has goes (a key left out as a default stays when it states the account's value);
    changed values are replaced, unchanged ones keep their formatting and comment."""
    for key in list(existing.keys()):
        if key in items or key not in _KNOWN_KEYS:
            continue
        if key in _SIMPLE_FIELDS and _plain(existing[key]) == getattr(account, key):
            continue  # `poll_interval = 300` written out by the user: still true
        del existing[key]
    for key, value in items.items():
        if key not in existing:
            existing[key] = value
        elif key in ("incoming", "outgoing", "oauth2") and isinstance(existing[key], dict):
            protocol = account.protocol if key == "incoming" else "smtp"
            _update_table(existing[key], _plain(value), protocol if key != "oauth2" else None)
        elif _plain(existing[key]) != _plain(value):
            existing[key] = value


def _update_table(existing: Any, new: dict[str, Any], protocol: str | None) -> None:
    """Make a server (or oauth2) table say `new`, key by key. A server table's port and
    security the user left out stay out while what the loader infers is still right."""
    for key in list(existing.keys()):
        if key not in new:
            del existing[key]
    for key, value in new.items():
        if key in existing:
            if _plain(existing[key]) != value:
                existing[key] = value
            continue
        if protocol is not None and key == "security" and value == "tls":
            continue
        if protocol is not None and key == "port":
            security = new.get("security", "tls")
            if value == DEFAULT_PORTS[(protocol, security)]:
                continue
        existing[key] = value


def save_setting(key: str, value: Any, path: str | Path | None = None) -> Path:
    """Set one top-level key (e.g. `theme`), keeping everything else in the file as it
    was; a file that cannot be parsed is never overwritten."""
    if key not in TOP_KEYS or TOP_KEYS[key] is dict:
        raise ValueError(f"not a top-level setting: {key}")
    import tomlkit

    path = Path(path) if path else config_path()
    doc = _read_document(path)
    if key in doc and _plain(doc[key]) == value:
        return path
    doc[key] = value  # tomlkit puts a new plain key before the tables, where it belongs
    _write_atomic(path, tomlkit.dumps(doc))
    return path


def remove_account(name: str, path: str | Path | None = None) -> bool:
    """Remove an account; False if there was none by that name."""
    import tomlkit

    path = Path(path) if path else config_path()
    doc = _read_document(path)
    accounts = doc.get("accounts")
    if not accounts or name not in accounts:
        return False
    del accounts[name]
    _write_atomic(path, tomlkit.dumps(doc))
    return True


def _plain(value: Any) -> Any:
    return value.unwrap() if hasattr(value, "unwrap") else value


def _write_atomic(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)
