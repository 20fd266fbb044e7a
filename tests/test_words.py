"""The edge's words (tuimail.words): every typed error core hands out becomes one
sentence that names the server's code and words, sanitised; a failure says where; an
account state says what it is doing. Core makes none of these (tests/test_layers.py)."""

from __future__ import annotations

import imaplib
import poplib
import socket

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tuimail.core.errors import (
    FLUSH,
    LIST,
    OUTBOX,
    SEARCH,
    SYNC,
    AuthenticationFailed,
    ConnectionLost,
    Failure,
    MailError,
    PermanentError,
    ProtocolViolation,
    Refused,
    SecurityFailure,
    ServerBusy,
    TimedOut,
    Unreachable,
)
from tuimail.core.pop3 import NO_UIDL, ODD_UIDL
from tuimail.core.runtime import AccountState, ServiceEvent
from tuimail.core.secrets import PasswordError
from tuimail.core.service import ServiceError
from tuimail.words.describe import describe
from tuimail.words.dkim import dkim_detail
from tuimail.words.failures import failure_words
from tuimail.words.service import _NO_LIST
from tuimail.words.status import event, state, warning
from tuimail.words.where import failure, skipped

KINDS = [
    ConnectionLost,
    Unreachable,
    TimedOut,
    ServerBusy,
    AuthenticationFailed,
    SecurityFailure,
    ProtocolViolation,
    Refused,
]


@pytest.mark.parametrize("kind", KINDS, ids=lambda k: k.__name__)
def test_every_kind_names_the_servers_code_and_words(kind: type[MailError]) -> None:
    error = kind(protocol="imap", code="UNAVAILABLE", server_text="Maintenance until 3")
    text = describe(error)
    assert "[UNAVAILABLE]" in text and "Maintenance until 3" in text, text
    assert text.startswith(("the mail server", "the connection")), text


@pytest.mark.parametrize("kind", KINDS, ids=lambda k: k.__name__)
def test_every_kind_has_a_sentence_without_the_servers_words(kind: type[MailError]) -> None:
    text = describe(kind())
    assert text and kind.kind not in ("", text), text
    assert text.startswith(("the mail server", "the connection")), text


def test_an_smtp_reply_code_is_named_as_a_number() -> None:
    error = AuthenticationFailed(protocol="smtp", code=535, server_text="5.7.8 Bad credentials")
    assert describe(error) == "the mail server refused the login: 535 5.7.8 Bad credentials"


def test_a_code_already_in_the_servers_words_is_not_repeated() -> None:
    error = ServerBusy(code="IN-USE", server_text="[IN-USE] mailbox locked")
    assert describe(error).count("IN-USE") == 1


def test_the_errors_own_message_comes_first() -> None:
    error = TimedOut("the mail server did not answer in time", protocol="imap")
    assert describe(error) == "the mail server did not answer in time"


@given(st.text(max_size=200))
def test_server_words_are_sanitised(said: str) -> None:
    text = describe(Refused(server_text=said + "\x1b[31m\x07\x9b"))
    assert not any(ord(c) < 32 or 0x7F <= ord(c) < 0xA0 for c in text), repr(text)


def test_a_bytes_repr_from_a_library_shows_the_words_only() -> None:
    text = describe(Refused(server_text="b'[TRYCREATE] no such folder'"))
    assert "b'" not in text and "[TRYCREATE] no such folder" in text


def test_transport_errors_and_core_sentences_and_anything_else() -> None:
    assert "cannot be found" in describe(socket.gaierror(-2, "Name or service not known"))
    assert "did not answer in time" in describe(TimeoutError())
    assert describe(ServiceError("There is no account called x.")) == (
        "There is no account called x."
    )
    assert describe(PasswordError(problem="printed-nothing", what="oauth2_token_command")) == (
        "The oauth2_token_command printed nothing."
    )
    assert describe(PasswordError(problem="empty", what="password_command")) == (
        "The password_command is empty."
    )
    assert describe(KeyError("x")) == "Something went wrong: 'x'"


def test_a_failure_says_where_it_happened() -> None:
    lost = ConnectionLost(server_text="BYE going down")
    assert failure(Failure(lost, "work", "Lists/ietf", SYNC)) == (
        "Lists/ietf: the connection to the mail server was lost: BYE going down"
    )
    assert failure(Failure(lost, "work", "", FLUSH)).startswith(
        "Saved here; the server will be updated when it is reachable (the connection"
    )
    assert failure(Failure(lost, "work", "", OUTBOX)).startswith("Outbox: the connection")
    assert failure(Failure(lost, "work", "INBOX", SEARCH)).startswith(
        "Searched this computer only (the connection"
    )
    odd = ProtocolViolation(server_text='* LIST () "/" {5}')
    assert failure(Failure(odd, "work", "", LIST)) == (
        'the server listed a folder tuimail cannot read: * LIST () "/" {5}'
    )


def test_an_account_state_in_words() -> None:
    assert state(AccountState("idle", "push", phase="online")) == "push connected"
    assert state(AccountState("idle", "up-to-date", phase="online")) == "up to date"
    assert state(AccountState("polling", "polling", phase="online", interval=60)) == (
        "checking every 60 s"
    )
    syncing = AccountState("syncing", "syncing", progress=("INBOX", 3, 10))
    assert state(syncing) == "syncing INBOX 3/10"
    refused = AccountState("error", phase="needs-password", error=AuthenticationFailed())
    assert state(refused) == (
        "the mail server refused the login — not trying again until the password is checked"
    )
    offline = AccountState(
        "offline", phase="offline-retrying", error=ServerBusy(code="UNAVAILABLE"), retry_in=4.6
    )
    assert state(offline) == (
        "the mail server is busy; it asked to try again later: [UNAVAILABLE] — retrying in 5 s"
    )
    gone = Failure(Refused(code="NONEXISTENT", server_text="No such folder"), "w", "Gone", SYNC)
    some = AccountState("error", phase="online", failures=(gone,))
    assert state(some) == "Gone: the mail server refused: [NONEXISTENT] No such folder"


def test_events_in_words() -> None:
    refused = ServiceEvent("error", "work", "Archive", error=Refused(), action="move")
    assert event(refused) == "A move was not applied on the server: the mail server refused"
    assert "repeated UIDL" in event(ServiceEvent("warning", "pop", note=ODD_UIDL))
    assert "does not support UIDL" in warning(NO_UIDL)
    assert event(ServiceEvent("sent", "work", count=2)) == (
        "2 waiting messages sent from the outbox."
    )
    assert event(ServiceEvent("messages", "work", "INBOX")) == ""


@pytest.mark.parametrize("reason", ["same-messages", "rebuilt"])
def test_a_renumbered_folder_with_a_4_kb_name_is_one_short_line(reason: str) -> None:
    name = "Archive/" + "x" * 4000 + "/end"
    said = event(ServiceEvent("warning", "work", name, note=f"uidvalidity-{reason}"))
    assert said.startswith("Archive/x") and "…" in said and "x/end: the server" in said
    assert len(said) < 300 and "\n" not in said, said


def test_skipped_folders_in_one_sentence() -> None:
    assert skipped(1) == (
        "1 other folder not synced this time (the mail server did not answer in time)"
    )


def test_a_library_error_is_worded_through_its_protocols_classifier() -> None:
    """A raw imaplib/poplib error that reached the edge (a worker's failure) is worded
    like a typed one, with the server's code and words, not as 'Something went wrong'."""
    text = describe(imaplib.IMAP4.error("select failed: b'[NONEXISTENT] Unknown Mailbox'"))
    assert text == "the mail server refused: [NONEXISTENT] Unknown Mailbox"
    assert "closed the connection" in describe(imaplib.IMAP4.abort("socket error: EOF"))
    text = describe(poplib.error_proto(b"-ERR [IN-USE] locked"))
    assert "in use" in text and "[IN-USE] locked" in text


# Every reason a classifier can give (tuimail.core.errors.REASONS) has its own words at
# the edge, and they survive the outbox's record on disk (error_record, JSON).
_REASON_CASES = {
    "closed": (ConnectionLost, {}),
    "mid-line": (ConnectionLost, {"line": "* 1 FETCH (FLA"}),
    "dns": (Unreachable, {}),
    "connection-refused": (Unreachable, {}),
    "no-route": (Unreachable, {"detail": "Network is unreachable"}),
    "no-greeting": (TimedOut, {"encrypted": False}),
    "greeting-refused": (ServerBusy, {}),
    "in-use": (ServerBusy, {}),
    "login-delay": (ServerBusy, {}),
    "temporary": (ServerBusy, {}),
    "reply": (Refused, {"stage": "MAIL FROM"}),
    "mechanism": (Refused, {}),
    "login-not-ascii": (Refused, {}),
    "line-too-long": (ProtocolViolation, {"limit": 8 << 20}),
    "item-too-big": (ProtocolViolation, {"size": 1 << 40, "limit": 256 << 20}),
    "response-too-big": (ProtocolViolation, {"limit": 512 << 20}),
    "unexpected-tag": (ProtocolViolation, {"line": "X9 OK done"}),
    "not-protocol": (ProtocolViolation, {"line": "HTTP/1.1 400"}),
    "early-success": (ProtocolViolation, {"stage": "AUTH"}),
    "unexpected-reply": (ProtocolViolation, {"stage": "MAIL FROM"}),
    "garbage": (ProtocolViolation, {}),
    "list-line": (ProtocolViolation, {"problem": "name-too-long", "size": 70_000}),
    "unparsable": (ProtocolViolation, {}),
    "not-greeting": (ProtocolViolation, {}),
    "bad-bytes": (ProtocolViolation, {}),
    "too-much-data": (ProtocolViolation, {}),
    "bad-search": (ProtocolViolation, {"problem": "too-many", "limit": 20_000}),
    "search-refused": (Refused, {}),
    "refused-to": (Refused, {"what": "list-folders"}),
    "no-folder": (Refused, {"folder": "Archive"}),
    "folder-gone": (Refused, {"folder": "Archive"}),
    "renumbered": (Refused, {"folder": "Archive"}),
    "folder-changed": (Refused, {"folder": "Archive"}),
    "message-missing": (Refused, {}),
    "message-moving": (Refused, {}),
    "message-gone": (Refused, {}),
    "cut-short-message": (Refused, {}),
    "empty-message": (Refused, {}),
    "unknown-action": (Refused, {"kind": "teleport"}),
    "no-exists": (ProtocolViolation, {}),
    "bad-numbers": (ProtocolViolation, {}),
    "oauth": (Refused, {"step": "renew"}),
    "sign-in": (Refused, {}),
    "no-device-sign-in": (Refused, {}),
    "no-browser-sign-in": (Refused, {}),
    "no-client": (Refused, {"account": "work"}),
    "no-access-token": (ProtocolViolation, {}),
    "incomplete-answer": (ProtocolViolation, {}),
    "not-json": (ProtocolViolation, {}),
    "login-busy": (ServerBusy, {}),
    "no-such-host": (Unreachable, {}),
    "dns-timeout": (TimedOut, {}),
    "lookup-timeout": (TimedOut, {}),
    "not-server": (ProtocolViolation, {}),
    "unreadable-update": (ProtocolViolation, {"item": "VANISHED"}),
    "unreadable-messages": (Refused, {"uids": [17], "count": 1}),
    "web": (Refused, {"what": "no-document"}),
    "capability-refused": (ProtocolViolation, {}),
    "unexpected": (ProtocolViolation, {"type": "ValueError"}),
    "token-rejected": (AuthenticationFailed, {"login": "u", "status": "invalid_token"}),
    "no-oauth": (Refused, {"offered": ["PLAIN"]}),
    "auth-command-refused": (ProtocolViolation, {}),
    "local-store": (PermanentError, {"detail": "database or disk is full", "full": True}),
    "other": (Refused, {"detail": "tuimail's own words"}),
    "dns-query": (Unreachable, {"name": "example.test", "rtype": "MX", "detail": "SERVFAIL"}),
}


def test_every_classifier_reason_has_a_case() -> None:
    from tuimail.core.errors import REASONS

    assert set(_REASON_CASES) == set(REASONS)


@pytest.mark.parametrize("reason", sorted(_REASON_CASES))
def test_every_classifier_reason_has_its_own_words_kept_on_disk(reason: str) -> None:
    import json

    from tuimail.core.errors import error_from_record, error_record

    cls, data = _REASON_CASES[reason]
    error = cls(reason=reason, data=data, protocol="imap", code=421, host="mail.example")
    text = failure_words(error)
    assert text and not error.message
    assert text != failure_words(cls(protocol="imap", code=421, host="mail.example"))
    others = {
        failure_words(c(reason=r, data=d, protocol="imap", code=421))
        for r, (c, d) in _REASON_CASES.items()
        if r != reason
    }
    assert text not in others
    stored = error_from_record(json.loads(json.dumps(error_record(error))))
    assert (stored.reason, stored.data) == (reason, data)
    assert failure_words(stored) == text


@pytest.mark.parametrize(
    ("error", "expect"),
    [
        (ProtocolViolation(reason="line-too-long", data={"limit": 65536}, protocol="pop3"),
         "a line longer than 65,536 bytes (not POP3); the connection was closed"),
        (ProtocolViolation(reason="bad-bytes", protocol="pop3"),
         "bytes that are not valid in a POP3 answer"),
        (ProtocolViolation(reason="bad-search", data={"problem": "too-many", "limit": 20000},
                           protocol="imap"),
         "sent more than 20,000 UIDs in a search answer (not IMAP)"),
        (ProtocolViolation(reason="bad-bytes", protocol="imap"),
         "bytes that are not valid in an IMAP answer"),
        (ProtocolViolation(reason="item-too-big", data={"size": 10**12, "limit": 256 << 20},
                           protocol="imap"),
         "an item of 1,000,000,000,000 bytes, more than tuimail accepts (256 MB)"),
        (AuthenticationFailed(protocol="pop3", host="pop.example", data={"login": "ann"},
                              code="AUTH", server_text="[AUTH] no"),
         "pop.example refused the login for ann: [AUTH] no"),
    ],
)  # fmt: skip
def test_a_reasons_data_is_in_its_words(error: MailError, expect: str) -> None:
    assert expect in failure_words(error)


def test_every_service_reason_has_its_own_words() -> None:
    """A facade step's failure (ServiceError with a reason) is worded here from its data,
    never from core's text; a hostile detail is sanitised."""
    from tuimail.core.facade.views import NO_LIST_WHY, SERVICE_REASONS
    from tuimail.core.mime.attachments import AttachmentError

    samples = {
        "search": {"type": "OperationalError", "detail": "database is locked\x1b[2J"},
        "no-list": {"why": "posts-refused"},
        "attachment": {"step": "save", "error": AttachmentError("no-such", index=3)},
        "save-messages": {"path": "/x/y", "detail": "Permission denied"},
        "no-account": {"name": "work\x1b[2J"},
        "no-folder": {"name": "Old"},
        "folder-kept": {"name": "INBOX"},
        "nothing-to-undo": {},
        "undo-gone": {},
        "not-an-address": {"address": "bob@"},
        "no-recipients": {},
    }
    assert set(samples) == set(SERVICE_REASONS)
    said = {r: describe(ServiceError(reason=r, data=d)) for r, d in samples.items()}
    assert said["search"] == (
        "That search did not work: the local message store could not run it; "
        "database is locked\u241b[2J."
    )
    assert said["no-list"] == (
        "No reply to the list: the list does not accept posts from its readers (List-Post: NO)."
    )
    assert said["attachment"] == "There is no attachment number 3."
    assert said["save-messages"] == "Cannot save into /x/y: Permission denied."
    assert said["no-account"] == "There is no account called work\u241b[2J."
    assert said["no-folder"] == "There is no folder called Old."
    assert said["folder-kept"] == "The folder INBOX cannot be deleted."
    assert said["nothing-to-undo"] == "There is nothing to undo."
    assert said["undo-gone"] == (
        "The messages to put back are gone (removed on the server): nothing was undone."
    )
    assert said["not-an-address"] == "Not an e-mail address: bob@. Nothing was sent."
    assert said["no-recipients"] == "Add at least one recipient."
    for why in NO_LIST_WHY:
        assert _NO_LIST[why] in describe(ServiceError(reason="no-list", data={"why": why}))


def test_a_failed_dns_query_is_worded_from_its_data() -> None:
    """resolver.DNSError carries the query and the library's words as data; the
    sentence is made here (dns_failure -> reason_words), sanitised."""
    from tuimail.core.discovery.resolver import DNSError, DNSTimeout, dns_failure

    failed = dns_failure(DNSError("example.test", "MX", "SERVFAIL\x1b[2J"))
    assert isinstance(failed, Unreachable) and not failed.message
    assert describe(failed) == ("the DNS query for example.test (MX) failed (SERVFAIL\u241b[2J)")
    late = dns_failure(DNSTimeout("_imaps._tcp.example.test", "SRV"))
    assert isinstance(late, TimedOut) and late.reason == "dns-timeout"
    assert describe(late) == (
        "the DNS query for _imaps._tcp.example.test (SRV) timed out: the name server did "
        "not answer in time"
    )


def test_every_dkim_check_reason_has_its_own_words() -> None:
    """The delivery report's own DKIM check is data (DkimCheck reason + data); the line
    a person reads is made here, with the library's and DNS's words, sanitised."""
    from tuimail.core.report.model import DKIM_REASONS, DkimCheck

    samples = {
        "valid": {},
        "does-not-verify": {"library": "body hash mismatch"},
        "cannot-check": {"library": "unknown signature algorithm: x\x1b[2J"},
        "library-failed": {"type": "IndexError"},
        "no-key": {"name": "s._domainkey.example.test"},
        "key-lookup-failed": {
            "name": "s._domainkey.example.test",
            "rtype": "TXT",
            "timed_out": False,
            "detail": "SERVFAIL",
        },
        "malformed": {},
        "changed": {},
        "too-large": {"limit": 1},
    }
    assert set(samples) == set(DKIM_REASONS)
    said = {r: dkim_detail(DkimCheck("d", "s", "error", r, d)) for r, d in samples.items()}
    assert said == {
        "valid": "the signature is valid: signed parts unchanged",
        "does-not-verify": "the signature does not verify (body hash mismatch)",
        "cannot-check": "the signature cannot be checked: unknown signature algorithm: x\u241b[2J",
        "library-failed": "the signature cannot be checked (IndexError)",
        "no-key": "no key is published at s._domainkey.example.test: the signature cannot be valid",
        "key-lookup-failed": "the key could not be fetched (the DNS query for "
        "s._domainkey.example.test (TXT) failed (SERVFAIL))",
        "malformed": "the signature is malformed",
        "changed": "the signature does not match: the message was changed after signing",
        "too-large": "the message is too large to check here",
    }
    late = {**samples["key-lookup-failed"], "timed_out": True}
    assert dkim_detail(DkimCheck("d", "s", "error", "key-lookup-failed", late)) == (
        "the key could not be fetched (the DNS query for s._domainkey.example.test (TXT) timed out)"
    )


# -- what the app's actions did (tuimail.words.actions) ----------------------------------


@pytest.mark.parametrize(
    ("action", "count", "said"),
    [
        ("move", 3, "Undone: moved 3 messages"),
        ("delete", 1, "Undone: deleted 1 message"),
        ("archive", 2, "Undone: archived 2 messages"),
        ("flag", 1, "Undone: flagged 1 message"),
        ("unflag", 4, "Undone: unflagged 4 messages"),
        ("read", 4, "Undone: marked 4 messages read"),
        ("unread", 1, "Undone: marked 1 message unread"),
    ],
)
def test_an_undo_is_worded_from_its_action_and_count(action, count, said) -> None:
    from tuimail.core.service import Undone
    from tuimail.words.actions import undone

    assert undone(Undone(action, count)) == said


def test_new_mail_is_worded_for_the_terminal_notification() -> None:
    from tuimail.core.hooks import NewMessage
    from tuimail.words.actions import new_mail

    one = NewMessage("work", "INBOX", "Ann", "ann@example.test", "Lunch\x1b[2J")
    assert new_mail([one], 1) == ("New mail from Ann", "Lunch\u241b[2J")
    nameless = NewMessage("work", "INBOX", "", "bob@example.test", "Hi")
    assert new_mail([nameless], 1)[0] == "New mail from bob@example.test"
    assert new_mail([one, nameless], 5) == ("5 new messages", "in work")


def test_an_attachment_only_saved_says_why() -> None:
    from pathlib import Path

    from tuimail.core.attachment_view import ViewPlan
    from tuimail.words.actions import not_viewed

    path = Path("/tmp/x/a.pdf")
    stopped = ViewPlan("saved", path=path, reason="mailcap-unfinished")
    assert not_viewed("a.pdf", stopped) == (
        "The mailcap command for a.pdf did not finish; it was saved to /tmp/x/a.pdf."
    )
    plain_saved = ViewPlan("saved", path=path)
    assert (
        not_viewed("", plain_saved)
        == "No viewer for the attachment here; it was saved to /tmp/x/a.pdf."
    )


def test_a_stored_note_is_worded_and_an_older_stores_sentence_kept() -> None:
    from tuimail.core.date_notes import ARRIVAL_NOTES
    from tuimail.core.store.headers import NOTE_SHORTENED, NOTE_UNREADABLE
    from tuimail.core.store.store import NOTE_SIZE, NOTE_UNREADABLE_ANSWER
    from tuimail.words.notes import NOTE_KINDS, message_note, note_kind

    kinds = {NOTE_SHORTENED, NOTE_UNREADABLE, NOTE_SIZE, NOTE_UNREADABLE_ANSWER, *ARRIVAL_NOTES}
    assert kinds == NOTE_KINDS  # every kind core stores has its words
    assert message_note(NOTE_SHORTENED) == (
        "a header of this message was too long and is shown shortened"
    )
    old = "the server reported an impossible size for this message\x1b[2J"
    assert message_note(old) == "the server reported an impossible size for this message\u241b[2J"
    assert (note_kind(NOTE_SIZE), note_kind(old), note_kind("")) == ("impossible-size", "other", "")


def test_every_outbox_state_has_its_label() -> None:
    from types import SimpleNamespace

    from tuimail.core.outbox import STATES
    from tuimail.words.outbox import _STATES, state_label

    assert set(STATES) == set(_STATES)
    assert state_label(SimpleNamespace(state="maybe_sent")) == "may have been sent"
    assert state_label(SimpleNamespace(state="partial")) == "sent to some recipients"


def test_a_queued_message_without_a_failure_says_its_state() -> None:
    from tuimail.core.outbox import OutboxEntry
    from tuimail.core.service import QueuedError
    from tuimail.words.describe import describe

    entry = OutboxEntry("1", "work", "a@example.test", ["b@example.test"], state="retrying")
    assert describe(QueuedError(entry)) == (
        "The message was not sent (will retry); it waits in the outbox."
    )
    refused = OutboxEntry("2", "work", "a@example.test", ["b@example.test"], state="failed")
    assert describe(QueuedError(refused)).endswith("; it is kept in the outbox, not sent again.")


def test_every_reader_note_core_makes_has_words() -> None:
    from tuimail.core.mime.notes import NOTE_KINDS, note
    from tuimail.words.notes import reader_note

    for kind in NOTE_KINDS:
        assert reader_note(note(kind, declared="x", used="UTF-8", why="parts")), kind
    guessed = note("charset-guessed", because="unknown", declared="x-klingon", guessed="KOI8-R")
    assert reader_note(guessed) == "Unknown charset 'x-klingon'; the charset was guessed as KOI8-R."
    broken = note("too-complex", why="parser-error", type="KeyError")
    assert (
        reader_note(broken)
        == "Message too complex, showing raw (truncated): parser error (KeyError)."
    )


def test_an_unreadable_list_line_says_why_and_shows_the_line() -> None:
    bad = ProtocolViolation(
        protocol="imap",
        server_text='() "/" "abc',
        reason="list-line",
        data={"problem": "unterminated", "size": 0},
    )
    assert failure(Failure(bad, "work", "", LIST)) == (
        'the server listed a folder tuimail cannot read: an unterminated quoted name (() "/" "abc)'
    )


_UNREADABLE = Failure(
    Refused(reason="unreadable-messages", data={"uids": [17], "count": 1}), "a", "INBOX", "sync"
)


@pytest.mark.parametrize(
    ("item", "words"),
    [
        (AccountState("error", error=AuthenticationFailed(protocol="imap")), "login refused"),
        (AccountState("error", error=SecurityFailure(protocol="imap")), "security problem"),
        (
            AccountState("offline", error=ServerBusy(protocol="imap"), retry_in=8.0),
            "server busy — retrying in 8 s",
        ),
        (
            AccountState("offline", error=Unreachable(protocol="imap"), retry_in=60.0),
            "offline — retrying in 60 s",
        ),
        (
            AccountState("error", error=ProtocolViolation(protocol="imap")),
            "server broke the protocol",
        ),
        (AccountState("error", failures=(Failure(ServerBusy(), "a", "INBOX"),)), "a folder failed"),
        (AccountState("error", failures=(Failure(ServerBusy()),) * 2), "2 folders failed"),
        (AccountState("error", failures=(_UNREADABLE,)), "1 message unreadable"),
    ],
)
def test_a_troubled_accounts_state_in_a_few_words(item, words) -> None:
    """The status bar's words for an account whose sentence does not fit its one line."""
    from tuimail.words.status import brief

    assert brief(item) == words


def test_messages_the_server_could_not_send_in_one_sentence() -> None:
    """The folder, how many, their UIDs, the server's code and words, and that the next
    sync asks again (`tuimail sync`, the app's status)."""
    error = Refused(
        protocol="imap",
        code="SERVERBUG",
        server_text="Internal error occurred.",
        reason="unreadable-messages",
        data={"uids": [17, 18], "count": 2},
    )
    assert failure(Failure(error, "a", "INBOX", "sync")) == (
        "INBOX: 2 messages could not be read from the server (UIDs 17, 18): the server said "
        "[SERVERBUG] Internal error occurred.; the next sync asks for them again"
    )


def test_logindisabled_says_what_to_change_by_how_the_connection_was_made() -> None:
    from tuimail.words.security import security

    def said(encrypted: bool) -> str:
        data = {"encrypted": encrypted}
        return security(SecurityFailure(reason="login-disabled", protocol="imap", data=data))

    assert 'set security = "starttls"' in said(False)
    assert "OAuth 2.0" in said(True) and "starttls" not in said(True)


def test_a_full_store_during_a_sync_is_said_as_this_computers_not_the_servers() -> None:
    """A full disk during `tuimail sync` read 'INBOX: database or disk is full' and was a
    permanent IMAP error in --json (kind permanent, reason other), as if the server had
    failed. The error is real SQLite's (SQLITE_FULL, by a page limit)."""
    import sqlite3

    from tuimail.core.imap.errors import classify_imap
    from tuimail.core.pop3_errors import classify_pop3

    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE TABLE t (x BLOB)")
    conn.execute("PRAGMA max_page_count = 2")
    with pytest.raises(sqlite3.OperationalError) as full:
        conn.execute("INSERT INTO t VALUES (zeroblob(100000))")
    for error in (classify_imap(full.value), classify_pop3(full.value)):
        assert (error.reason, error.data["full"]) == ("local-store", True)
        assert failure_words(error) == (
            "the local store on this computer could not be written (is the disk full?): "
            "database or disk is full"
        )
