"""Faults a test can switch on for the next connections to a protocol server.

A test adds a `Fault` to the server's `FaultPlan`; each protocol server asks the plan,
when it accepts a connection, which faults apply to that connection, and acts on them.
A fault with `times=N` applies to the next N matching connections, then expires.

Kinds (what each server understands; `command` names the trigger where it matters):

  all protocols
    silent            accept the TCP connection (and TLS handshake) but never answer;
                      `abandoned` counts the connections the client then closed
    delay             wait `delay` seconds before every response
    drip              send responses in `chunk`-byte pieces, `delay` seconds apart
    drop              close the connection when `command` arrives, or after
                      `after_bytes` bytes were sent to the client
    bye               at `command` (or at greeting when None) send the protocol's
                      goodbye (IMAP "* BYE", POP3 "-ERR", SMTP 421) and close
    no_starttls       STARTTLS/STLS not advertised and refused if sent anyway
    strip_starttls    STARTTLS/STLS not advertised (a stripping attacker)
    starttls_fail     STARTTLS is advertised and answered OK, then the handshake
                      is aborted (the server closes instead of doing TLS)
    inject_before_starttls  write `data` as if it were a response, before the
                      STARTTLS OK
    inject_after_starttls   write `data` right after the STARTTLS OK, before the
                      TLS handshake (plaintext injection)
    oauth_only        no password login at all, as Exchange Online: IMAP advertises
                      LOGINDISABLED and no AUTH=PLAIN (and refuses LOGIN and AUTHENTICATE
                      PLAIN), POP3 no USER and no SASL PLAIN (and refuses them), SMTP only
                      AUTH XOAUTH2 OAUTHBEARER (and refuses PLAIN and LOGIN); the OAuth
                      mechanisms still work (MailServer(oauth=True))
  imap
    fail_append       APPEND answers "NO [SERVERBUG] ..." (or `message`)
    no_capability     drop `data` (a capability name, e.g. b"IDLE") from CAPABILITY
    login_reply       LOGIN answers "NO `message`" whatever the password (e.g. a
                      provider's "[ALERT] Application-specific password required")
    odd_size          FETCH answers RFC822.SIZE `data` (a token, e.g. b"18446744073709551616")
                      for the messages whose raw bytes contain `match`
    raw_names         folder names are sent as stored (never modified UTF-7; unquoted when
                      an atom with `]`/`[`, as Dovecot does) and mailbox arguments are taken
                      verbatim: a folder created as "Bad&Jjo" is listed malformed
    starttls_bad      STARTTLS is advertised but answered BAD (`message`)
    garbage           at `command` (while the folder `match` is selected, when given) send
                      `data` instead of the answer, and go on serving the connection: an
                      oversized literal, an over-long line, bytes that are not IMAP
    copyuid           COPY/MOVE answer the COPYUID data `data` instead of the true one (a
                      server that lies): {uidvalidity}, {source}, {dest} and {dest_reversed}
                      in it are the true values (e.g. b"{uidvalidity} {source} 4000")
    idle_says         at the start of each IDLE (while the folder `match` is selected, when
                      given) send the untagged lines in `data` (e.g. a NOTIFY notice
                      that lies: '* LIST () "/" Elsewhere ("OLDNAME" (Old))')
  pop3
    login_reply       PASS (or AUTH) answers "-ERR `message`" whatever the password
                      (e.g. "[LOGIN-DELAY] wait 5 minutes" or "[SYS/TEMP] ...")
    no_uidl           UIDL is not offered ("-ERR") and not in CAPA
    odd_uidl          UIDL answers the unique-ids in `data` instead of the real ones:
                      `data` is a b"\n"-separated list, item i for message number i+1
                      of the session (an empty item gives an empty UIDL; items may
                      repeat, be long, or hold any bytes but CR/LF); messages past the
                      end of the list keep their real UIDL
    number_uidl       UIDL answers the session's message number as the unique-id, so a
                      unique-id goes to another message once an earlier one is deleted
                      (a broken server)
    mbox_status       after RETR the message gets mbox status headers at the end of its
                      header, kept for later sessions (as UW imapd, qpopper and Dovecot
                      on mbox write them): "Status: RO", "X-Status:", "X-Keywords:",
                      "X-UID: <uid>", or the header lines in `data`
    retr_err          RETR of the messages whose session numbers are in `data` (b" "-
                      separated) answers "-ERR `message`" (default "message unavailable"):
                      one message the server will not send, the session still in step
  smtp
    reply             answer `code` `message` at stage `command`: one of
                      CONNECT, EHLO, AUTH, MAIL, RCPT, DATA, EOD (end of data);
                      for RCPT, `match` limits it to one recipient address
    no_reply_after_data  accept the data, then close without a reply
    auth_mechanisms   EHLO offers `data` (e.g. b"XOAUTH2 OAUTHBEARER") as the AUTH
                      mechanisms instead of the real ones (which still work)
    no_auth           EHLO offers no AUTH at all (a relay for a trusted network); AUTH
                      itself still works
    swallow           accept the message with 250 but never deliver it
    alter_body        a local delivery gets a footer added after DKIM signing (a
                      mailing list would): the signature no longer verifies
    hold              a local delivery's last hop is stamped `delay` seconds after the
                      submission hop, as if the message had waited in the queue
"""

from __future__ import annotations

import asyncio
import threading
from dataclasses import dataclass, field


@dataclass
class Fault:
    protocol: str  # "imap" | "pop3" | "smtp"
    kind: str
    port: str | None = None  # "tls" | "starttls" | None (both)
    command: str | None = None
    after_bytes: int | None = None
    delay: float = 0.0
    chunk: int = 1
    data: bytes = b""
    code: int | None = None
    message: str = ""
    match: str | None = None
    times: int | None = None  # None: every matching connection until cleared
    hits: int = field(default=0, init=False)
    # `silent`: connections the client gave up on (closed) while the server stayed silent
    abandoned: int = field(default=0, init=False)


class FaultPlan:
    """The set of active faults; thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: list[Fault] = []

    def add(self, fault: Fault | None = None, /, **kwargs) -> Fault:
        """Add a fault: `plan.add(Fault(...))` or `plan.add(protocol=..., kind=...)`."""
        fault = fault or Fault(**kwargs)
        with self._lock:
            self._faults.append(fault)
        return fault

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()

    def for_connection(self, protocol: str, port: str) -> list[Fault]:
        """The faults that apply to a new connection (uses up one of each `times`)."""
        chosen = []
        with self._lock:
            for fault in list(self._faults):
                if fault.protocol != protocol or fault.port not in (None, port):
                    continue
                chosen.append(fault)
                fault.hits += 1
                if fault.times is not None and fault.hits >= fault.times:
                    self._faults.remove(fault)
        return chosen


async def stay_silent(reader: asyncio.StreamReader, fault: Fault, patience: float | None = None):
    """The `silent` fault: read whatever comes and never answer, until the client gives up
    (counted in `fault.abandoned`, the record a test checks) or `patience` runs out."""
    try:
        while await asyncio.wait_for(reader.read(65536), patience):
            pass
    except TimeoutError:
        return  # the server's patience ended, not the client's
    except Exception:
        pass  # the client reset or cut the TLS session: it gave up too
    fault.abandoned += 1


def find(faults: list[Fault], kind: str, command: str | None = None) -> Fault | None:
    """The first fault of `kind` (and, when given, for `command`) in a connection's list."""
    for fault in faults:
        if fault.kind == kind and (command is None or (fault.command or "").upper() == command):
            return fault
    return None
