"""Round trip: send a test message to the account's own address and wait for it.

The message goes out through the outgoing server (`smtp.submit`, so the account's TLS
policy holds and nothing is sent on a connection that could not be secured) and is
looked for in INBOX: with IMAP IDLE when offered (else a SEARCH about every second), or
by POP3 UIDL + TOP every few seconds. The delay is measured from the moment the server
accepted the message to the moment it was seen. The test message is then deleted
without touching anything else (never a plain EXPUNGE of other \\Deleted messages).

Without a password or with sending turned off the runner omits this step entirely: a
"skipped" is not a status, and the report simply has no "Round trip" group.
"""

from __future__ import annotations

import asyncio
import imaplib
import poplib
import secrets
import ssl
import time
from collections.abc import Callable
from datetime import datetime
from email import policy
from email.message import EmailMessage
from email.utils import format_datetime, formataddr

import imapclient
from imapclient.exceptions import IMAPClientError

from tuimail.core.account import Account
from tuimail.core.connect import TLSRequiredError, open_imap, open_pop3
from tuimail.core.doctor.report import CheckResult
from tuimail.core.errors import MailError
from tuimail.core.imap.idle_read import IdleRefused, idle_responses, start_idle
from tuimail.core.secrets import Secret
from tuimail.core.smtp import SubmitError, submit

GROUP = "Round trip"
HEADER = "X-Tuimail-Doctor"
CHECKED_UIDS = 10  # of the UIDs a SEARCH for the test message names, the newest checked
IMAP_POLL_SECONDS = 1.0  # no IDLE: SEARCH this often
IDLE_RECHECK_SECONDS = 5.0  # with IDLE: search anyway this often (and look in Junk)
POP3_POLL_START, POP3_POLL_MAX = 0.5, 3.0

_IO_ERRORS = (OSError, IMAPClientError, poplib.error_proto, ssl.SSLError)


class _Lost(Exception):
    """The incoming server refused or failed; `error` is the typed failure (worded at
    the edge, tuimail.doctor_words)."""

    def __init__(self, error: MailError) -> None:
        super().__init__(error)
        self.error = error


def check_roundtrip(
    account: Account,
    password: Secret,
    timeout: float = 15.0,
    roundtrip_timeout: float = 120.0,
    *,
    incoming_address: str | None = None,
    outgoing_address: str | None = None,
) -> list[CheckResult]:
    """Send one test message to the account itself, wait for it in INBOX, delete it.

    `incoming_address` / `outgoing_address`: the IPs to connect to when the runner
    resolved the hosts through `--nameserver` (certificates are still checked against
    the host names); None connects by name.

    Returns the "round trip" result (ok with the delay, or a failure with its typed
    error) and, once the message arrived, a "clean up" result (warning if it could not be
    deleted). The incoming login is done before sending, so a failed login sends nothing.
    Each result's finding is plain data (`data`: "finding" and what it needs, with the
    typed error in `failure`); tuimail.doctor_words words it and its fix.
    """
    token = secrets.token_hex(8)
    raw = build_test_message(account, token)
    waiter: _Waiter = (
        _POP3Waiter(account, password, timeout, token, incoming_address)
        if account.protocol == "pop3"
        else _IMAPWaiter(account, password, timeout, token, incoming_address)
    )
    from tuimail.core import server_alerts
    from tuimail.core.doctor.server_checks import alert_results

    try:
        results = _roundtrip(
            account, password, timeout, roundtrip_timeout, raw, token, waiter, outgoing_address
        )
        # The waiting connection's [ALERT]s (a quota warning on SELECT INBOX): shown as
        # the server checks show theirs (the runner says each text once).
        return results + alert_results(GROUP, waiter.heard)
    finally:
        server_alerts.forget(waiter.heard)


def _roundtrip(
    account: Account,
    password: Secret,
    timeout: float,
    roundtrip_timeout: float,
    raw: bytes,
    token: str,
    waiter: _Waiter,
    outgoing_address: str | None,
) -> list[CheckResult]:
    """check_roundtrip's steps (see there), with `waiter` for the incoming side."""
    start = time.monotonic()
    try:
        waiter.open()
    except (_Lost, TLSRequiredError, *_IO_ERRORS) as exc:
        error = _typed(exc)  # a TLS failure: the SecurityFailure the TLS check reports
        if error is not None and error.protocol is None:
            error.protocol = account.protocol  # e.g. STARTTLS policy: POP3 calls it STLS
        data = {  # worded at the edge, with its fix
            "finding": "not-sent",
            "read-only": error is None,
            "login": account.login,
            "protocol": account.protocol,
            "host": account.incoming.host,
            "port": account.incoming.port,
        }
        took = time.monotonic() - start
        return [CheckResult("round trip", GROUP, "failure", "", "", took, error, data)]
    try:
        unconfirmed: SubmitError | None = None
        try:
            asyncio.run(
                submit(
                    account,
                    password,
                    account.email,
                    [account.email],
                    raw,
                    timeout=timeout,
                    address=outgoing_address,
                )
            )
        except SubmitError as exc:
            if exc.kind != "maybe_sent":
                return [_refused(account, exc, time.monotonic() - start)]
            unconfirmed = exc  # it may have gone through: wait for it all the same
        accepted = time.monotonic()
        try:
            found = waiter.wait(accepted + roundtrip_timeout)
        except (_Lost, *_IO_ERRORS) as exc:
            error = _typed(exc)
            data = {  # worded at the edge, with its fix (the subject to look for)
                "finding": "lost-waiting",
                "read-only": error is None,
                "subject": subject(token),
            }
            took = time.monotonic() - accepted
            return [CheckResult("round trip", GROUP, "failure", "", "", took, error, data)]
        if found is None and unconfirmed is not None:
            return [_unconfirmed(unconfirmed, False, time.monotonic() - accepted)]
        if found is None:
            return [_timed_out(waiter, roundtrip_timeout, accepted)]
        delay = found - accepted
        if unconfirmed is not None:
            return [_unconfirmed(unconfirmed, True, delay), waiter.delete()]
        data = {"finding": "arrived", "how": waiter.how}  # worded at the edge
        return [CheckResult("round trip", GROUP, "ok", "", "", delay, data=data), waiter.delete()]
    finally:
        waiter.close()


def build_test_message(account: Account, token: str) -> bytes:
    """The small test message (CRLF bytes); `token` is in the subject and X-Tuimail-Doctor."""
    msg = EmailMessage(policy=policy.SMTP)
    own = formataddr((account.display_name or "", account.email))
    msg["From"] = own
    msg["To"] = own
    msg["Subject"] = subject(token)
    msg["Date"] = format_datetime(datetime.now().astimezone())
    msg["Message-ID"] = f"<tuimail-doctor.{token}@{account.domain or 'localhost'}>"
    msg[HEADER] = token
    msg["Auto-Submitted"] = "auto-generated"  # RFC 3834: no vacation replies to it
    msg.set_content(
        "This message was sent by `tuimail doctor` to check that mail sent from this\n"
        "account arrives in its inbox. It is deleted automatically; if you see it,\n"
        "you can delete it.\n"
    )
    return bytes(msg)


def subject(token: str) -> str:
    """The test message's subject (a token, no sentence)."""
    return f"tuimail doctor test {token}"


# -- outcomes -------------------------------------------------------------------------


def _refused(account: Account, exc: SubmitError, took: float) -> CheckResult:
    """The round trip's finding for a refused submission: the typed error, its record and
    the cause, decided from the error (its class, reply code, RFC 3463 enhanced code and
    SMTP stage), never its words. The edge words it and the cause's fix
    (tuimail.doctor_words)."""
    data = {
        "finding": "submit-refused",
        "submit": exc.record(),
        "cause": _refusal_cause(exc),
        "email": account.email,
    }
    return CheckResult("round trip", GROUP, "failure", "", "", took, exc.error, data)


def _refusal_words(refusal: object) -> str:
    """The server's words of a refused recipient (smtp.recipient_refusal), "" for one
    refused here before sending (a problem key, not the server's)."""
    if isinstance(refusal, dict):
        return str(refusal.get("server_text") or "") if "code" in refusal else ""
    return str(refusal).partition(" ")[2]  # an older record: "550 5.7.1 ..."


def _refusal_cause(exc: SubmitError) -> str:
    """Why the outgoing server refused the test message: "security", "unreachable" (no
    connection: nothing reached it), "lost" (the connection broke before the message
    went out), "login", "relay", "login-required", "sender", "own-address", "temporary"
    or "other"."""
    from tuimail.core.errors import AuthenticationFailed
    from tuimail.core.smtp_errors import enhanced_code

    error = exc.error
    enhanced = getattr(error, "enhanced", None)
    refused_codes = [_refusal_words(r) for r in exc.refused.values()]
    relay = any(enhanced_code(r) == "5.7.1" for r in refused_codes)
    if exc.kind == "security":
        return "security"
    if exc.reason in ("unreachable", "lost"):
        return exc.reason
    if isinstance(error, AuthenticationFailed):
        return "login"
    if relay or (exc.stage == "RCPT" and enhanced == "5.7.1"):
        return "relay"
    if exc.code == 530 or enhanced == "5.7.0":
        return "login-required"
    if exc.stage == "MAIL FROM" or exc.reason == "sender-invalid":
        return "sender"
    if exc.refused:
        return "own-address"
    if exc.kind == "temporary":
        return "temporary"
    return "other"


def _unconfirmed(exc: SubmitError, arrived: bool, took: float) -> CheckResult:
    """The outgoing server did not confirm the test message (the connection broke at the
    end of DATA): a warning when it arrived all the same, else a failure. The typed
    error (ConnectionLost, TimedOut) travels in the result, worded at the edge."""
    from tuimail.core.errors import ConnectionLost

    error = exc.error or ConnectionLost(protocol="smtp")
    status = "warning" if arrived else "failure"
    data = {"finding": "unconfirmed", "arrived": arrived, "stage": exc.stage}
    return CheckResult("round trip", GROUP, status, "", "", took, error, data)


def _timed_out(waiter: _Waiter, limit: float, accepted: float) -> CheckResult:
    """Not in INBOX by the deadline: a warning when a spam filter filed it in the junk
    folder ("junk": the folder, whether it was deleted there), else a failure."""
    junk = waiter.look_in_junk()
    if junk is not None:
        folder, seen, deleted = junk
        data = {"finding": "junk", "folder": folder, "deleted": deleted}  # edge words
        return CheckResult("round trip", GROUP, "warning", "", "", seen - accepted, data=data)
    data = {"finding": "not-arrived", "limit": limit}  # worded at the edge
    return CheckResult(
        "round trip", GROUP, "failure", "", "", time.monotonic() - accepted, data=data
    )


def _cleanup(status: str, finding: str, folder: str | None) -> CheckResult:
    """The clean-up's finding as data: "deleted" (from `folder`, None: the POP3 server),
    "gone" (no longer on the POP3 server: another program took it first), "moved" (to `folder`, the Trash: no UIDPLUS) or "left-marked" (marked \\Deleted in
    `folder`: no UIDPLUS and no MOVE); worded at the edge."""
    data = {"finding": finding, "folder": folder}
    return CheckResult("clean up", GROUP, status, "", data=data)  # type: ignore[arg-type]


def _not_deleted(exc: BaseException, protocol: str) -> CheckResult:
    """The clean-up warning for a test message the server would not delete: its typed
    error (none for a read-only INBOX: `read-only` says so), worded at the edge."""
    error = _typed(exc)
    data = {"finding": "not-deleted", "read-only": error is None, "protocol": protocol}
    return CheckResult("clean up", GROUP, "warning", "", "", 0.0, error, data)


def _typed(exc: BaseException) -> MailError | None:
    """The typed error for a failure of the incoming connection, from the protocol's
    classifier (None for a read-only INBOX, which is no error of the server's)."""
    if isinstance(exc, _Lost):
        return exc.error
    if isinstance(exc, MailError):
        return exc
    if isinstance(exc, poplib.error_proto):
        from tuimail.core.pop3_errors import classify_pop3

        return classify_pop3(exc)
    if isinstance(exc, imaplib.IMAP4.readonly):
        return None
    if isinstance(exc, IMAPClientError):
        from tuimail.core.imap.errors import classify_imap

        return classify_imap(exc)
    from tuimail.core.net_errors import classify_transport

    return classify_transport(exc)


# -- waiting in the incoming mailbox --------------------------------------------------


class _Waiter:
    how = ""  # how its arrival was seen: "idle", "search" or "pop3" (worded at the edge)

    def __init__(
        self,
        account: Account,
        password: Secret,
        timeout: float,
        token: str,
        address: str | None = None,
    ):
        self.account, self.password, self.timeout, self.token = account, password, timeout, token
        self.address = address
        self.heard = f"doctor round trip {id(self)}"  # its connection's alerts (server_alerts)

    def open(self) -> None:
        raise NotImplementedError

    def wait(self, deadline: float) -> float | None:
        """The monotonic time the message was seen, or None at the deadline."""
        raise NotImplementedError

    def delete(self) -> CheckResult:
        raise NotImplementedError

    def look_in_junk(self) -> tuple[str, float, bool] | None:
        """(junk folder, when seen, deleted there) if the message was filed there."""
        return None

    def close(self) -> None:
        pass


class _IMAPWaiter(_Waiter):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.client: imapclient.IMAPClient | None = None
        self.caps: set[str] = set()
        self.idling = False
        self.uid: int | None = None
        self.junk: str | None = None  # the special-use Junk folder, if any
        self.junk_uid: int | None = None
        self.junk_seen = 0.0
        self.early: list = []  # news the server sent before its IDLE continuation

    def open(self) -> None:
        client = open_imap(
            self.account.incoming, self.account.ca_file, self.timeout, address=self.address
        )
        self.client = client
        from tuimail.core import server_alerts

        server_alerts.attach(client._imap, self.heard)  # said by check_roundtrip
        from tuimail.core.imap.errors import classify_imap
        from tuimail.core.imap.login import imap_login
        from tuimail.core.imap.session import close_quietly, drop_quietly, keeps_connection

        try:
            imap_login(client, self.account.login, self.password, host=self.account.incoming.host)
        except (imapclient.exceptions.LoginError, MailError) as exc:
            error = exc if isinstance(exc, MailError) else classify_imap(exc, login=True)
            # Closed here (the caller closes only a waiter that opened): left open, the
            # connection stayed until the process ended. No LOGOUT on one out of step.
            (close_quietly if keeps_connection(exc) else drop_quietly)(client)
            self.client = None
            raise _Lost(error) from exc
        self.caps = {c.decode().upper() for c in client.capabilities()}
        junk = _special_folder(client, b"\\Junk")
        self.junk = junk if junk and junk.upper() != "INBOX" else None
        client.select_folder("INBOX")
        if "IDLE" in self.caps:
            try:  # before sending, so the arrival is announced
                self.early = start_idle(client)
                self.idling = True
                self.how = "idle"
            except IdleRefused:  # advertised, then refused: searched for instead
                self.caps.discard("IDLE")
                self.how = "search"
        else:
            self.how = "search"

    def _search(self) -> list[int]:
        """The UIDs of the test message: those the server's SEARCH names whose header
        really carries the token (the newest few). The one found is deleted afterwards:
        a server that answered SEARCH with the wrong UIDs (hostile, or one ignoring the
        HEADER key) had the user's newest message deleted instead."""
        client = self.client
        assert client is not None
        found = sorted({u for u in client.search(["HEADER", HEADER, self.token]) if u > 0})
        found = found[-CHECKED_UIDS:]
        if not found:
            return []
        item = f"BODY.PEEK[HEADER.FIELDS ({HEADER.upper()})]"
        data = client.fetch(found, [item])
        token = self.token.encode()
        ours = []
        for uid in found:
            fields = data.get(uid) or {}
            header = b"".join(
                v for k, v in fields.items() if isinstance(k, bytes) and isinstance(v, bytes)
                and k.upper().startswith(b"BODY[HEADER")
            )  # fmt: skip
            if token in header:
                ours.append(uid)
        return ours

    def _idle_done(self) -> None:
        if self.idling and self.client is not None:
            self.idling = False
            self.client.idle_done()

    def wait(self, deadline: float) -> float | None:
        """Seen in INBOX: when; None at the deadline or as soon as it shows up in Junk."""
        client = self.client
        assert client is not None
        recheck = time.monotonic() + IDLE_RECHECK_SECONDS
        while True:
            now = time.monotonic()
            if self.idling:
                early, self.early = self.early, []  # said before the continuation
                responses = early or idle_responses(client, max(0.0, min(deadline, recheck) - now))
                announced = any(len(r) > 1 and r[1] == b"EXISTS" for r in responses)
                if not announced and time.monotonic() < min(deadline, recheck):
                    continue
                self._idle_done()
            else:
                client.noop()
            uids = self._search()
            seen = time.monotonic()
            if uids:
                self.uid = uids[-1]
                return seen
            if seen >= deadline:
                return None
            if seen >= recheck:  # a spam filter does not announce itself in INBOX
                recheck = seen + IDLE_RECHECK_SECONDS
                if self._junk_search():
                    return None
            if "IDLE" in self.caps:
                self.early = start_idle(client)
                self.idling = True
            else:
                time.sleep(min(IMAP_POLL_SECONDS, max(0.0, deadline - seen)))

    def _junk_search(self) -> bool:
        """Look for the message in the junk folder (INBOX selected again after)."""
        client = self.client
        if client is None or self.junk is None:
            return False
        client.select_folder(self.junk, readonly=True)
        try:
            uids = self._search()
        finally:
            client.select_folder("INBOX")
        if uids:
            self.junk_uid, self.junk_seen = uids[-1], time.monotonic()
        return bool(uids)

    def delete(self) -> CheckResult:
        assert self.client is not None and self.uid is not None
        try:
            return self._delete(self.uid, "INBOX")
        except _IO_ERRORS as exc:
            return _not_deleted(exc, "imap")

    def _delete(self, uid: int, folder: str) -> CheckResult:
        client = self.client
        assert client is not None
        if "UIDPLUS" in self.caps:
            client.delete_messages([uid])
            client.uid_expunge([uid])  # only this message, never others marked \Deleted
            return _cleanup("ok", "deleted", folder)
        trash = _special_folder(client, b"\\Trash")
        if "MOVE" in self.caps and trash and trash != folder:
            client.move([uid], trash)
            return _cleanup("ok", "moved", trash)
        client.delete_messages([uid])  # never a plain EXPUNGE: it takes others' \Deleted too
        return _cleanup("warning", "left-marked", folder)

    def look_in_junk(self) -> tuple[str, float, bool] | None:
        try:
            self._idle_done()
            if self.junk_uid is None and not self._junk_search():
                return None
            assert self.client is not None and self.junk is not None
            self.client.select_folder(self.junk)
            try:
                deleted = self._delete(self.junk_uid, self.junk).status == "ok"
            except _IO_ERRORS:
                deleted = False
            return self.junk, self.junk_seen, deleted
        except _IO_ERRORS:
            return None

    def close(self) -> None:
        if self.client is None:
            return
        try:
            self._idle_done()
            self.client.logout()
        except Exception:
            try:
                self.client.shutdown()
            except Exception:
                pass


def _special_folder(client: imapclient.IMAPClient, flag: bytes) -> str | None:
    """The folder with this SPECIAL-USE flag, else imapclient's name heuristics."""
    try:
        from tuimail.core.imap.names import list_folders

        for entry in list_folders(client)[0]:
            flags, name = entry.flags, entry.name
            if flag in flags or flag.lower() in {f.lower() for f in flags}:
                return name
    except _IO_ERRORS:
        return None
    return client.find_special_folder(flag)


class _POP3Waiter(_Waiter):
    how = "pop3"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.before: set[str] = set()
        self.checked: set[str] = set()
        self.key: str | None = None

    def _session(self) -> poplib.POP3:
        pop = open_pop3(
            self.account.incoming, self.account.ca_file, self.timeout, address=self.address
        )
        from tuimail.core.pop3 import pop3_login
        from tuimail.core.pop3_errors import classify_pop3

        try:
            pop3_login(pop, self.account.login, self.password, host=self.account.incoming.host)
        except (poplib.error_proto, MailError) as exc:
            _quit(pop)
            error = exc if isinstance(exc, MailError) else classify_pop3(exc, login=True)
            raise _Lost(error) from exc
        return pop

    def open(self) -> None:
        pop = self._session()
        try:
            self.before = {key for _num, key in _listing(pop)}
        finally:
            _quit(pop)

    def _with_session(self, work: Callable[[poplib.POP3], float | None]) -> float | None:
        pop = self._session()
        try:
            return work(pop)
        finally:
            _quit(pop)

    def wait(self, deadline: float) -> float | None:
        interval = POP3_POLL_START
        while True:
            seen = self._with_session(self._find)
            if seen is not None:
                return seen
            now = time.monotonic()
            if now >= deadline:
                return None
            time.sleep(min(interval, deadline - now))
            interval = min(interval * 1.5, POP3_POLL_MAX)

    def _find(self, pop: poplib.POP3) -> float | None:
        for num, key in _listing(pop):
            if key in self.before or key in self.checked:
                continue
            if self.token.encode() in _headers(pop, num):
                self.key = key
                return time.monotonic()
            self.checked.add(key)
        return None

    def delete(self) -> CheckResult:
        def dele(pop: poplib.POP3) -> bool:
            """True once deleted; False when it is no longer listed (another program
            downloaded and deleted it first)."""
            for num, key in _listing(pop):
                if key == self.key:
                    pop.dele(num)
                    resp = pop.quit()  # the deletion happens at QUIT
                    if not resp.startswith(b"+OK"):
                        raise poplib.error_proto(resp)
                    return True
            _quit(pop)
            return False

        try:
            pop = self._session()
            try:
                deleted = dele(pop)
            except BaseException:
                _quit(pop)
                raise
        except (_Lost, *_IO_ERRORS) as exc:
            return _not_deleted(exc, "pop3")
        return _cleanup("ok", "deleted" if deleted else "gone", None)


def _listing(pop: poplib.POP3) -> list[tuple[int, str]]:
    """(message number, key): the UIDL, or number:size when the server has no UIDL."""
    try:
        _resp, lines, _octets = pop.uidl()
        items = [line.decode("utf-8", "replace").split(" ", 1) for line in lines]
        return [(int(n), uid) for n, uid in items]
    except poplib.error_proto:
        _resp, lines, _octets = pop.list()
        items = [line.decode("ascii", "replace").split() for line in lines]
        return [(int(n), f"{n}:{size}") for n, size in items]


def _headers(pop: poplib.POP3, num: int) -> bytes:
    try:
        _resp, lines, _octets = pop.top(num, 0)
    except poplib.error_proto:
        _resp, lines, _octets = pop.retr(num)
    return b"\n".join(lines)


def _quit(pop: poplib.POP3) -> None:
    try:
        pop.quit()
    except (OSError, AttributeError, poplib.error_proto):
        try:
            pop.close()
        except (OSError, AttributeError):
            pass
