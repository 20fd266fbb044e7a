"""The configuration file: accounts and settings in TOML under the XDG config dir.

    $XDG_CONFIG_HOME/tuimail/config.toml   (platformdirs; ~/.config/tuimail/config.toml)

The file is the public interface (CLI, UI and the user's own edits). It is read with
tomlkit so a save keeps the user's comments, key order and keys tuimail does not know.
A file that cannot be parsed is never overwritten. Writes are atomic: a temporary file
in the same directory, fsync, rename, fsync of the directory. Passwords never go here.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

import platformdirs
import tomlkit
from tomlkit.exceptions import ParseError, TOMLKitError
from tomlkit.items import InlineTable, Table

from tuimail.core.account import DEFAULT_PORTS, Account, ServerSettings

APP_NAME = "tuimail"
SECURITIES = ("tls", "starttls", "plain")
PROTOCOLS = ("imap", "pop3")

# Account fields that map 1:1 to a key of the same name (beyond email/incoming/outgoing).
_SIMPLE_FIELDS: dict[str, type] = {
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
}
_KNOWN_KEYS = {"email", "name", "incoming", "outgoing", *_SIMPLE_FIELDS}
_SERVER_KEYS = {"host", "port", "security", "pinned_sha256"}


class ConfigError(Exception):
    """The configuration file cannot be used; the message names the file and the problem."""


@dataclass
class Config:
    path: Path
    accounts: dict[str, Account] = field(default_factory=dict)
    keys: dict[str, Any] = field(default_factory=dict)  # [keys]: the UI's keymap
    settings: dict[str, Any] = field(default_factory=dict)  # other top-level keys, as read


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


def _read_document(path: Path) -> tomlkit.TOMLDocument:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return tomlkit.document()
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: the file is not valid UTF-8 ({exc.reason}).") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the file ({exc.strerror}).") from None
    try:
        return tomlkit.parse(text)
    except ParseError as exc:
        # text-ok: tomlkit keeps the problem only in its text (wording, no decision)
        problem = str(exc).split(" at line ")[0].replace("'\\x00'", "the end of the file")
        # text-ok: the first letter made small for the sentence (wording, no decision)
        problem = problem[:1].lower() + problem[1:]
        raise ConfigError(f"{path}, line {exc.line}, column {exc.col}: {problem}.") from None
    except TOMLKitError as exc:
        raise ConfigError(f"{path}: {exc}.") from None


def load_config(path: str | Path | None = None) -> Config:
    """Read and validate the configuration; a missing file is an empty configuration."""
    path = Path(path) if path else config_path()
    doc = _read_document(path)
    data = doc.unwrap()
    accounts_data = data.get("accounts", {})
    if not isinstance(accounts_data, dict):
        raise ConfigError(f"{path}: 'accounts' must be a table of [accounts.NAME] sections.")
    accounts = {}
    for name, table in accounts_data.items():
        accounts[name] = account_from_dict(name, table, path)
    keys = data.get("keys", {})
    if not isinstance(keys, dict):
        raise ConfigError(f'{path}: [keys] must be a table of action = "key" lines.')
    settings = {k: v for k, v in data.items() if k not in ("accounts", "keys")}
    return Config(path=path, accounts=accounts, keys=keys, settings=settings)


def account_from_dict(name: str, table: Any, path: Path | str = "config") -> Account:
    """Build an Account from its [accounts.NAME] table, with errors as sentences."""
    where = f"{path}: in [accounts.{name}]"
    if not isinstance(table, dict):
        raise ConfigError(f"{where}, the account must be a table.")
    email = table.get("email")
    if not isinstance(email, str) or "@" not in email:
        raise ConfigError(f"{where}, 'email' must be an address like alice@example.org.")
    values: dict[str, Any] = {}
    for key, typ in _SIMPLE_FIELDS.items():
        if key not in table:
            continue
        value = table[key]
        if typ is int and (isinstance(value, bool) or not isinstance(value, int)):
            raise ConfigError(f"{where}, '{key}' must be a whole number.")
        if typ is not int and not isinstance(value, typ):
            kind = {bool: "true or false", str: "a quoted string"}[typ]
            raise ConfigError(f"{where}, '{key}' must be {kind}.")
        values[key] = value
    protocol = values.get("protocol", "imap")
    if protocol not in PROTOCOLS:
        raise ConfigError(f'{where}, \'protocol\' must be "imap" or "pop3", not {protocol!r}.')
    if "delete_after_days" in values and values["delete_after_days"] < 0:
        raise ConfigError(f"{where}, 'delete_after_days' cannot be negative.")
    display_name = table.get("name")
    if display_name is not None and not isinstance(display_name, str):
        raise ConfigError(f"{where}, 'name' must be a quoted string.")
    incoming = _server(table.get("incoming"), "incoming", protocol, where)
    outgoing = _server(table.get("outgoing"), "outgoing", "smtp", where)
    extra = {k: v for k, v in table.items() if k not in _KNOWN_KEYS}
    return Account(
        name=name,
        email=email,
        incoming=incoming,
        outgoing=outgoing,
        display_name=display_name,
        extra=extra,
        **values,
    )


def _server(value: Any, key: str, protocol: str, where: str) -> ServerSettings:
    if value is None:
        raise ConfigError(
            f"{where}, '{key}' is missing; write it as "
            f'{key} = {{ host = "mail.example.org", port = 993, security = "tls" }}.'
        )
    if not isinstance(value, dict):
        raise ConfigError(f"{where}, '{key}' must be a table with host, port and security.")
    unknown = set(value) - _SERVER_KEYS
    if unknown:
        raise ConfigError(f"{where}, '{key}' has unknown keys: {', '.join(sorted(unknown))}.")
    host = value.get("host")
    if not isinstance(host, str) or not host.strip():
        raise ConfigError(f"{where}, '{key}.host' must be a host name.")
    security = value.get("security", "tls")
    if security not in SECURITIES:
        raise ConfigError(
            f'{where}, \'{key}.security\' must be "tls", "starttls" or "plain", not {security!r}.'
        )
    port = value.get("port", DEFAULT_PORTS[(protocol, security)])
    if isinstance(port, bool) or not isinstance(port, int) or not 0 < port < 65536:
        raise ConfigError(f"{where}, '{key}.port' must be a number from 1 to 65535.")
    pin = value.get("pinned_sha256")
    if pin is not None and (not isinstance(pin, str) or len(pin.replace(":", "")) != 64):
        raise ConfigError(f"{where}, '{key}.pinned_sha256' must be 64 hex digits.")
    return ServerSettings(host=host.strip(), port=port, security=security, pinned_sha256=pin)


# -- writing ---------------------------------------------------------------------------


def account_to_items(account: Account) -> dict[str, Any]:
    """The keys an account writes, in the documented order (defaults left out)."""
    defaults = {f.name: f.default for f in fields(Account) if f.name in _SIMPLE_FIELDS}
    items: dict[str, Any] = {"email": account.email}
    if account.display_name:
        items["name"] = account.display_name
    items["protocol"] = account.protocol
    for key in ("username", "password_command", "ca_file"):
        if getattr(account, key):
            items[key] = getattr(account, key)
    items["incoming"] = _server_table(account.incoming)
    items["outgoing"] = _server_table(account.outgoing)
    if account.protocol == "pop3":
        items["leave_on_server"] = account.leave_on_server
        items["delete_after_days"] = account.delete_after_days
    for key in _SIMPLE_FIELDS:
        if key in items or key in ("protocol", "leave_on_server", "delete_after_days"):
            continue
        value = getattr(account, key)
        if value != defaults.get(key):
            items[key] = value
    return items


def _server_table(server: ServerSettings) -> InlineTable:
    table = tomlkit.inline_table()
    table["host"] = server.host
    table["port"] = server.port
    table["security"] = server.security
    if server.pinned_sha256:
        table["pinned_sha256"] = server.pinned_sha256
    return table


def save_account(account: Account, path: str | Path | None = None) -> Path:
    """Add or update one account, keeping everything else in the file as it was."""
    path = Path(path) if path else config_path()
    doc = _read_document(path)  # raises on a broken file: never overwrite it
    # Validate before writing, so a bad account never lands in the file.
    account_from_dict(account.name, {**account_to_items(account), **account.extra}, path)
    if "accounts" not in doc:
        accounts = tomlkit.table(is_super_table=True)
        doc["accounts"] = accounts
    accounts = doc["accounts"]
    new_items = account_to_items(account)
    existing = accounts.get(account.name)
    if isinstance(existing, Table):
        for key in list(existing.keys()):
            if key in _KNOWN_KEYS and key not in new_items:
                del existing[key]
        for key, value in new_items.items():
            if key in existing and existing[key].unwrap() == _plain(value):
                continue  # unchanged: keep its formatting and comment
            existing[key] = value
        for key, value in account.extra.items():
            if key not in existing:
                existing[key] = value
    else:
        table = tomlkit.table()
        for key, value in new_items.items():
            table[key] = value
        for key, value in account.extra.items():
            table[key] = value
        accounts[account.name] = table
    _write_atomic(path, tomlkit.dumps(doc))
    return path


def remove_account(name: str, path: str | Path | None = None) -> bool:
    """Remove an account; False if there was none by that name."""
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
