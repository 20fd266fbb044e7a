"""One IMAP connection: state, the command loop, and every command handler.

Each session keeps its own view of the selected mailbox (a sorted list of UIDs; the
sequence number is the index + 1). Changes made by anyone arrive from the store; they are
turned into EXISTS / EXPUNGE / FETCH responses only between commands (EXPUNGE never
during a non-UID FETCH, STORE or SEARCH, RFC 3501 7.4.1), or at once while idling.
"""

from __future__ import annotations

import asyncio
import base64
import logging
import re
from bisect import bisect_left
from datetime import UTC, datetime, timedelta, timezone
from typing import TYPE_CHECKING

from testserver import faults as faultlib
from testserver import sasl_oauth
from testserver.faults import Fault
from testserver.imap import fetch as fetchlib
from testserver.imap.notify import NotifyWants, deleted_line, parse_notify, renamed_line
from testserver.imap.parser import (
    TAG_RE,
    BadCommand,
    LiteralTooBig,
    astring,
    format_seqset,
    is_atom,
    mailbox_arg,
    mailbox_out,
    number,
    parse_seqset,
    read_command,
    resolve_seqs,
    resolve_uids,
    tokenize,
)
from testserver.imap.search import Context, parse_search
from testserver.mailstore import DELIMITER, SYSTEM_FLAGS, StoreError, StoreEvent, User
from testserver.pop3 import AuthAttempt

if TYPE_CHECKING:
    from testserver.imap.server import IMAPServer

log = logging.getLogger("testserver.imap")

CHUNK = 64 * 1024
BASE_CAPS = (
    "IMAP4rev1",
    "SASL-IR",
    "LITERAL+",
    "ID",
    "ENABLE",
    "IDLE",
    "NAMESPACE",
    "UIDPLUS",
    "MOVE",
    "CONDSTORE",
    "QRESYNC",
    "SPECIAL-USE",
    "LIST-EXTENDED",
    "LIST-STATUS",
    "UNSELECT",
    "CHILDREN",
    "QUOTA",
    "ESEARCH",
    "NOTIFY",
)
STATUS_ITEMS = ("MESSAGES", "RECENT", "UIDNEXT", "UIDVALIDITY", "UNSEEN", "HIGHESTMODSEQ", "SIZE")
# Commands that vanish when their capability is disabled (IMAPServer(disable=...)).
COMMAND_CAPABILITY = {
    "IDLE": "IDLE",
    "UNSELECT": "UNSELECT",
    "MOVE": "MOVE",
    "ID": "ID",
    "NAMESPACE": "NAMESPACE",
    "ENABLE": "ENABLE",
    "GETQUOTA": "QUOTA",
    "GETQUOTAROOT": "QUOTA",
    "NOTIFY": "NOTIFY",
}
FLAG_ORDER = {f: i for i, f in enumerate(SYSTEM_FLAGS)}
SELECT_FLAGS = ("\\Answered", "\\Flagged", "\\Deleted", "\\Seen", "\\Draft")  # Dovecot's order
APPEND_DATE = re.compile(
    r"\s?(\d{1,2})-([A-Za-z]{3})-(\d{4}) (\d\d):(\d\d):(\d\d) ([+-])(\d\d)(\d\d)\Z"
)
MONTHS = {m.lower(): i for i, m in enumerate(fetchlib.MONTHS, 1)}


class No(Exception):
    """A tagged NO; the message (with any [CODE]) goes to the client as it is."""


class Bye(Exception):
    """Send '* BYE <message>' and close."""


class Drop(Exception):
    """Close the connection without another word."""


class Selected:
    def __init__(self, name: str, readonly: bool, uids: list[int], uidvalidity: int) -> None:
        self.name = name
        self.readonly = readonly
        self.uids = uids
        self.max_uid = uids[-1] if uids else 0
        self.uidvalidity = uidvalidity
        self.pending_flags: set[int] = set()
        self.keywords: set[str] = set()  # announced in FLAGS so far
        self.gone: str | None = None

    def seq_of(self, uid: int) -> int | None:
        i = bisect_left(self.uids, uid)
        if i < len(self.uids) and self.uids[i] == uid:
            return i + 1
        return None


def format_flags(flags: set[str]) -> bytes:
    ordered = sorted(flags, key=lambda f: (FLAG_ORDER.get(f, 99), f))
    return b"(" + " ".join(ordered).encode("utf-8", "replace") + b")"


class Session:
    def __init__(
        self,
        server: IMAPServer,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        port: str,
        faults: list[Fault],
    ) -> None:
        self.server = server
        self.store = server.store
        self.reader = reader
        self.writer = writer
        self.port = port
        self.tls = port == "tls"
        self.faults = faults
        self.user: User | None = None
        self.sel: Selected | None = None
        self.condstore = False
        self.qresync = False
        self.busy = False
        self.closed = False
        self.out: list[bytes] = []
        self.out_size = 0
        self.sent = 0
        self.loop = asyncio.get_running_loop()
        self.wake = asyncio.Event()
        self._wake_scheduled = False
        self.notify = NotifyWants()  # NOTIFY SET: what to tell about other mailboxes
        self.notices: list[bytes] = []  # NOTIFY lines not sent yet
        self._unsubscribe = None
        delay = faultlib.find(faults, "delay")
        self.delay = delay.delay if delay else 0.0
        self.drip = faultlib.find(faults, "drip")
        drop = next((f for f in faults if f.kind == "drop" and f.after_bytes is not None), None)
        self.drop_after = drop.after_bytes if drop else None

    # -- output -----------------------------------------------------------------------

    def put(self, line: bytes | str) -> None:
        if isinstance(line, str):
            line = line.encode("utf-8")
        self.out.append(line + b"\r\n")
        self.out_size += len(line) + 2

    async def flush(self) -> None:
        if not self.out:
            return
        data = b"".join(self.out)
        self.out.clear()
        self.out_size = 0
        await self.send(data)

    async def send(self, data: bytes) -> None:
        if self.closed:
            raise Drop()
        if self.delay:
            await asyncio.sleep(self.delay)
        if self.drop_after is not None and self.sent + len(data) >= self.drop_after:
            room = max(self.drop_after - self.sent, 0)
            if room:
                self.writer.write(data[:room])
                await self.writer.drain()
            raise Drop()
        if self.drip is not None:
            step = max(self.drip.chunk, 1)
            for i in range(0, len(data), step):
                self.writer.write(data[i : i + step])
                await self.writer.drain()
                await asyncio.sleep(self.drip.delay)
        else:
            self.writer.write(data)
            await self.writer.drain()
        self.sent += len(data)

    # -- capabilities -----------------------------------------------------------------

    def capabilities(self) -> str:
        caps = list(BASE_CAPS)
        if not self.tls:
            if not faultlib.find(self.faults, "no_starttls") and not faultlib.find(
                self.faults, "strip_starttls"
            ):
                caps.append("STARTTLS")
            if not faultlib.find(self.faults, "strip_starttls"):
                caps.append("LOGINDISABLED")
        elif self.user is None:
            if faultlib.find(self.faults, "oauth_only"):
                caps.append("LOGINDISABLED")
            else:
                caps.append("AUTH=PLAIN")
            if self.store.tokens is not None:
                caps += ["AUTH=OAUTHBEARER", "AUTH=XOAUTH2", "SASL-IR"]
        hidden = {c.upper() for c in self.server.disabled}
        for fault in self.faults:
            if fault.kind == "no_capability" and fault.data:
                hidden.add(fault.data.decode("ascii", "replace").upper())
        return " ".join(c for c in caps if c.upper() not in hidden)

    def has(self, capability: str) -> bool:
        return capability.upper() not in {c.upper() for c in self.server.disabled}

    # -- the connection ---------------------------------------------------------------

    async def run(self) -> None:
        graceful = True
        try:
            await self._run()
        except Drop:
            graceful = False  # a fault: cut the connection, no TLS close_notify
        except (ConnectionError, asyncio.IncompleteReadError, TimeoutError):
            pass
        except Bye as bye:
            await self._bye(str(bye))
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("IMAP session failed")
        finally:
            self.close(graceful)

    async def _bye(self, text: str) -> None:
        try:
            self.put(f"* BYE {text}")
            await self.flush()
        except Exception:
            pass

    def close(self, graceful: bool = False) -> None:
        """Graceful: what was written still goes out; otherwise the connection is cut."""
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
        if not self.closed:
            self.closed = True
            try:
                if graceful:
                    self.writer.close()
                else:
                    self.writer.transport.abort()
            except Exception:
                pass

    async def _run(self) -> None:
        silent = faultlib.find(self.faults, "silent")
        if silent:
            await faultlib.stay_silent(self.reader, silent, self.server.idle_timeout)
            return
        bye = next((f for f in self.faults if f.kind == "bye" and not f.command), None)
        if bye is not None:
            raise Bye(bye.message or "Server shutting down.")
        self.put(
            f"* OK [CAPABILITY {self.capabilities()}] {self.server.hostname} "
            "tuimail test server ready."
        )
        await self.flush()
        while not self.closed:
            try:
                raw = await asyncio.wait_for(
                    read_command(self.reader, self.server.max_literal, self._continue),
                    self.server.idle_timeout,
                )
            except TimeoutError as exc:
                raise Bye("Disconnected for inactivity.") from exc
            except asyncio.LimitOverrunError as exc:
                raise Bye("Command line too long.") from exc
            except ValueError as exc:  # StreamReader wraps LimitOverrunError in ValueError
                raise Bye("Command line too long.") from exc
            except LiteralTooBig as big:
                if big.nonsync:
                    self.put(f"{big.tag} BAD [TOOBIG] Literal too big.")
                    raise Bye("Literal too big.") from None
                self.put(f"{big.tag} NO [TOOBIG] Literal too big.")
                await self.flush()
                continue
            if not raw:
                return
            await self.handle(raw)

    async def _continue(self) -> None:
        self.put("+ OK")
        await self.flush()

    async def handle(self, raw: bytes) -> None:
        first = raw.split(b" ", 1)[0].strip().decode("latin-1")
        tag = first if TAG_RE.match(first) and b" " in raw.strip() else "*"
        try:
            tokens = tokenize(raw)
            if not tokens or not isinstance(tokens[0], str) or not TAG_RE.match(tokens[0]):
                raise BadCommand("Error in IMAP command received by server.")
            tag = tokens[0]
            if len(tokens) < 2 or not isinstance(tokens[1], str):
                raise BadCommand("Error in IMAP command received by server.")
            command = tokens[1].upper()
            args = tokens[2:]
            for fault in self.faults:
                if (fault.command or "").upper() != command:
                    continue
                if fault.kind == "drop" and fault.after_bytes is None:
                    raise Drop()
                if fault.kind == "bye":
                    raise Bye(fault.message or "Server shutting down.")
                if fault.kind == "garbage" and (
                    fault.match is None or (self.sel is not None and self.sel.name == fault.match)
                ):
                    await self.send(fault.data)  # instead of an answer; the session goes on
                    return
            self.busy = True
            result = await self.dispatch(tag, command, args)
            if result is None:
                return
            self.put(f"{tag} {result}")
        except BadCommand as exc:
            self.put(f"{tag} BAD {exc}")
        except No as exc:
            self.put(f"{tag} NO {exc}")
        except StoreError as exc:
            self.put(f"{tag} NO {exc}")
        except (Bye, Drop, ConnectionError, asyncio.IncompleteReadError):
            raise
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("IMAP command failed")
            self.put(f"{tag} NO [SERVERBUG] Internal error occurred.")
        finally:
            self.busy = False
        await self.flush()

    async def dispatch(self, tag: str, command: str, args: list) -> str | None:
        any_state = {"CAPABILITY", "NOOP", "LOGOUT", "ID"}
        not_auth = {"STARTTLS", "LOGIN", "AUTHENTICATE"}
        auth = {
            "ENABLE",
            "SELECT",
            "EXAMINE",
            "CREATE",
            "DELETE",
            "RENAME",
            "SUBSCRIBE",
            "UNSUBSCRIBE",
            "LIST",
            "LSUB",
            "STATUS",
            "APPEND",
            "NAMESPACE",
            "IDLE",
            "GETQUOTA",
            "GETQUOTAROOT",
            "NOTIFY",
        }
        selected = {
            "CHECK",
            "CLOSE",
            "UNSELECT",
            "EXPUNGE",
            "SEARCH",
            "FETCH",
            "STORE",
            "COPY",
            "MOVE",
            "UID",
        }
        if command in any_state:
            pass
        elif command in not_auth:
            if self.user is not None:
                raise BadCommand("Already logged in.")
        elif command in auth:
            if self.user is None:
                raise BadCommand("Not logged in.")
        elif command in selected:
            if self.user is None:
                raise BadCommand("Not logged in.")
            if self.sel is None:
                raise BadCommand("No mailbox selected.")
        else:
            raise BadCommand("Unknown command.")
        needs = COMMAND_CAPABILITY.get(command)
        if needs is not None and not self.has(needs):
            raise BadCommand("Unknown command.")  # its capability is disabled
        if self.sel is not None and self.sel.gone == "renamed" and command != "LOGOUT":
            raise Bye("IMAP session state is inconsistent, please relogin.")  # as Dovecot
        handler = getattr(self, "cmd_" + command.lower())
        allow_expunge = command not in ("FETCH", "STORE", "SEARCH")
        result = await handler(tag, args)
        if result is not None and (self.sel is not None or self.notices):
            self.put_updates(allow_expunge, idling=command == "IDLE")
        return result

    # -- change notification ----------------------------------------------------------

    def _on_event(self, event: StoreEvent) -> None:
        """Called by the store, under its lock, from any thread."""
        sel = self.sel
        if self.user is None or event.login != self.user.login:
            return
        if self.notify.mailbox_names and event.kind in ("renamed", "deleted"):
            line = (
                renamed_line(event.folder, event.new_name or "", self._mailbox_out)
                if event.kind == "renamed"
                else deleted_line(event.folder, self._mailbox_out)
            )
            self.loop.call_soon_threadsafe(self._notice, line)
        if sel is None or event.folder != sel.name:
            return
        if event.kind == "flags" and event.uid is not None:
            sel.pending_flags.add(event.uid)
        elif event.kind == "renamed":
            # As Dovecot: nothing said at once (not during IDLE either); the next
            # command is answered with BYE ("session state is inconsistent").
            sel.gone = "renamed"
        elif event.kind in ("uidvalidity", "deleted"):
            sel.gone = event.kind
            self.loop.call_soon_threadsafe(self._gone_now)
        if not self._wake_scheduled:
            self._wake_scheduled = True
            self.loop.call_soon_threadsafe(self._set_wake)

    def _set_wake(self) -> None:
        self._wake_scheduled = False
        self.wake.set()

    def _notice(self, line: bytes) -> None:
        self.notices.append(line)
        self.wake.set()

    def _gone_now(self) -> None:
        """The selected mailbox vanished or was renumbered: Dovecot disconnects at once."""
        if self.busy or self.closed:
            return  # the running command (or IDLE) sends the BYE
        text = (
            "Mailbox UIDVALIDITY changed"
            if self.sel and self.sel.gone == "uidvalidity"
            else "Selected mailbox was deleted, have to disconnect."
        )
        try:
            self.writer.write(f"* BYE {text}\r\n".encode())
        except Exception:
            pass
        self.close(graceful=True)

    def put_updates(self, allow_expunge: bool = True, idling: bool = False) -> None:
        notices, self.notices = self.notices, []
        for line in notices:
            self.put(line)
        sel = self.sel
        user = self.user
        if sel is None or user is None:
            return
        if sel.gone == "renamed":
            if idling:
                return  # Dovecot says nothing during IDLE: BYE at the next command
            raise Bye("IMAP session state is inconsistent, please relogin.")
        with self.store.lock:
            folder = user.folders.get(sel.name)
            if sel.gone == "uidvalidity" or (folder and folder.uidvalidity != sel.uidvalidity):
                raise Bye("Mailbox UIDVALIDITY changed")
            if folder is None or sel.gone:
                raise Bye("Selected mailbox was deleted, have to disconnect.")
            msgs = folder.messages
            # Order as Dovecot: flag changes (old numbers), then EXPUNGE, then EXISTS.
            if sel.pending_flags:
                self._announce_keywords(
                    [m for uid in sel.pending_flags if (m := msgs.get(uid)) is not None]
                )
                for uid in sorted(sel.pending_flags):
                    message = msgs.get(uid)
                    seq = sel.seq_of(uid)
                    if message is None or seq is None:
                        continue
                    line = b"* %d FETCH (UID %d FLAGS %s" % (seq, uid, format_flags(message.flags))
                    if self.condstore:
                        line += b" MODSEQ (%d)" % message.modseq
                    self.put(line + b")")
                sel.pending_flags.clear()
            new: list[int] = []
            if folder.uidnext - 1 > sel.max_uid:
                for uid in reversed(msgs):
                    if uid <= sel.max_uid:
                        break
                    new.append(uid)
                new.reverse()
            if allow_expunge and len(msgs) - len(new) < len(sel.uids):
                keep = []
                removed = []
                for uid in sel.uids:
                    if uid in msgs:
                        keep.append(uid)
                    else:
                        removed.append(uid)
                        if not self.qresync:
                            self.put(b"* %d EXPUNGE" % (len(keep) + 1))
                if self.qresync and removed:
                    self.put("* VANISHED " + format_seqset(removed))
                sel.uids = keep
            if new:
                self._announce_keywords([msgs[uid] for uid in new])
                sel.uids.extend(new)
                sel.max_uid = new[-1]
                self.put(b"* %d EXISTS" % len(sel.uids))

    # -- any state --------------------------------------------------------------------

    async def cmd_capability(self, tag: str, args: list) -> str:
        self.put(f"* CAPABILITY {self.capabilities()}")
        return "OK Capability completed."

    async def cmd_noop(self, tag: str, args: list) -> str:
        return "OK NOOP completed."

    async def cmd_check(self, tag: str, args: list) -> str:
        return "OK Check completed."

    async def cmd_logout(self, tag: str, args: list) -> None:
        self.put("* BYE Logging out")
        self.put(f"{tag} OK Logout completed.")
        await self.flush()
        self.close(graceful=True)
        return None

    async def cmd_id(self, tag: str, args: list) -> str:
        self.put('* ID ("name" "tuimail-testserver" "version" "1")')
        return "OK ID completed."

    # -- not authenticated ------------------------------------------------------------

    async def cmd_starttls(self, tag: str, args: list) -> None:
        if self.tls:
            raise BadCommand("TLS is already active.")
        if faultlib.find(self.faults, "no_starttls"):
            raise BadCommand("Unknown command.")
        bad = faultlib.find(self.faults, "starttls_bad")
        if bad is not None:
            raise BadCommand(bad.message or "STARTTLS is not available now.")
        inject = faultlib.find(self.faults, "inject_before_starttls")
        if inject is not None:
            self.out.append(inject.data)
        self.put(f"{tag} OK Begin TLS negotiation now.")
        await self.flush()
        if faultlib.find(self.faults, "starttls_fail"):
            raise Drop()
        inject = faultlib.find(self.faults, "inject_after_starttls")
        if inject is not None:
            self.writer.write(inject.data)
            await self.writer.drain()
        # Anything the client pipelined after STARTTLS arrived in plaintext: drop it.
        buffer = getattr(self.reader, "_buffer", None)
        if buffer:
            buffer.clear()
        try:
            await self.writer.start_tls(self.server.ssl_context, ssl_handshake_timeout=30)
        except Exception as exc:
            raise Drop() from exc
        self.tls = True
        return None

    def _login_allowed(self) -> None:
        if faultlib.find(self.faults, "oauth_only"):
            raise No("[CANNOT] Password logins are disabled here: use OAUTHBEARER or XOAUTH2.")
        if not self.tls:
            raise No(
                "[PRIVACYREQUIRED] Plaintext authentication disallowed on non-secure "
                "(SSL/TLS) connections."
            )

    def _logged_in(self, user: User) -> str:
        self.user = user
        self._unsubscribe = self.store.subscribe(self._on_event)
        return f"OK [CAPABILITY {self.capabilities()}] Logged in"

    def _record_auth(self, login: str, user: User | None) -> None:
        """Every LOGIN/AUTHENTICATE that carried a password (never the password)."""
        self.server.auth_log.append(AuthAttempt(login, user is not None, self.tls, self.port))

    async def cmd_login(self, tag: str, args: list) -> str:
        if len(args) != 2:
            raise BadCommand("LOGIN needs a user name and a password.")
        if not self.tls:  # the password already crossed the network in clear
            self._record_auth(astring(args[0]), None)
        self._login_allowed()
        refuse = faultlib.find(self.faults, "login_reply")
        if refuse:
            raise No(refuse.message or "[AUTHENTICATIONFAILED] Authentication failed.")
        user = self.store.authenticate(astring(args[0]), astring(args[1]))
        self._record_auth(astring(args[0]), user)
        if user is None:
            raise No("[AUTHENTICATIONFAILED] Authentication failed.")
        return self._logged_in(user)

    async def cmd_authenticate(self, tag: str, args: list) -> str:
        if not args or not isinstance(args[0], str):
            raise BadCommand("AUTHENTICATE needs a mechanism.")
        mechanism = args[0].upper()
        if mechanism in sasl_oauth.MECHANISMS and self.store.tokens is not None:
            return await self._authenticate_oauth(mechanism, args)
        if mechanism != "PLAIN":
            raise No("Unsupported authentication mechanism.")
        self._login_allowed()
        if len(args) > 1:
            response = astring(args[1])
        else:
            self.put("+ ")
            await self.flush()
            line = await asyncio.wait_for(self.reader.readuntil(b"\n"), self.server.idle_timeout)
            response = line.decode("ascii", "replace").strip()
        if response == "*":
            raise BadCommand("Authentication aborted by client.")
        try:
            decoded = base64.b64decode("" if response == "=" else response, validate=True)
            authz, login, password = decoded.split(b"\0")
            login_s, password_s = login.decode("utf-8"), password.decode("utf-8")
        except ValueError as exc:
            raise BadCommand("Invalid base64 data in continued response") from exc
        if authz and authz != login:
            raise No("[AUTHORIZATIONFAILED] Authorization failed.")  # no master users here
        user = self.store.authenticate(login_s, password_s)
        self._record_auth(login_s, user)
        if user is None:
            raise No("[AUTHENTICATIONFAILED] Authentication failed.")
        return self._logged_in(user)

    async def _continuation(self, challenge: bytes = b"") -> str:
        self.put("+ " + base64.b64encode(challenge).decode("ascii"))
        await self.flush()
        line = await asyncio.wait_for(self.reader.readuntil(b"\n"), self.server.idle_timeout)
        return line.decode("ascii", "replace").strip()

    async def _authenticate_oauth(self, mechanism: str, args: list) -> str:
        """OAUTHBEARER / XOAUTH2 (SASL-IR or one continuation); a bad token gets the error
        challenge, the client's dummy answer, then NO [AUTHENTICATIONFAILED]."""
        if not self.tls:
            raise No("[PRIVACYREQUIRED] Authentication needs TLS.")
        response = astring(args[1]) if len(args) > 1 else await self._continuation()
        if response == "*":
            raise BadCommand("Authentication aborted by client.")
        try:
            decoded = base64.b64decode("" if response == "=" else response, validate=True)
        except ValueError as exc:
            raise BadCommand("Invalid base64 data in continued response") from exc
        login, _why = sasl_oauth.check(self.store.tokens, mechanism, decoded)
        user = self.store.user(login) if login else None
        self._record_auth(login or "", user)
        if user is None:
            answer = await self._continuation(
                sasl_oauth.error_challenge(mechanism, self.store.oauth_issuer)
            )
            if answer == "*":
                raise BadCommand("Authentication aborted by client.")
            raise No("[AUTHENTICATIONFAILED] Authentication failed.")
        return self._logged_in(user)

    # -- authenticated ----------------------------------------------------------------

    @property
    def login(self) -> str:
        assert self.user is not None
        return self.user.login

    async def cmd_enable(self, tag: str, args: list) -> str:
        enabled = []
        for arg in args:
            name = astring(arg).upper()
            if name == "CONDSTORE" and self.has("CONDSTORE"):
                self.condstore = True
                enabled.append(name)
            elif name == "QRESYNC" and self.has("QRESYNC"):
                self.condstore = self.qresync = True
                enabled.append(name)
        self.put("* ENABLED" + "".join(" " + e for e in enabled))
        return "OK Enabled."

    async def cmd_namespace(self, tag: str, args: list) -> str:
        self.put(f'* NAMESPACE (("" "{DELIMITER}")) NIL NIL')
        return "OK Namespace completed."

    def _deselect(self) -> None:
        self.sel = None

    async def cmd_select(self, tag: str, args: list, readonly: bool = False) -> str:
        if not args:
            raise BadCommand("Missing mailbox name.")
        name = self._mailbox_arg(args[0])
        qresync = None
        for param_list in args[1:2]:
            if not isinstance(param_list, list):
                raise BadCommand("Invalid SELECT parameters.")
            i = 0
            while i < len(param_list):
                param = astring(param_list[i]).upper()
                if param == "CONDSTORE" and self.has("CONDSTORE"):
                    self.condstore = True
                elif param == "QRESYNC":
                    if not self.qresync:
                        raise BadCommand("QRESYNC not enabled.")
                    if i + 1 >= len(param_list) or not isinstance(param_list[i + 1], list):
                        raise BadCommand("Invalid QRESYNC parameters.")
                    qresync = param_list[i + 1]
                    i += 1
                else:
                    raise BadCommand(f"Unknown SELECT parameter {param[:30]}")
                i += 1
        if self.sel is not None:
            self._deselect()
            self.put("* OK [CLOSED] Previous mailbox closed.")
        with self.store.lock:
            try:
                folder = self.store.folder(self.login, name)
            except StoreError as exc:
                raise No("[NONEXISTENT] Mailbox doesn't exist: " + name[:100]) from exc
            uids = list(folder.messages)
            keywords = sorted(
                {f for m in folder.messages.values() for f in m.flags if not f.startswith("\\")}
            )
            self._put_flags(keywords, readonly)
            self.put(b"* %d EXISTS" % len(uids))
            self.put(b"* 0 RECENT")
            for seq, uid in enumerate(uids, 1):
                if "\\Seen" not in folder.messages[uid].flags:
                    self.put(f"* OK [UNSEEN {seq}] First unseen.")
                    break
            self.put(f"* OK [UIDVALIDITY {folder.uidvalidity}] UIDs valid")
            self.put(f"* OK [UIDNEXT {folder.uidnext}] Predicted next UID")
            if self.has("CONDSTORE"):
                self.put(f"* OK [HIGHESTMODSEQ {folder.highestmodseq}] Highest")
            self.sel = Selected(folder.name, readonly, uids, folder.uidvalidity)
            self.sel.keywords = set(keywords)
            if qresync is not None:
                self._qresync_select(folder, qresync)
        mode = "READ-ONLY" if readonly else "READ-WRITE"
        return f"OK [{mode}] {'Examine' if readonly else 'Select'} completed."

    def _qresync_select(self, folder, params: list) -> None:
        if len(params) < 2:
            raise BadCommand("Invalid QRESYNC parameters.")
        uidvalidity, modseq = number(params[0]), number(params[1])
        known = parse_seqset(params[2]) if len(params) > 2 else None
        if uidvalidity != folder.uidvalidity:
            return
        top = folder.uidnext
        vanished = sorted(
            {
                uid
                for m, uid in folder.expunged
                if m > modseq and (known is None or _in_ranges(known, uid, top))
            }
        )
        if vanished:
            self.put("* VANISHED (EARLIER) " + format_seqset(vanished))
        sel = self.sel
        assert sel is not None
        for seq, uid in enumerate(sel.uids, 1):
            m = folder.messages[uid]
            if m.modseq > modseq:
                self.put(
                    b"* %d FETCH (UID %d FLAGS %s MODSEQ (%d))"
                    % (seq, uid, format_flags(m.flags), m.modseq)
                )

    def _put_flags(self, keywords, readonly: bool) -> None:
        flags = " ".join([*SELECT_FLAGS, *sorted(keywords)])
        self.put(f"* FLAGS ({flags})")
        if readonly:
            self.put("* OK [PERMANENTFLAGS ()] Read-only mailbox.")
        else:
            self.put(f"* OK [PERMANENTFLAGS ({flags} \\*)] Flags permitted.")

    def _announce_keywords(self, messages) -> None:
        """A keyword new to this mailbox: send FLAGS and PERMANENTFLAGS again, as Dovecot."""
        sel = self.sel
        if sel is None:
            return
        new = {f for m in messages for f in m.flags if not f.startswith("\\")} - sel.keywords
        if new:
            sel.keywords |= new
            self._put_flags(sel.keywords, sel.readonly)

    async def cmd_examine(self, tag: str, args: list) -> str:
        return await self.cmd_select(tag, args, readonly=True)

    async def cmd_create(self, tag: str, args: list) -> str:
        if len(args) != 1:
            raise BadCommand("CREATE needs a mailbox name.")
        name = self._mailbox_arg(args[0])
        if self.store.has_folder(self.login, name.rstrip(DELIMITER)):
            raise No("[ALREADYEXISTS] Mailbox already exists")
        try:
            self.store.create_folder(self.login, name)
        except StoreError as exc:
            raise No(str(exc)) from exc
        return "OK Create completed."

    async def cmd_delete(self, tag: str, args: list) -> str:
        if len(args) != 1:
            raise BadCommand("DELETE needs a mailbox name.")
        name = self._mailbox_arg(args[0])
        with self.store.lock:
            if not self.store.has_folder(self.login, name):
                raise No("[NONEXISTENT] Mailbox doesn't exist: " + name[:100])
            folder = self.store.folder(self.login, name)
            if any(
                f.name.startswith(folder.name + DELIMITER) for f in self.store.folders(self.login)
            ):
                # Dovecot refuses too (it has no \Noselect placeholders by default).
                raise No("Mailbox has children, delete them first")
            if self.sel is not None and self.sel.name == folder.name:
                self._deselect()
            self.store.delete_folder(self.login, name)
        return "OK Delete completed."

    async def cmd_rename(self, tag: str, args: list) -> str:
        if len(args) != 2:
            raise BadCommand("RENAME needs two mailbox names.")
        old, new = self._mailbox_arg(args[0]), self._mailbox_arg(args[1])
        with self.store.lock:
            if not self.store.has_folder(self.login, old):
                raise No("[NONEXISTENT] Mailbox doesn't exist: " + old[:100])
            if self.store.has_folder(self.login, new):
                raise No("[ALREADYEXISTS] Target mailbox already exists")
            if self.sel is not None and self.sel.name == self.store.folder(self.login, old).name:
                self._deselect()
            self.store.rename_folder(self.login, old, new)
        return "OK Rename completed."

    async def cmd_notify(self, tag: str, args: list) -> str:
        self.notify = parse_notify(args)
        return "OK NOTIFY completed."

    async def cmd_subscribe(self, tag: str, args: list, flag: bool = True) -> str:
        if len(args) != 1:
            raise BadCommand("Mailbox name expected.")
        name = self._mailbox_arg(args[0])
        try:
            self.store.set_subscribed(self.login, name, flag)
        except StoreError as exc:
            raise No("[NONEXISTENT] Mailbox doesn't exist: " + name[:100]) from exc
        return f"OK {'Subscribe' if flag else 'Unsubscribe'} completed."

    async def cmd_unsubscribe(self, tag: str, args: list) -> str:
        return await self.cmd_subscribe(tag, args, flag=False)

    async def cmd_list(self, tag: str, args: list, lsub: bool = False) -> str:
        selection: set[str] = set()
        returns: set[str] = set()
        status_items: list | None = None  # RETURN (STATUS (...)): RFC 5819
        args = list(args)
        if not lsub and args and isinstance(args[0], list):
            selection = {astring(a).upper() for a in args.pop(0)}
        if len(args) < 2:
            raise BadCommand("LIST needs a reference and a pattern.")
        reference = self._mailbox_arg(args[0])
        patterns_arg = args[1]
        rest = args[2:]
        if rest:
            if len(rest) != 2 or not is_atom(rest[0], "RETURN") or not isinstance(rest[1], list):
                raise BadCommand("Invalid LIST arguments.")
            options = list(rest[1])
            while options:
                r = options.pop(0)
                if isinstance(r, list):
                    continue
                returns.add(astring(r).upper())
                if is_atom(r, "STATUS"):
                    if not self.has("LIST-STATUS") or not options:
                        raise BadCommand("Invalid LIST arguments.")
                    status_items = options.pop(0)
                    if not isinstance(status_items, list) or not all(
                        isinstance(i, str)
                        and i.upper() in STATUS_ITEMS
                        and (i.upper() != "HIGHESTMODSEQ" or self.has("CONDSTORE"))
                        for i in status_items
                    ):
                        raise BadCommand("STATUS needs a list of items.")
        patterns = patterns_arg if isinstance(patterns_arg, list) else [patterns_arg]
        patterns = [self._mailbox_arg(p) for p in patterns]
        command = "LSUB" if lsub else "LIST"
        if patterns == [""]:
            self.put(f'* {command} (\\Noselect) "{DELIMITER}" ""')
            return f"OK {command} completed."
        subscribed_only = lsub or "SUBSCRIBED" in selection
        regexes = [_pattern_regex(reference + p) for p in patterns]
        with self.store.lock:
            folders = self.store.folders(self.login)
            names = {f.name for f in folders}
            for folder in folders:
                if not any(r.match(folder.name) for r in regexes):
                    continue
                if subscribed_only and not folder.subscribed:
                    continue
                if "SPECIAL-USE" in selection and not folder.special_use:
                    continue
                attrs = []
                if not lsub:
                    children = any(n.startswith(folder.name + DELIMITER) for n in names)
                    attrs.append("\\HasChildren" if children else "\\HasNoChildren")
                if folder.special_use and self.has("SPECIAL-USE"):
                    attrs.append(folder.special_use)  # Dovecot shows them in LSUB too
                if not lsub and folder.subscribed and ("SUBSCRIBED" in returns or subscribed_only):
                    attrs.append("\\Subscribed")
                line = f'* {command} ({" ".join(attrs)}) "{DELIMITER}" '.encode()
                self.put(line + self._mailbox_out(folder.name))
                if status_items is not None:  # (every folder here is selectable)
                    self._put_status(folder, status_items)
        return f"OK {command} completed."

    async def cmd_lsub(self, tag: str, args: list) -> str:
        return await self.cmd_list(tag, args, lsub=True)

    async def cmd_status(self, tag: str, args: list) -> str:
        if len(args) != 2 or not isinstance(args[1], list):
            raise BadCommand("STATUS needs a mailbox and a list of items.")
        name = self._mailbox_arg(args[0])
        with self.store.lock:
            try:
                folder = self.store.folder(self.login, name)
            except StoreError as exc:
                raise No("[NONEXISTENT] Mailbox doesn't exist: " + name[:100]) from exc
            self._put_status(folder, args[1])
        return "OK Status completed."

    def _put_status(self, folder, items: list) -> None:
        """`* STATUS <folder> (<items>)` (STATUS, and LIST's RETURN (STATUS ...))."""
        out = []
        for item in items:
            key = astring(item).upper()
            if key == "MESSAGES":
                value = len(folder.messages)
            elif key == "RECENT":
                value = 0
            elif key == "UIDNEXT":
                value = folder.uidnext
            elif key == "UIDVALIDITY":
                value = folder.uidvalidity
            elif key == "UNSEEN":
                value = folder.unseen_count()
            elif key == "HIGHESTMODSEQ" and self.has("CONDSTORE"):
                value = folder.highestmodseq
            elif key == "SIZE":
                value = sum(m.size for m in folder.messages.values())
            else:
                raise BadCommand(f"Invalid status item {key[:30]}")
            out.append(f"{key} {value}")
        self.put(
            b"* STATUS " + self._mailbox_out(folder.name) + f" ({' '.join(out)})".encode("ascii")
        )

    async def cmd_append(self, tag: str, args: list) -> str:
        if len(args) < 2:
            raise BadCommand("APPEND needs a mailbox and a message.")
        name = self._mailbox_arg(args[0])
        flags: list[str] = []
        date = None
        rest = args[1:]
        if rest and isinstance(rest[0], list):
            flags = [_flag(f) for f in rest.pop(0)]
        if len(rest) == 2:
            date = _append_date(rest.pop(0))
        if len(rest) != 1 or not isinstance(rest[0], bytes):
            raise BadCommand("Invalid APPEND arguments.")
        message = rest[0]
        fault = faultlib.find(self.faults, "fail_append")
        if fault is not None:
            raise No(fault.message or "[SERVERBUG] Append failed (fault injected).")
        if "\\Recent" in flags:
            raise BadCommand("Invalid system flag \\Recent")
        if not message:
            raise No("Can't save a zero byte message.")
        if not self.store.has_folder(self.login, name):
            raise No("[TRYCREATE] Mailbox doesn't exist: " + name[:100])
        try:
            uidvalidity, uid = self.store.append(self.login, name, message, flags, date)
        except StoreError as exc:
            raise No(str(exc)) from exc
        if self.has("UIDPLUS"):
            return f"OK [APPENDUID {uidvalidity} {uid}] Append completed."
        return "OK Append completed."

    async def cmd_getquotaroot(self, tag: str, args: list) -> str:
        if len(args) != 1:
            raise BadCommand("GETQUOTAROOT needs a mailbox name.")
        name = self._mailbox_arg(args[0])
        if not self.store.has_folder(self.login, name):
            raise No("[NONEXISTENT] Mailbox doesn't exist: " + name[:100])
        user = self.user
        assert user is not None
        if user.quota_kb is None:
            self.put(b"* QUOTAROOT " + self._mailbox_out(name))
        else:
            self.put(b"* QUOTAROOT " + self._mailbox_out(name) + b' "User quota"')
            self.put(f'* QUOTA "User quota" (STORAGE {user.usage_kb()} {user.quota_kb})')
        return "OK Getquotaroot completed."

    async def cmd_getquota(self, tag: str, args: list) -> str:
        if len(args) != 1:
            raise BadCommand("GETQUOTA needs a quota root.")
        user = self.user
        assert user is not None
        if user.quota_kb is None or astring(args[0]) != "User quota":
            raise No("Quota root does not exist")
        self.put(f'* QUOTA "User quota" (STORAGE {user.usage_kb()} {user.quota_kb})')
        return "OK Getquota completed."

    async def cmd_idle(self, tag: str, args: list) -> str:
        self.put("+ idling")
        for fault in self.faults:
            if fault.kind == "idle_says" and (
                fault.match is None or (self.sel is not None and self.sel.name == fault.match)
            ):
                for line in fault.data.split(b"\r\n"):
                    if line:
                        self.put(line)
        self.wake.clear()
        self.put_updates(True, idling=True)
        await self.flush()
        reader = asyncio.ensure_future(self.reader.readuntil(b"\n"))
        try:
            while True:
                waiter = asyncio.ensure_future(self.wake.wait())
                done, _ = await asyncio.wait(
                    {reader, waiter},
                    timeout=self.server.idle_timeout,
                    return_when=asyncio.FIRST_COMPLETED,
                )
                if waiter not in done:
                    waiter.cancel()
                if not done:
                    raise Bye("Disconnected for inactivity.")
                if waiter in done:
                    self.wake.clear()
                    self.put_updates(True, idling=True)
                    await self.flush()
                if reader in done:
                    line = reader.result()
                    if line.strip().upper() != b"DONE":
                        raise BadCommand("Expected DONE.")
                    break
        finally:
            if not reader.done():
                reader.cancel()
        return "OK Idle completed."

    # -- selected ---------------------------------------------------------------------

    @property
    def selected(self) -> Selected:
        assert self.sel is not None
        return self.sel

    def _writable(self) -> None:
        if self.selected.readonly:
            raise No("Mailbox is read-only.")

    async def cmd_close(self, tag: str, args: list) -> str:
        sel = self.selected
        if not sel.readonly:
            with self.store.lock:
                visible = set(sel.uids)
                uids = [u for u in self.store.folder(self.login, sel.name).messages if u in visible]
                self.store.expunge(self.login, sel.name, uids)
        self._deselect()
        return "OK Close completed."

    async def cmd_unselect(self, tag: str, args: list) -> str:
        self._deselect()
        return "OK Unselect completed."

    async def cmd_expunge(self, tag: str, args: list, uids: list[int] | None = None) -> str:
        self._writable()
        sel = self.selected
        if uids is None:
            uids = list(sel.uids)
        self.store.expunge(self.login, sel.name, uids)
        return "OK Expunge completed."

    async def cmd_uid(self, tag: str, args: list) -> str:
        if not args or not isinstance(args[0], str):
            raise BadCommand("UID needs a command.")
        sub = args[0].upper()
        rest = args[1:]
        if sub == "FETCH":
            return await self.do_fetch(rest, uid=True)
        if sub == "SEARCH":
            return await self.do_search(rest, uid=True, tag=tag)
        if sub == "STORE":
            return await self.do_store(rest, uid=True)
        if sub == "COPY":
            return await self.do_copy(rest, uid=True, move=False)
        if sub == "MOVE" and self.has("MOVE"):
            return await self.do_copy(rest, uid=True, move=True)
        if sub == "EXPUNGE" and self.has("UIDPLUS"):
            if len(rest) != 1:
                raise BadCommand("UID EXPUNGE needs a UID set.")
            uids = resolve_uids(parse_seqset(rest[0]), self.selected.uids)
            return await self.cmd_expunge(tag, [], uids=uids)
        raise BadCommand("Unknown UID command.")

    async def cmd_fetch(self, tag: str, args: list) -> str:
        return await self.do_fetch(args, uid=False)

    async def cmd_search(self, tag: str, args: list) -> str:
        return await self.do_search(args, uid=False, tag=tag)

    async def cmd_store(self, tag: str, args: list) -> str:
        return await self.do_store(args, uid=False)

    async def cmd_copy(self, tag: str, args: list) -> str:
        return await self.do_copy(args, uid=False, move=False)

    async def cmd_move(self, tag: str, args: list) -> str:
        return await self.do_copy(args, uid=False, move=True)

    def _targets(self, token: object, uid: bool) -> list[tuple[int, int]]:
        """[(seq, uid)] a sequence or UID set names in this session's view."""
        sel = self.selected
        ranges = parse_seqset(token)
        if uid:
            return [(sel.seq_of(u) or 0, u) for u in resolve_uids(ranges, sel.uids)]
        return [(s, sel.uids[s - 1]) for s in resolve_seqs(ranges, len(sel.uids))]

    async def do_fetch(self, args: list, uid: bool) -> str:
        if len(args) < 2:
            raise BadCommand("FETCH needs a set and attributes.")
        targets = self._targets(args[0], uid)
        items = fetchlib.parse_items(args[1])
        changedsince = None
        vanished = False
        if len(args) > 2:
            mods = args[2]
            if len(args) > 3 or not isinstance(mods, list):
                raise BadCommand("Invalid FETCH modifiers.")
            i = 0
            while i < len(mods):
                mod = astring(mods[i]).upper()
                if mod == "CHANGEDSINCE" and i + 1 < len(mods):
                    changedsince = number(mods[i + 1])
                    i += 2
                elif mod == "VANISHED":
                    vanished = True
                    i += 1
                else:
                    raise BadCommand("Invalid FETCH modifier.")
            if vanished and (not uid or not self.qresync or changedsince is None):
                raise BadCommand("VANISHED needs UID FETCH, QRESYNC and CHANGEDSINCE.")
        names = [item.name for item in items]
        want_modseq = "MODSEQ" in names or changedsince is not None
        if want_modseq and not self.has("CONDSTORE"):
            raise BadCommand("Unknown fetch attribute MODSEQ.")
        if want_modseq:
            self.condstore = True
        want_flags = "FLAGS" in names
        want_uid = uid or "UID" in names
        others = [it for it in items if it.name not in ("FLAGS", "UID", "MODSEQ")]
        sets_seen = any(it.sets_seen for it in items) and not self.selected.readonly
        sel = self.selected
        if vanished:
            ranges = parse_seqset(args[0])
            with self.store.lock:
                folder = self.store.folder(self.login, sel.name)
                top = folder.uidnext
                gone = sorted(
                    {
                        u
                        for m, u in folder.expunged
                        if m > changedsince and _in_ranges(ranges, u, top)
                    }
                )
            if gone:
                self.put("* VANISHED (EARLIER) " + format_seqset(gone))
        i = 0
        while i < len(targets):
            with self.store.lock:
                folder = self.user.folders.get(sel.name) if self.user else None
                if folder is None or folder.uidvalidity != sel.uidvalidity:
                    raise Bye("Selected mailbox was deleted, have to disconnect.")
                msgs = folder.messages
                while i < len(targets) and self.out_size < CHUNK:
                    seq, u = targets[i]
                    i += 1
                    message = msgs.get(u)
                    if message is None:
                        continue
                    if changedsince is not None and message.modseq <= changedsince:
                        continue
                    parts = []
                    seen_now = False
                    if sets_seen and "\\Seen" not in message.flags:
                        self.store.store_flags(self.login, sel.name, [u], "+", ["\\Seen"])
                        sel.pending_flags.discard(u)
                        seen_now = True
                    if want_uid:
                        parts.append(b"UID %d" % u)
                    if want_flags or seen_now:
                        parts.append(b"FLAGS " + format_flags(message.flags))
                    for item in others:
                        parts.append(self._render_item(message, item, seq))
                    if want_modseq or (seen_now and self.condstore):
                        parts.append(b"MODSEQ (%d)" % message.modseq)
                    self.put(b"* %d FETCH (" % seq + b" ".join(parts) + b")")
            if self.out_size >= CHUNK:
                await self.flush()
        return "OK Fetch completed."

    def _mailbox_arg(self, token: object) -> str:
        """A mailbox argument; with the `raw_names` fault taken verbatim (no UTF-7)."""
        if faultlib.find(self.faults, "raw_names"):
            return astring(token)
        return mailbox_arg(token)

    def _mailbox_out(self, name: str) -> bytes:
        """A mailbox name to send; with the `raw_names` fault as stored, unquoted when it
        is an atom plus `]` and `[` (as Dovecot sends a name with `]`), never UTF-7."""
        if faultlib.find(self.faults, "raw_names"):
            if re.fullmatch(r"[!-~]+", name) and not re.search(r'[(){ %*"\\]', name):
                return name.encode()
            return b'"' + name.replace("\\", "\\\\").replace('"', '\\"').encode() + b'"'
        return mailbox_out(name)

    def _render_item(self, message, item, seq: int) -> bytes:
        """One FETCH attribute; the `odd_size` fault replaces RFC822.SIZE of the messages
        whose raw bytes contain `match` with `data` (any token, e.g. 2**64)."""
        if item.name == "RFC822.SIZE":
            for fault in self.faults:
                if fault.kind == "odd_size" and (fault.match or "").encode() in message.raw:
                    return b"RFC822.SIZE " + fault.data
        return fetchlib.render_item(message, item, seq)

    async def do_search(self, args: list, uid: bool, tag: str = "") -> str:
        args = list(args)
        returns: set[str] | None = None  # ESEARCH (RFC 4731): RETURN (ALL MIN MAX COUNT)
        if args and is_atom(args[0], "RETURN") and self.has("ESEARCH"):
            if len(args) < 2 or not isinstance(args[1], list):
                raise BadCommand("RETURN needs a list of options.")
            returns = {astring(r).upper() for r in args[1]} or {"ALL"}
            if returns - {"ALL", "MIN", "MAX", "COUNT"}:
                raise BadCommand("Unknown RETURN option.")
            args = args[2:]
        if args and is_atom(args[0], "CHARSET"):
            if len(args) < 2:
                raise BadCommand("CHARSET needs a name.")
            charset = astring(args[1]).upper()
            if charset not in ("UTF-8", "US-ASCII"):
                raise No("[BADCHARSET (UTF-8 US-ASCII)] Unsupported charset")
            args = args[2:]
        sel = self.selected
        with self.store.lock:
            folder = self.store.folder(self.login, sel.name)
            msgs = folder.messages
            ctx = Context(len(sel.uids), sel.uids[-1] if sel.uids else 0)
            pred = parse_search(args, ctx, lambda s: sel.uids[s - 1])
            if ctx.uses_modseq and not self.has("CONDSTORE"):
                raise BadCommand("Unknown search key MODSEQ.")
            found = []
            top_modseq = 0
            for seq, u in enumerate(sel.uids, 1):
                message = msgs.get(u)
                if message is not None and pred(seq, message):
                    found.append(u if uid else seq)
                    top_modseq = max(top_modseq, message.modseq)
        if returns is not None:
            self.put(_esearch_line(tag, uid, found, returns))
            return "OK Search completed."
        line = "* SEARCH" + "".join(f" {n}" for n in found)
        if ctx.uses_modseq and found:
            line += f" (MODSEQ {top_modseq})"
        self.put(line)
        return "OK Search completed."

    async def do_store(self, args: list, uid: bool) -> str:
        self._writable()
        args = list(args)
        if len(args) < 2:
            raise BadCommand("STORE needs a set, an item and flags.")
        unchangedsince = None
        if isinstance(args[1], list):
            mods = args.pop(1)
            if len(mods) != 2 or not is_atom(mods[0], "UNCHANGEDSINCE"):
                raise BadCommand("Invalid STORE modifier.")
            unchangedsince = number(mods[1])
            if not self.has("CONDSTORE"):
                raise BadCommand("Invalid STORE modifier.")
            self.condstore = True
        targets = self._targets(args[0], uid)
        item = astring(args[1]).upper()
        silent = item.endswith(".SILENT")
        if silent:
            item = item[: -len(".SILENT")]
        modes = {"FLAGS": "=", "+FLAGS": "+", "-FLAGS": "-"}
        if item not in modes:
            raise BadCommand("Invalid STORE item.")
        # "STORE 1 +FLAGS" with no flags at all is accepted (a no-op), as Dovecot does.
        raw_flags = args[2] if len(args) == 3 and isinstance(args[2], list) else args[2:]
        flags = [_flag(f) for f in raw_flags]
        if "\\Recent" in flags:
            raise BadCommand("Cannot store \\Recent.")
        sel = self.selected
        with self.store.lock:
            changed, failed = self.store.store_flags(
                self.login, sel.name, [u for _, u in targets], modes[item], flags, unchangedsince
            )
            for message in changed:
                sel.pending_flags.discard(message.uid)
            self._announce_keywords(changed)
            failed_set = set(failed)
            msgs = self.store.folder(self.login, sel.name).messages
            changed_uids = {m.uid for m in changed}
            for seq, u in targets:
                message = msgs.get(u)
                if message is None or u in failed_set or seq == 0:
                    continue
                if silent and not (self.condstore and u in changed_uids):
                    continue
                parts = []
                if uid:
                    parts.append(b"UID %d" % u)
                if not silent:
                    parts.append(b"FLAGS " + format_flags(message.flags))
                if self.condstore:
                    parts.append(b"MODSEQ (%d)" % message.modseq)
                self.put(b"* %d FETCH (" % seq + b" ".join(parts) + b")")
        if failed:
            if uid:
                ids = failed
            else:
                ids = [s for s, u in targets if u in failed_set]
            return f"OK [MODIFIED {format_seqset(ids)}] Conditional STORE failed."
        return "OK Store completed."

    async def do_copy(self, args: list, uid: bool, move: bool) -> str:
        if len(args) != 2:
            raise BadCommand("COPY needs a set and a mailbox.")
        if move:
            self._writable()
        targets = self._targets(args[0], uid)
        dest = self._mailbox_arg(args[1])
        sel = self.selected
        if not self.store.has_folder(self.login, dest):
            raise No("[TRYCREATE] Mailbox doesn't exist: " + dest[:100])
        uids = [u for _, u in targets]
        operation = self.store.move if move else self.store.copy
        uidvalidity, mapping = operation(self.login, sel.name, uids, dest)
        verb = "Move" if move else "Copy"
        if not mapping:
            return f"OK No messages found. {verb} completed."
        code = (
            f"COPYUID {uidvalidity} {format_seqset([a for a, _ in mapping])} "
            f"{format_seqset([b for _, b in mapping])}"
        )
        # COPYUID sets must pair up in order; format_seqset sorts, and both lists ascend.
        lie = faultlib.find(self.faults, "copyuid")
        if lie is not None:
            code = "COPYUID " + _copyuid_lie(lie.data, uidvalidity, mapping)
        if not self.has("UIDPLUS"):
            return f"OK {verb} completed."
        if move:
            self.put(f"* OK [{code}] Moved UIDs.")
            return f"OK {verb} completed."
        return f"OK [{code}] {verb} completed."


def _copyuid_lie(template: bytes, uidvalidity: int, mapping: list[tuple[int, int]]) -> str:
    """The `copyuid` fault's COPYUID data: `template` with {uidvalidity}, {source},
    {dest} and {dest_reversed} (the destination UIDs listed in the other order) filled in."""
    text = template.decode("latin-1")
    for name, value in (
        ("{uidvalidity}", str(uidvalidity)),
        ("{source}", format_seqset([a for a, _ in mapping])),
        ("{dest_reversed}", ",".join(str(b) for _, b in reversed(mapping))),
        ("{dest}", format_seqset([b for _, b in mapping])),
    ):
        text = text.replace(name, value)
    return text


def _in_ranges(ranges, uid: int, top: int) -> bool:
    from testserver.imap.parser import uids_in

    return uids_in(ranges, uid, top)


def _flag(token: object) -> str:
    if isinstance(token, list):
        raise BadCommand("Invalid flag.")
    flag = astring(token)
    if flag.startswith("\\"):
        for system in (*SYSTEM_FLAGS, "\\Recent"):
            if flag.lower() == system.lower():
                return system
        raise BadCommand(f"Invalid system flag {flag[:30]}")
    if not flag or any(c in flag for c in ' (){%*"\\]'):
        raise BadCommand("Invalid flag.")
    return flag


def _append_date(token: object) -> datetime:
    text = astring(token)
    m = APPEND_DATE.match(text)
    if m is None or m[2].lower() not in MONTHS:
        raise BadCommand("Invalid date-time.")
    offset = timedelta(hours=int(m[8]), minutes=int(m[9]))
    if m[7] == "-":
        offset = -offset
    try:
        return datetime(
            int(m[3]),
            MONTHS[m[2].lower()],
            int(m[1]),
            int(m[4]),
            int(m[5]),
            int(m[6]),
            tzinfo=timezone(offset) if offset else UTC,
        )
    except ValueError as exc:
        raise BadCommand("Invalid date-time.") from exc


def _pattern_regex(pattern: str) -> re.Pattern[str]:
    out = []
    for ch in pattern:
        if ch == "*":
            out.append(".*")
        elif ch == "%":
            out.append(f"[^{re.escape(DELIMITER)}]*")
        else:
            out.append(re.escape(ch))
    regex = "".join(out)
    if pattern.upper().startswith("INBOX"):
        regex = "(?i:INBOX)" + regex[5:]
    return re.compile(regex + r"\Z", re.DOTALL)


def _esearch_line(tag: str, uid: bool, found: list[int], returns: set[str]) -> str:
    """`* ESEARCH (TAG "A5") UID ALL 1:3,7 COUNT 4` for RETURN (...) (RFC 4731)."""
    line = f'* ESEARCH (TAG "{tag}")' + (" UID" if uid else "")
    numbers = sorted(found)
    if numbers and "MIN" in returns:
        line += f" MIN {numbers[0]}"
    if numbers and "MAX" in returns:
        line += f" MAX {numbers[-1]}"
    if numbers and "ALL" in returns:
        parts: list[str] = []
        start = prev = numbers[0]
        for n in numbers[1:] + [0]:
            if n == prev + 1:
                prev = n
                continue
            parts.append(f"{start}:{prev}" if prev != start else str(start))
            start = prev = n
        line += " ALL " + ",".join(parts)
    if "COUNT" in returns:
        line += f" COUNT {len(numbers)}"
    return line
