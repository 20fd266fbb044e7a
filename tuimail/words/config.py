"""Words for a configuration file that cannot be used (tuimail.core.config.ConfigError:
its problem and data): one sentence naming the file, the line when known, the section,
the key and what it should be ("config.toml, line 7: in [accounts.work], 'port' must be
a whole number.").

Every string returned is sanitised (no control characters).
"""

from __future__ import annotations

from typing import Any

from tuimail.words.plain import plain

# What a value of the wrong type should have been (ConfigError data "expected").
_KINDS = {
    "whole-number": "a whole number",
    "number": "a number",
    "strings": 'a list of quoted strings, like ["a@example.org"]',
    "bool": "true or false",
    "string": "a quoted string",
    "table": "a table",
}
_IDENTITIES = 'identities = [{{ email = "me@example.org", name = "Me" }}]'  # a template
_SERVER = '{{ host = "mail.example.org", port = 993, security = "tls" }}'
_DOCS = "docs/config.md says how"

# The problems told only by where they are and which key: "{name}" is the key as
# written ('oauth2.client_id', 'incoming.port'), the rest comes from the data.
_SAID = {
    "email": "'email' must be an address like alice@example.org.",
    "negative": "'{key}' cannot be negative.",
    "at-least": "'{key}' must be at least {minimum} (seconds).",
    "timeout-range": "'{key}' must be more than 0 and at most {maximum} (seconds).",
    "oauth2-no-client": "'oauth2' needs a client_id: in this table, or for every account of "
    "the provider in a [oauth2_clients.PROVIDER] table (register one with the provider: "
    f"{_DOCS}).",
    "identities-not-list": f"'identities' must be a list, like {_IDENTITIES}.",
    "identity-not-table": f"identity {{number}} must be a table, like {_IDENTITIES}.",
    "identity-not-string": "identity {number}: '{key}' must be a quoted string.",
    "identity-email": "identity {number} needs an 'email' address like alice@example.org.",
    "oauth2-only": "'{key}' is only used with auth = \"oauth2\" (add that line, or remove "
    "this one).",
    "password-with-oauth2": "'password_command' is not used with auth = \"oauth2\" (for a "
    "command that prints a token, use oauth2_token_command).",
    "oauth2-table-needed": "auth = \"oauth2\" needs an 'oauth2' table, like oauth2 = "
    '{{ provider = "microsoft", client_id = "..." }} (or oauth2_token_command).',
    "oauth2-endpoint": "'{name}' must be an https:// address.",
    "oauth2-secret": "'oauth2.client_secret' belongs to a client_id in the same table (a "
    "provider-wide secret goes in [oauth2_clients.PROVIDER]).",
    "oauth2-no-endpoint": "'oauth2' needs a provider or a token_endpoint.",
    "server-missing": f"'{{key}}' is missing; write it as {{key}} = {_SERVER}.",
    "server-not-table": "'{key}' must be a table with host, port and security.",
    "server-host": "'{key}.host' must be a host name.",
    "server-port": "'{key}.port' must be a number from 1 to 65535.",
    "server-pin": "'{key}.pinned_sha256' must be 64 hex digits.",
    "client-id-missing": "'client_id' must be the client id you registered with the provider "
    f"({_DOCS}).",
    "account-not-table": "the account must be a table.",
    "key-binding": '\'{key}\' must be a quoted key name like "ctrl+r" (several: "r,ctrl+r").',
}


def config_words(error: Any) -> str:
    """One sentence for a ConfigError: where (file, line, section) and what is wrong."""
    data = getattr(error, "data", None)
    data = data if isinstance(data, dict) else {}
    problem = getattr(error, "problem", "")
    at = _at(data)
    section = _section(data.get("section"))
    key = plain(data.get("key"))
    inside = plain(data.get("inside"))
    name = f"{inside}.{key}" if inside else key
    if problem in _SAID:
        said = _SAID[problem].format(
            key=key,
            name=name,
            number=plain(data.get("number")),
            minimum=plain(data.get("minimum")),
            maximum=plain(data.get("maximum")),
        )
        return f"{at}: in {section}, {said}" if section else f"{at}: {said}"
    if problem == "choice":
        value = plain(repr(data.get("value")))
        choices = [f'"{plain(c)}"' for c in data.get("choices") or ()]
        if not section:
            return f"{at}: '{name}' must be one of {', '.join(choices)}, not {value}."
        return f"{at}: in {section}, '{name}' must be {_either(choices)}, not {value}."
    if problem == "unknown-key":
        hint = _hint(data)
        if inside == "oauth2":
            tail = "docs/config.md lists its keys."
            return f"{at}: in {section}, '{inside}' has an unknown key '{key}'{hint}; {tail}"
        if inside:
            takes = ", ".join(plain(k) for k in data.get("known") or ())
            return f"{at}: in {section}, '{inside}' has an unknown key '{key}'{hint}; it takes {takes}."
        where = section or "the top level"
        return f"{at}: in {where}, unknown key '{key}'{hint}. docs/config.md lists every key."
    if problem == "wrong-type":
        kind = _KINDS.get(data.get("expected"), "something else")
        return f"{at}: in {section or 'the top level'}, '{name}' must be {kind}."
    if problem == "identity-unknown-key":
        known = [plain(k) for k in data.get("known") or ()]
        number = plain(data.get("number"))
        return (
            f"{at}: in {section}, identity {number} has an unknown key '{key}'{_hint(data)}; "
            f"its keys are {_either(known, 'and')}."
        )
    if problem == "oauth2-provider":
        value = plain(repr(data.get("value")))
        known = ", ".join(f'"{plain(k)}"' for k in data.get("known") or ())
        return (
            f"{at}: in {section}, 'oauth2.provider' {value} is not a provider tuimail knows "
            f"(known: {known}); give token_endpoint and the other endpoints instead."
        )
    if problem == "client-not-table":
        return f"{at}: {section} must be a table with client_id (and client_secret)."
    if problem == "client-duplicate":
        other = plain(data.get("other"))
        return (
            f"{at}: {section} names the same provider as [oauth2_clients.{other}]; "
            "keep one of them."
        )
    if problem == "clients-not-tables":
        return f"{at}: 'oauth2_clients' must be tables like [oauth2_clients.microsoft]."
    if problem == "accounts-not-tables":
        return f"{at}: 'accounts' must be a table of [accounts.NAME] sections."
    if problem == "keys-not-table":
        return f'{at}: [keys] must be a table of action = "key" lines.'
    detail = plain(data.get("detail"))
    if problem == "not-utf8":
        return f"{at}: the file is not valid UTF-8 ({detail})."
    if problem == "unreadable":
        return f"{at}: cannot read the file ({detail})."
    if problem == "syntax":
        return f"{at}: {_syntax(detail)}."
    if problem == "unparsable":
        return f"{at}: {detail}."
    return f"{at}: the configuration cannot be used ({plain(problem) or 'unknown problem'})."


def _at(data: dict) -> str:
    """ "config.toml, line 7" (", column 3" for a syntax error); the file alone when the
    line is not known."""
    where = plain(data.get("path")) or "the configuration file"
    line = data.get("line")
    if isinstance(line, int) and line:
        where += f", line {line}"
        column = data.get("column")
        if isinstance(column, int):
            where += f", column {column}"
    return where


def _section(section: Any) -> str:
    """ "[accounts.work]", or "" for the top level."""
    if not isinstance(section, tuple | list) or not section:
        return ""
    return "[" + ".".join(plain(part) for part in section) + "]"


def _hint(data: dict) -> str:
    guess = plain(data.get("guess"))
    return f" (did you mean {guess}?)" if guess else ""


def _either(items: list[str], word: str = "or") -> str:
    """ "a or b", "a, b or c" (or with "and")."""
    if len(items) < 2:
        return "".join(items)
    return f"{', '.join(items[:-1])} {word} {items[-1]}"


def _syntax(detail: str) -> str:
    """tomlkit's words as part of a sentence: small first letter, our full stop, and the
    end of the file named (tomlkit says '\\x00')."""
    # text-ok: tomlkit's words made part of a sentence (wording, no decision)
    text = detail.replace("'\\x00'", "the end of the file").rstrip(".")
    return text[:1].lower() + text[1:]
