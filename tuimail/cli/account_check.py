"""Configuration problems of one account that no server can fix, found before anything
connects or is queued: a `ca_file` that cannot be used, a `nameserver` (the account's or
--nameserver) that is not HOST[:PORT]. Each is a configuration error (exit 2) said in
one sentence naming the account and what to change, the same in every command."""

from __future__ import annotations

from tuimail.core.account import Account


class AccountConfigError(Exception):
    """An account's configuration cannot be used; its text is the sentence (worded here,
    at the edge), said as is by tuimail.words.describe."""

    kind = "configuration"  # a failure's kind in `sync --json` (docs/json.md)


def ca_file_sentence(account: Account) -> str | None:
    """None when the account's ca_file is usable (or not set); else the sentence."""
    from tuimail.core.config import config_path
    from tuimail.core.sanitize import sanitize
    from tuimail.core.tls import ca_file_problem

    problem = ca_file_problem(account.ca_file)
    if problem is None:
        return None
    return sanitize(
        f"{account.name}: {problem}; correct or remove ca_file for this account in {config_path()}."
    )


def nameserver_sentence(given: str | None, account: Account | None = None) -> str | None:
    """None when the name server to ask (`given`, else the account's own `nameserver`
    setting) is usable or none is set; else the sentence saying what to change."""
    from tuimail.core.config import config_path
    from tuimail.core.discovery.resolver import NameserverError, parse_nameserver
    from tuimail.words.nameserver import nameserver_option_words, nameserver_words

    value = given
    own = account is not None and given is None
    if own:
        setting = account.extra.get("nameserver")
        value = setting if isinstance(setting, str) and setting else None
    if not value:
        return None
    try:
        parse_nameserver(value)
    except NameserverError as exc:
        if own:
            return (
                f"{account.name}: {nameserver_words(exc)} Correct or remove its nameserver "
                f"in {config_path()}."
            )
        return nameserver_option_words(exc)
    return None
