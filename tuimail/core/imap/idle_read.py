"""Starting IDLE, and what a server says during it, read in whole lines.

`start_idle` sends IDLE as imapclient's `idle()` does, but an untagged response before
the continuation (RFC 3501 7: a server may send one at any time; new mail arriving just
then) is returned as news, where imapclient raised "Unexpected IDLE response" and the
watcher ended for good; a tagged answer instead of the continuation (IDLE advertised but
refused: NO, BAD, even OK) is IdleRefused, the connection still in step. `end_idle` sends
DONE and returns what came before the tagged answer, whatever that answer is (a NO or BAD
to an IDLE that ran ended the watcher for good, and the news read with it was lost).

imapclient's `idle_check` reads without blocking: an update split across packets or TLS
records ("* 2 EXIS" now, "TS" a moment later) came back cut, its first part was dropped
and the watcher took the short read for a closed connection. Here the socket is only
polled for the first byte; once anything has come, each line is read whole under the
account's read timeout (an answer deadline armed from that moment, so a line trickled
for ever still ends), and the end of the stream is a typed ConnectionLost, never an
empty list.
"""

from __future__ import annotations

import logging
import select
from typing import Any

from imapclient.imapclient import _parse_untagged_response as parse_untagged

from tuimail.core.connect import _text, arm_deadline
from tuimail.core.errors import Refused
from tuimail.core.imap.untagged import consumed

log = logging.getLogger("tuimail.idle")


class IdleRefused(Refused):
    """The server answered IDLE with a tagged response (`code`: OK, NO or BAD) instead
    of its continuation: it does not idle here, though it may say it does."""


def start_idle(client: Any) -> list:
    """IDLE on `client` (an IMAPClient with a folder selected); returns the untagged
    responses the server sent before its continuation, parsed as idle_responses' (news
    to apply). Raises IdleRefused for a tagged answer; a broken connection raises as
    imaplib's reads do. `end_idle(client)` ends it."""
    imap = client._imap
    with consumed(imap):  # returned: not kept in imaplib's untagged_responses too
        tag = imap._command("IDLE")
        client._idle_tag = tag
        early = []
        while True:
            response = imap._get_response()
            if response is None:  # the continuation: idling
                return early
            done = imap.tagged_commands.get(tag)
            if done:
                del imap.tagged_commands[tag]
                client._idle_tag = None
                typ, data = done
                raise IdleRefused(protocol="imap", code=typ, server_text=_text(data))
            early.append(parse_untagged(response))


def end_idle(client: Any) -> list:
    """DONE to the IDLE `start_idle` began; returns the untagged responses that came
    since the last read, parsed. The IDLE's tagged answer ends it whatever its status
    (OK, NO or BAD: the round ran, the connection is in step); logged when not OK."""
    imap = client._imap
    tag = client._idle_tag
    imap.send(b"DONE\r\n")
    out = []
    with consumed(imap):  # returned: not kept in imaplib's untagged_responses too
        while True:
            response = imap._get_response()
            done = imap.tagged_commands.get(tag)
            if done:
                del imap.tagged_commands[tag]
                client._idle_tag = None
                if done[0] != "OK":
                    log.info("IDLE ended with %s: %s", done[0], _text(done[1]))
                return out
            if response is not None:  # a continuation here means nothing: left out
                out.append(parse_untagged(response))


def idle_responses(client: Any, timeout: float) -> list:
    """The untagged responses the server sends within `timeout` seconds (the first one
    waited for, then every one already buffered): [] when it said nothing. `client` is an
    IMAPClient in IDLE."""
    if not buffered(client) and not _readable(client.socket(), timeout):
        return []
    return [_line(client)] + buffered_responses(client)


def buffered_responses(client: Any) -> list:
    """Untagged responses already read from the socket into imaplib's buffer (they came
    in the same packet as "+ idling" or a previous line): a poll of the socket does not
    see them, so without this they would wait for the next packet, maybe the renewal."""
    out = []
    while buffered(client):
        out.append(_line(client))
    return out


def buffered(client: Any) -> bool:
    """Whether bytes are waiting in the TLS layer or imaplib's reader."""
    sock = client.socket()
    pending = getattr(sock, "pending", None)  # TLS: decrypted, not yet read
    if pending is not None and pending():
        return True
    sock.setblocking(False)
    try:
        return bool(client._imap.file.peek(1))
    except (OSError, ValueError):  # nothing buffered (a non-blocking read would wait)
        return False
    finally:
        sock.setblocking(True)
        client._set_read_timeout()


MAX_LITERALS = 16  # literals in one response during IDLE (a name, an OLDNAME...)


def _line(client: Any) -> Any:
    """One whole response, blocking under the read timeout from now, parsed: a line, and
    when it ends in a literal's announcement ({n}), the literal (bounded as every literal:
    connect.MAX_LITERAL) and the rest of the response. A folder renamed to or from a name
    a server sends as a literal (NOTIFY: `* LIST () "/" Done ("OLDNAME" ({3000}...`) was
    parsed without it ("No literal corresponds to {3000}") and the watcher dropped its
    connection instead of following the folder."""
    imap = client._imap
    client._set_read_timeout()
    arm_deadline(imap.file, imap.sock)
    line = imap._get_line()
    parts: list = []
    while (size := imap.Literal.match(line)) is not None:
        if len(parts) >= MAX_LITERALS:
            from tuimail.core.connect import ImapProtocolViolation

            raise ImapProtocolViolation(reason="unparsable", protocol="imap")
        parts.append((line, imap.read(int(size.group("size")))))
        line = imap._get_line()
    if not parts:
        return parse_untagged(line)
    first, literal = parts[0]
    if not first.startswith(b"* "):
        return parse_untagged(first)  # not untagged: imapclient's own refusal
    from tuimail.core.imap.names import parse_response

    return parse_response([(first[2:], literal), *parts[1:], line])


def _readable(sock: Any, timeout: float) -> bool:
    poller = select.poll()
    poller.register(sock.fileno(), select.POLLIN | select.POLLPRI)
    return bool(poller.poll(max(0.0, timeout) * 1000))
