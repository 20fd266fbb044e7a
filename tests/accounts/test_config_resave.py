"""Saving an account again (a server key trusted in Diagnose, a setting changed) writes
exactly what the Account holds: no setting of the old table left stale or lost, the
user's comments and other tables kept."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tuimail.core.account import Account, ServerSettings
from tuimail.core.config import load_config, save_account

USER_FILE = """\
# my mail, by hand
theme = "nord"

[keys]
quit = "ctrl+q"   # my key

[accounts.other]
email = "other@example.test"   # keep this comment
incoming = { host = "imap.other.test" }
outgoing = { host = "smtp.other.test", port = 587, security = "starttls" }
"""

# Any text a TOML string holds (tomlkit escapes control characters; no lone surrogates).
TEXT = st.text(st.characters(exclude_categories=("Cs",)), max_size=12)
WORD = st.text("abcdefghijklmnopqrstuvwxyz0123456789-", min_size=1, max_size=10)
EMAIL = st.builds(lambda a, b: f"{a}@{b}.test", WORD, WORD)
HOST = st.builds(lambda a: f"{a}.example.test", WORD)
PIN = st.none() | st.text("0123456789abcdef", min_size=64, max_size=64)


@st.composite
def servers(draw) -> ServerSettings:
    return ServerSettings(
        draw(HOST),
        draw(st.integers(1, 65535)),
        draw(st.sampled_from(["tls", "starttls", "plain"])),
        draw(PIN),
    )


@st.composite
def extras(draw) -> dict:
    """Account.extra: the settings that are not Account fields, each maybe absent."""
    extra: dict = {}
    if draw(st.booleans()):
        extra["aliases"] = draw(st.lists(EMAIL, max_size=2))
    if draw(st.booleans()):
        extra["timeout"] = draw(st.integers(1, 3600) | st.floats(0.5, 3600))
    if draw(st.booleans()):
        extra["nameserver"] = draw(st.sampled_from(["127.0.0.1:5353", "192.0.2.1", "::1"]))
    if draw(st.booleans()):
        extra["dkim_selector"] = draw(WORD)
    if draw(st.booleans()):
        entry = st.fixed_dictionaries({"email": EMAIL}, optional={"name": TEXT, "signature": TEXT})
        extra["identities"] = draw(st.lists(entry, min_size=1, max_size=2))
    return extra


@st.composite
def accounts(draw) -> Account:
    """Any account the configuration can hold, under the name "work"."""
    auth = draw(st.sampled_from(["password", "oauth2"]))
    oauth2: dict | None = None
    token_command = None
    if auth == "oauth2":
        if draw(st.booleans()):
            token_command = draw(TEXT.filter(bool))
        if token_command is None or draw(st.booleans()):
            oauth2 = {"provider": "google", "client_id": draw(WORD)}
            if draw(st.booleans()):
                oauth2["scopes"] = draw(st.lists(WORD, max_size=2))
    optional = st.none() | TEXT
    return Account(
        name="work",
        email=draw(EMAIL),
        incoming=draw(servers()),
        outgoing=draw(servers()),
        protocol=draw(st.sampled_from(["imap", "pop3"])),
        display_name=draw(optional),
        username=draw(optional),
        password_command=None if auth == "oauth2" else draw(optional),
        ca_file=draw(optional),
        leave_on_server=draw(st.booleans()),
        delete_after_days=draw(st.integers(0, 400)),
        delete_on_server_when_deleted_locally=draw(st.booleans()),
        poll_interval=draw(st.sampled_from([300, 1, 60])),
        idle_renew_seconds=draw(st.sampled_from([29 * 60, 1, 600])),
        use_condstore=draw(st.booleans()),
        use_qresync=draw(st.booleans()),
        save_sent_copy=draw(st.booleans()),
        download_bodies=draw(st.booleans()),
        signature=draw(optional),
        sent_retention_days=draw(st.sampled_from([30, 0, 7])),
        auth=auth,
        oauth2=oauth2,
        oauth2_token_command=token_command,
        oauth2_token_store=draw(st.sampled_from(["keyring", "file"])),
        extra=draw(extras()),
    )


def _fresh_file(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(USER_FILE)


def _assert_user_parts_kept(path: Path) -> None:
    text = path.read_text()
    for line in ("# my mail, by hand", 'quit = "ctrl+q"   # my key', "# keep this comment"):
        assert line in text
    config = load_config(path)
    assert config.settings["theme"] == "nord"
    assert config.accounts["other"].incoming == ServerSettings("imap.other.test", 993, "tls")


SETTINGS = settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@SETTINGS
@given(account=accounts())
def test_a_saved_account_loads_back_as_it_was(tmp_path: Path, account: Account) -> None:
    path = tmp_path / "config.toml"
    _fresh_file(path)
    save_account(account, path)
    assert load_config(path).accounts["work"] == account
    _assert_user_parts_kept(path)


@SETTINGS
@given(before=accounts(), after=accounts())
def test_saving_again_writes_exactly_the_new_account(
    tmp_path: Path, before: Account, after: Account
) -> None:
    """Whatever the old table said (settings the new account has, changes or lacks), the
    file afterwards says the new account and nothing stale."""
    path = tmp_path / "config.toml"
    _fresh_file(path)
    save_account(before, path)
    save_account(after, path)
    assert load_config(path).accounts["work"] == after
    _assert_user_parts_kept(path)


@SETTINGS
@given(before=accounts(), after=accounts(), data=st.data())
def test_changing_one_setting_changes_exactly_that_setting(
    tmp_path: Path, before: Account, after: Account, data: st.DataObject
) -> None:
    """Each field (and each extra setting) taken from another account, one at a time."""
    path = tmp_path / "config.toml"
    _fresh_file(path)
    save_account(before, path)
    field = data.draw(
        st.sampled_from(
            [
                f.name
                for f in dataclasses.fields(Account)
                if f.name not in ("name", "extra", "oauth2_client", "auth", "oauth2")
                and f.name not in ("password_command", "oauth2_token_command")
            ]
            + ["extra:" + k for k in ("aliases", "timeout", "nameserver", "dkim_selector")]
        )
    )
    if field.startswith("extra:"):
        key = field.partition(":")[2]
        extra = {k: v for k, v in before.extra.items() if k != key}
        if key in after.extra:
            extra[key] = after.extra[key]
        changed = dataclasses.replace(before, extra=extra)
    else:
        changed = dataclasses.replace(before, **{field: getattr(after, field)})
    save_account(changed, path)
    assert load_config(path).accounts["work"] == changed
    _assert_user_parts_kept(path)


def test_a_changed_timeout_and_nameserver_are_saved(tmp_path: Path) -> None:
    """The noticed bug: a second save kept the old timeout and nameserver, and kept
    settings the account no longer had."""
    path = tmp_path / "config.toml"
    _fresh_file(path)
    account = Account(
        name="work",
        email="bob@example.test",
        incoming=ServerSettings("imap.example.test", 993),
        outgoing=ServerSettings("smtp.example.test", 465),
        extra={"timeout": 30, "nameserver": "192.0.2.1", "dkim_selector": "s1"},
    )
    save_account(account, path)
    account.extra = {"timeout": 90, "nameserver": "192.0.2.53"}
    save_account(account, path)
    assert load_config(path).accounts["work"].extra == {"timeout": 90, "nameserver": "192.0.2.53"}


def test_unchanged_lines_keep_the_users_formatting(tmp_path: Path) -> None:
    """Trusting a new key rewrites only the pin: a port the user left out stays out, a
    default the user wrote out stays, and the comments on other lines stay."""
    path = tmp_path / "config.toml"
    path.write_text(
        "[accounts.work]\n"
        'email = "bob@example.test"   # me\n'
        "poll_interval = 300            # the default, said out loud\n"
        "timeout = 20                   # slow server\n"
        "[accounts.work.incoming]\n"
        'host = "imap.example.test"     # no port: 993\n'
        "[accounts.work.outgoing]\n"
        'host = "smtp.example.test"\n'
    )
    account = load_config(path).accounts["work"]
    trusted = dataclasses.replace(
        account, incoming=dataclasses.replace(account.incoming, pinned_sha256="ab" * 32)
    )
    save_account(trusted, path)
    text = path.read_text()
    for line in (
        'email = "bob@example.test"   # me',
        "poll_interval = 300            # the default, said out loud",
        "timeout = 20                   # slow server",
        'host = "imap.example.test"     # no port: 993',
    ):
        assert line in text
    assert "port =" not in text
    assert load_config(path).accounts["work"] == trusted
