"""Server and login checks against the bundled server, failures produced for real."""

from __future__ import annotations

import re
import socket

import pytest

from tests.doctor.conftest import make_account
from tuimail.core.account import ServerSettings
from tuimail.core.doctor import failed, run_checks
from tuimail.core.doctor.server_checks import check_server
from tuimail.core.secrets import Secret
from tuimail.doctor_words import fix, seen
from tuimail.words.describe import describe


def _by(results, name):
    return [r for r in results if r.name == name]


@pytest.mark.parametrize("protocol", ["imap", "pop3"])
def test_healthy_account_all_ok(mail_server, protocol) -> None:
    user = mail_server.new_user()
    account = make_account(mail_server, user, protocol)
    results = run_checks(account, Secret(user.password), timeout=5)
    assert not failed(results), [r for r in results if r.status != "ok"]
    assert all(r.status == "ok" for r in results)
    names = [r.name for r in results]
    assert names.count("login") == 2 and names.count("certificate") == 2
    tls = _by(results, "tls")[0]
    assert "TLSv1." in seen(tls) and "implicit TLS" in seen(tls)
    caps = _by(results, "capabilities")
    assert "IDLE" in seen(caps[0]) if protocol == "imap" else "UIDL" in seen(caps[0])
    assert "AUTH" in seen(caps[1]) and "PLAIN" in seen(caps[1])
    assert all(user.password not in seen(r) + fix(r) for r in results)


def test_starttls_healthy(mail_server) -> None:
    user = mail_server.new_user()
    account = make_account(mail_server, user, "imap", "starttls", "starttls")
    results = run_checks(account, Secret(user.password), timeout=5)
    assert all(r.status == "ok" for r in results), results
    assert all("STARTTLS" in seen(r) for r in _by(results, "tls"))


@pytest.mark.parametrize("protocol", ["imap", "pop3"])
def test_wrong_password(mail_server, protocol) -> None:
    """A rejected login reads as one sentence: the server, the login, and the server's
    code and words, each once (not "X rejected the login for L ... (X refused the login
    for L: ...) (logging in as L)"), with the fix on its own line."""
    user = mail_server.new_user()
    account = make_account(mail_server, user, protocol)
    results = run_checks(account, Secret("not-the-password"), timeout=5)
    logins = _by(results, "login")
    assert [r.status for r in logins] == ["failure", "failure"]
    assert all("app password" in fix(r) for r in logins)
    incoming = {
        "imap": "[AUTHENTICATIONFAILED] Authentication failed",
        "pop3": "[AUTH] Authentication failed",
    }
    assert [seen(r) for r in logins] == [
        f"the {protocol.upper()} server localhost rejected the login for {user.login} "
        f"({incoming[protocol]})",
        f"the SMTP server localhost rejected the login for {user.login} "
        "(535 5.7.8 Authentication credentials invalid)",
    ]
    for login in logins:
        said = seen(login)
        assert said.count(user.login) == 1 and said.count("Authentication") == 1, said
        assert "refused the login" not in said, said
    assert not any("b'" in seen(r) or "(535," in seen(r) for r in results)
    assert failed(results)


@pytest.mark.parametrize("kind", ["imap", "pop3", "smtp"])
def test_starttls_not_offered(mail_server, kind) -> None:
    user = mail_server.new_user()
    mail_server.faults.add(protocol=kind, kind="no_starttls")
    protocol = "pop3" if kind == "pop3" else "imap"
    account = make_account(mail_server, user, protocol, "starttls", "starttls")
    results = check_server(kind, account, Secret(user.password), timeout=5)
    assert [r.name for r in results] == ["reachable", "tls"]
    tls = results[1]
    assert tls.status == "failure"
    stls = "STLS" if kind == "pop3" else "STARTTLS"
    assert seen(tls) == (
        f"the server does not offer {stls}, so the connection cannot be encrypted (someone "
        "may be stripping it)"
    )
    # the port for this protocol alone, and the stripping not said a second time
    port = {"imap": 993, "pop3": 995, "smtp": 465}[kind]
    assert fix(tls) == (
        f"use port {port} with security = tls (encrypted from the start). No password was sent."
    )
    assert not _by(results, "login")


@pytest.mark.parametrize("kind", ["imap", "smtp"])
def test_bad_certificates(bad_cert_server, kind) -> None:
    user = bad_cert_server.new_user()
    account = make_account(bad_cert_server, user)
    results = check_server(kind, account, Secret(user.password), timeout=5)
    tls = _by(results, "tls")[0]
    assert tls.status == "failure"
    if bad_cert_server.cert_kind == "expired":
        assert "expired" in seen(tls) and "renew" in fix(tls)
    else:
        assert "does not name this host" in seen(tls) and "host name" in fix(tls)
    assert not _by(results, "login")


def test_closed_port(mail_server) -> None:
    user = mail_server.new_user()
    account = make_account(mail_server, user)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        closed = s.getsockname()[1]  # bound, never listening: connection refused
        account.outgoing = ServerSettings("localhost", closed, "tls")
        results = check_server("smtp", account, Secret(user.password), timeout=5)
    assert [r.name for r in results] == ["reachable"]
    (reach,) = results
    assert reach.status == "failure" and reach.failure is not None
    assert seen(reach) == f"could not connect to localhost port {closed}: {describe(reach.failure)}"
    assert "refused the connection" in seen(reach)
    assert "firewall" in fix(reach)


def test_a_host_name_that_is_no_dns_name_is_a_finding(mail_server) -> None:
    """An empty label ("imap..example.test") makes the idna codec raise UnicodeError, not
    OSError: still one "reachable" failure naming the host, never a traceback."""
    user = mail_server.new_user()
    account = make_account(mail_server, user)
    account.incoming.host = "imap..example.test"
    (reach,) = check_server("imap", account, Secret(user.password), timeout=5)
    assert reach.name == "reachable" and reach.status == "failure", reach
    assert seen(reach).startswith("the host name imap..example.test is not a valid DNS name")
    assert "spelling" in fix(reach)


@pytest.mark.parametrize(
    ("kind", "fault"),
    [
        (
            "imap",
            dict(
                kind="login_reply",
                message="[ALERT] Application-specific password required: "
                "https://support.google.com/accounts/answer/185833 (Failure)",
            ),
        ),
        (
            "smtp",
            dict(
                kind="reply",
                command="AUTH",
                code=534,
                message="5.7.9 Application-specific password required.",
            ),
        ),
    ],
)
def test_app_password_needed(mail_server, kind, fault) -> None:
    user = mail_server.new_user()
    mail_server.faults.add(protocol=kind, **fault)
    account = make_account(mail_server, user)
    results = check_server(kind, account, Secret(user.password), timeout=5)
    (login,) = _by(results, "login")
    assert login.status == "failure"
    said = seen(login)
    assert "wants an app password" in said and said.count("Application-specific") == 1, said
    assert said.count(user.login) == 1 and "refused the login" not in said, said
    assert "create an app password" in fix(login) and "two-step" in fix(login)


def test_smtp_mechanism_not_offered(mail_server) -> None:
    user = mail_server.new_user()
    mail_server.faults.add(protocol="smtp", kind="auth_mechanisms", data=b"XOAUTH2 OAUTHBEARER")
    account = make_account(mail_server, user)
    results = check_server("smtp", account, Secret(user.password), timeout=5)
    (login,) = _by(results, "login")
    assert login.status == "failure"
    assert "no login method tuimail supports is offered (offered: XOAUTH2, OAUTHBEARER)" in (
        seen(login)
    )
    # A password account on an OAuth-only server: the way in is tuimail's OAuth sign-in.
    assert 'auth = "oauth2"' in fix(login) and "tuimail account login" in fix(login)
    assert "does not do" not in fix(login)
    assert mail_server.protocol_server("smtp").auth_log == []  # no password was tried


def test_a_server_offering_no_usable_login_method_is_named_with_its_fix(mail_server) -> None:
    """A server offering only mechanisms tuimail does not do (GSSAPI, NTLM): the line
    names what it offers and that no password was sent; the fix names what tuimail
    logs in with. Core gives the finding as data, the words are the edge's."""
    user = mail_server.new_user()
    mail_server.faults.add(protocol="smtp", kind="auth_mechanisms", data=b"GSSAPI NTLM")
    account = make_account(mail_server, user)
    results = check_server("smtp", account, Secret(user.password), timeout=5)
    (login,) = _by(results, "login")
    assert login.status == "failure"
    assert (login.seen, login.fix) == ("", "")  # core wrote no sentence
    assert login.data == {"finding": "no-mechanism", "offered": ["GSSAPI", "NTLM"], "oauth": []}
    assert seen(login) == (
        "no login method tuimail supports is offered (offered: GSSAPI, NTLM); no password was sent"
    )
    assert fix(login) == (
        "tuimail logs in with PLAIN, LOGIN, CRAM-MD5; ask the provider which port and method to use"
    )
    assert mail_server.protocol_server("smtp").auth_log == []  # no password was tried


def test_a_server_offering_no_auth_is_a_warning_with_its_fix(mail_server) -> None:
    """An outgoing server offering no AUTH after TLS: no login is tried; the line and
    its fix are the edge's words (core gives the finding as data)."""
    user = mail_server.new_user()
    mail_server.faults.add(protocol="smtp", kind="no_auth")
    account = make_account(mail_server, user)
    results = check_server("smtp", account, Secret(user.password), timeout=5)
    (login,) = _by(results, "login")
    assert login.status == "warning"
    assert (login.seen, login.fix, login.data) == ("", "", {"finding": "no-auth"})
    assert seen(login) == "the server offers no AUTH on this port, so no login was tried"
    assert fix(login) == (
        "sending without login works only from a trusted network; use the submission "
        "port (587 or 465)"
    )
    assert mail_server.protocol_server("smtp").auth_log == []


def test_all_capabilities_listed(mail_server) -> None:
    user = mail_server.new_user()
    results = {}
    for protocol in ("imap", "pop3"):
        account = make_account(mail_server, user, protocol)
        results[protocol] = _by(
            check_server(protocol, account, Secret(user.password), 5), "capabilities"
        )
    results["smtp"] = _by(check_server("smtp", account, Secret(user.password), 5), "capabilities")
    assert seen(results["imap"][0]) == "offers IDLE, CONDSTORE, QRESYNC, MOVE, UIDPLUS, QUOTA"
    assert seen(results["pop3"][0]) == "offers UIDL, TOP"
    assert seen(results["smtp"][0]) == "offers SIZE, 8BITMIME, SMTPUTF8; AUTH LOGIN PLAIN"


def test_missing_capabilities_are_named(test_ca) -> None:
    from testserver.server import MailServer

    with MailServer(ca=test_ca, options={"imap": {"disable": ("QRESYNC", "MOVE")}}) as server:
        server.faults.add(protocol="pop3", kind="no_uidl")
        user = server.new_user()
        imap = _by(
            check_server("imap", make_account(server, user), Secret(user.password), 5),
            "capabilities",
        )
        pop3 = _by(
            check_server("pop3", make_account(server, user, "pop3"), Secret(user.password), 5),
            "capabilities",
        )
    assert seen(imap[0]) == "offers IDLE, CONDSTORE, UIDPLUS, QUOTA; lacks QRESYNC, MOVE"
    assert seen(pop3[0]) == "offers TOP; lacks UIDL"


def test_certificate_days_left_shown(mail_server) -> None:
    user = mail_server.new_user()
    results = check_server("imap", make_account(mail_server, user), Secret(user.password), 5)
    (cert,) = _by(results, "certificate")
    assert cert.status == "ok"
    assert re.fullmatch(r"valid for localhost, trusted, expires in \d+ days \(.+ GMT\)", seen(cert))


@pytest.mark.parametrize("kind", ["self_signed", "cn_only"])
def test_untrusted_or_nameless_certificate(test_ca, kind) -> None:
    from testserver.server import MailServer

    with MailServer(ca=test_ca, cert=kind) as server:
        user = server.new_user()
        results = check_server("imap", make_account(server, user), Secret(user.password), 5)
    tls = _by(results, "tls")[0]
    assert tls.status == "failure" and not _by(results, "login"), results
    if kind == "self_signed":
        assert "ca_file" in fix(tls) and "pin" in fix(tls), tls
    else:
        assert "does not name this host" in seen(tls) and "host name" in fix(tls), tls
