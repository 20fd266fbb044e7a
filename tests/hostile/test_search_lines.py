"""A big folder's `* SEARCH` answer (no ESEARCH) is one line longer than the global line
limit: it is read, bounded by the folder's EXISTS, while every other answer keeps the
limit that guards against endless lines. Over real sockets to a scripted server."""

from __future__ import annotations

import imaplib
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from imapclient import IMAPClient

from tests.hostile.scripted import Conn, ImapScript
from tuimail.core.account import ServerSettings
from tuimail.core.connect import open_imap
from tuimail.core.errors import ProtocolViolation
from tuimail.core.imap.session import drop_quietly
from tuimail.core.imap.sync import uid_search

pytestmark = pytest.mark.timeout(60)

COUNT = 200_000
UIDS = range(1_000_001, 1_000_001 + 2 * COUNT, 2)  # sparse 7-digit UIDs: a 1.6 MB line
SEARCH_LINE = b"* SEARCH " + b" ".join(b"%d" % u for u in UIDS) + b"\r\n"


def _script(exists: int, answer: bytes) -> ImapScript:
    def examine(conn: Conn, tag: bytes, args: bytes) -> None:
        conn.send(
            f"* {exists} EXISTS\r\n* OK [UIDVALIDITY 7] ok\r\n* OK [UIDNEXT 9000000] ok\r\n".encode()
            + tag
            + b" OK [READ-ONLY] done\r\n"
        )

    def search(conn: Conn, tag: bytes, args: bytes) -> None:
        conn.send(answer + tag + b" OK done\r\n")

    def noop(conn: Conn, tag: bytes, args: bytes) -> None:
        conn.send(b"* OK " + b"x" * (imaplib._MAXLINE + 10) + b"\r\n" + tag + b" OK done\r\n")

    return ImapScript({"EXAMINE": examine, "UID SEARCH": search, "NOOP": noop})


@contextmanager
def _client(server) -> Iterator[tuple[IMAPClient, int]]:
    """A logged-in client with INBOX selected, and its EXISTS; closed at the end."""
    settings = ServerSettings(host=server.host, port=server.port, security="tls")
    client = open_imap(settings, ca_file=server.ca_file, timeout=20)
    try:
        client.login("bob", "pw")
        selected = client.select_folder("INBOX", readonly=True)
        yield client, int(selected[b"EXISTS"])
    finally:
        drop_quietly(client)


def test_a_search_answer_of_200k_uids_is_read(scripted) -> None:
    assert len(SEARCH_LINE) > imaplib._MAXLINE
    with scripted(_script(COUNT, SEARCH_LINE)) as server:
        with _client(server) as (client, exists):
            assert uid_search(client, "ALL", exists=exists) == list(UIDS)
            # the longer line was for that answer only
            with pytest.raises(ProtocolViolation):
                client.noop()


def test_a_search_line_beyond_the_folders_bound_is_refused(scripted) -> None:
    with scripted(_script(10, SEARCH_LINE)) as server:
        with _client(server) as (client, exists):
            with pytest.raises(ProtocolViolation):
                uid_search(client, "ALL", exists=exists)


def test_an_esearch_set_of_every_uid_is_refused_unexpanded(scripted) -> None:
    answer = b'* ESEARCH (TAG "x") UID ALL 1:4294967295\r\n'
    with scripted(_script(COUNT, answer)) as server:
        with _client(server) as (client, exists):
            with pytest.raises(ProtocolViolation):
                uid_search(client, "ALL", exists=exists, esearch=True)


def test_an_esearch_answer_of_200k_uids_is_read(scripted) -> None:
    compact = b",".join(b"%d" % u for u in UIDS)
    answer = b'* ESEARCH (TAG "x") UID ALL ' + compact + b"\r\n"
    with scripted(_script(COUNT, answer)) as server:
        with _client(server) as (client, exists):
            assert uid_search(client, "ALL", exists=exists, esearch=True) == list(UIDS)
