"""Real mail end to end: the corpus (241 messages from other projects) and hostile shapes
(tests/interop/shapes.py) submitted through the private Postfix, delivered by Dovecot,
then read by tuimail over IMAP and over POP3 (left on the server): every message arrives
once, is listed once, reads, comes back byte for byte as the server stores it, its files
save byte for byte, and a forward (inline and as attachment) carries them unchanged
through Postfix to the next recipient.

One delivery for the module (about 250 messages in one SMTP session); each test has its
own configuration and local store."""

from __future__ import annotations

import json
import re
import smtplib
import time

import pytest

from tests.cli.helpers import configure
from tests.corpus import CORPUS_FILES
from tests.interop import shapes
from tests.pop3.helpers import pop3_account
from tests.sending.helpers import account_for, parse
from tuimail.__main__ import main
from tuimail.core.compose import forward, message_bytes
from tuimail.core.config import save_account
from tuimail.core.mime import parse_message
from tuimail.core.mime.attachments import save_attachment
from tuimail.core.outbox import send_now
from tuimail.core.secrets import Secret
from tuimail.core.tls import client_context

pytestmark = pytest.mark.interop

TAG = re.compile(rb"\AX-QA-Id: (\d+)\r\n")


def _as_sent(raw: bytes) -> bytes:
    """A corpus file as a program would submit it: no mbox `From ` line."""
    first, _, rest = raw.partition(b"\n")
    return rest if first.startswith(b"From ") else raw


class Delivered:
    """What one user's INBOX got: `names[tag]` (corpus file or `shape-NAME`) and
    `stored[tag]`, the bytes Dovecot keeps (its maildir file)."""

    def __init__(self, user, names: list[str], stored: dict[int, bytes]) -> None:
        self.user, self.names, self.stored = user, names, stored

    def tag(self, raw: bytes) -> int:
        """The message's number; its X-QA-Id is below Dovecot's and Postfix's lines."""
        found = re.search(rb"^X-QA-Id: (\d+)\r?$", raw, re.M)
        assert found, raw[:500]
        return int(found.group(1))


@pytest.fixture(scope="module")
def delivered(dovecot_peer) -> Delivered:
    sender, user = dovecot_peer.new_user(), dovecot_peer.new_user()
    messages = [(p.name, _as_sent(p.read_bytes())) for p in CORPUS_FILES]
    messages += [(f"shape-{name}", build()) for name, build in shapes.SHAPES.items()]
    context = client_context(dovecot_peer.ca_file)
    with smtplib.SMTP_SSL(
        dovecot_peer.host, dovecot_peer.ports.smtp_tls, context=context, timeout=60
    ) as smtp:
        smtp.login(sender.login, sender.password)
        for tag, (_, raw) in enumerate(messages):
            smtp.sendmail(
                sender.email,
                [user.email],
                b"X-QA-Id: %d\r\n" % tag + raw,
                # no SMTPUTF8: Postfix would then need it from Dovecot's LMTP, which
                # does not offer it (UTF-8 headers bounce); UTF-8 in headers is accepted
                mail_options=["BODY=8BITMIME"],
            )
    deadline = time.monotonic() + 60
    while len(stored := dovecot_peer.messages(user)) < len(messages):
        assert time.monotonic() < deadline, (
            f"{len(stored)} of {len(messages)} arrived\n" + dovecot_peer.log_tail(60)
        )
        time.sleep(0.1)
    result = Delivered(user, [name for name, _ in messages], {})
    result.stored = {result.tag(raw): raw for raw in stored}
    assert sorted(result.stored) == list(range(len(messages)))  # each once
    return result


def _cli(capsysbinary, *argv: str) -> bytes:
    assert main(list(argv)) == 0, capsysbinary.readouterr().err.decode()
    return capsysbinary.readouterr().out


def _read_all(capsysbinary, delivered: Delivered) -> dict[int, bytes]:
    """Sync, list, then `read --raw` each listed message (and `read --json` each shape):
    its tag -> the bytes tuimail gives. Every message is listed exactly once."""
    _cli(capsysbinary, "sync")
    rows = json.loads(_cli(capsysbinary, "list", "--json", "--limit", "1000"))
    got: dict[int, bytes] = {}
    for row in rows:
        number = str(row["uid"] or row["id"])
        raw = _cli(capsysbinary, "read", "--raw", number)
        tag = delivered.tag(raw)
        assert tag not in got, delivered.names[tag]
        got[tag] = raw
        if delivered.names[tag].startswith("shape-"):  # (the corpus reads in tests/message)
            shown = json.loads(_cli(capsysbinary, "read", "--json", number))
            assert shown["subject"] == row["subject"]
            assert shown["text"].strip() or shown["attachments"], delivered.names[tag]
    assert sorted(got) == sorted(delivered.stored)
    # the list's paperclip, once the bodies are in, is what the reader lists (a
    # signature is no file)
    rows = json.loads(_cli(capsysbinary, "list", "--json", "--limit", "1000"))
    for row in rows:
        raw = _cli(capsysbinary, "read", "--raw", str(row["uid"] or row["id"]))
        files = [a for a in parse_message(raw).attachments if "signature" not in a.content_type]
        assert row["has_attachments"] == bool(files), delivered.names[delivered.tag(raw)]
    return got


def test_imap_lists_and_reads_every_message_as_the_server_stores_it(
    dovecot_peer, delivered, capsysbinary
) -> None:
    # bodies downloaded by the sync (the offline cache), as one batch: `read` then reads
    # the store (reading each over its own connection costs ~4 s of CPU here)
    configure(dovecot_peer, delivered.user, download_bodies=True)
    got = _read_all(capsysbinary, delivered)
    for tag, stored in delivered.stored.items():
        # Dovecot sends a NUL byte as 0x80 over IMAP (a literal cannot carry NUL)
        assert got[tag] == stored.replace(b"\0", b"\x80"), delivered.names[tag]


def test_pop3_lists_and_reads_every_message_once_as_the_server_stores_it(
    dovecot_peer, delivered, capsysbinary
) -> None:
    account = pop3_account(dovecot_peer, delivered.user)
    account.password_command = f"printf %s {delivered.user.password}"
    save_account(account)
    got = _read_all(capsysbinary, delivered)
    assert got == delivered.stored
    (again,) = json.loads(_cli(capsysbinary, "sync", "--json"))  # fetched once, left there
    assert (again["new"], again["on_server"]) == (0, len(delivered.stored))
    assert len(dovecot_peer.messages(delivered.user)) == len(delivered.stored)


def _shape(delivered: Delivered, name: str) -> bytes:
    tag = delivered.names.index(f"shape-{name}")
    return delivered.stored[tag]


def test_every_file_of_the_shapes_saves_byte_for_byte(delivered, tmp_path) -> None:
    for name in shapes.SHAPES:
        parsed = parse_message(_shape(delivered, name))
        folder = tmp_path / name
        folder.mkdir()
        saved = [save_attachment(parsed, a.index, folder) for a in parsed.attachments]
        assert all(p.parent == folder for p in saved)  # "../../etc/passwd" stays inside
        contents = [p.read_bytes() for p in saved]
        for data in shapes.files(name):
            assert data in contents, (name, len(data), [len(c) for c in contents])
        if name == "rfc2231-names":  # decoded from latin-1, koi8-r, shift_jis, gb2312
            names = [p.name for p in saved]
            for expected in filter(None, shapes.RFC2231_NAMES.values()):
                assert expected in names, (expected, names)


def test_the_corpus_forwarded_keeps_the_message_and_its_files(dovecot_peer, delivered) -> None:
    """Built, not sent (the shapes below are sent): a forward as attachment carries the
    message as stored; an inline forward carries every file the reader lists."""
    account = account_for(dovecot_peer, dovecot_peer.new_user())
    for tag, raw in delivered.stored.items():
        whole = forward(raw, account, as_attachment=True)
        whole.to = ["bob@example.org"]
        assert raw in message_bytes(whole, account)[0], delivered.names[tag]
        files = [a for a in parse_message(raw).attachments if not a.nested]
        if not files:
            continue  # (an inline forward of text alone: tests/sending)
        inline = forward(raw, account)
        inline.to = ["bob@example.org"]
        sent = parse_message(message_bytes(inline, account)[0])
        carried = [a.payload for a in sent.attachments if not a.nested]
        for att in files:
            assert att.payload in carried, (delivered.names[tag], att.filename)


# the shapes with files, and the one whose header Postfix must carry whole (the rest
# are forwarded above, built but not sent)
SENT = [name for name in shapes.SHAPES if shapes.files(name)] + ["many-header-lines"]


async def test_shapes_forwarded_through_postfix_arrive_unchanged(dovecot_peer, delivered) -> None:
    alice, bob = dovecot_peer.new_user(), dovecot_peer.new_user()
    account = account_for(dovecot_peer, alice)
    for name in SENT:
        raw = _shape(delivered, name)
        for kind in ("inline", "attached"):
            draft = forward(raw, account, as_attachment=kind == "attached")
            draft.to, draft.subject = [bob.email], f"fwd {kind} {name}"
            out, sender, rcpts = message_bytes(draft, account)
            entry = await send_now(out, sender, rcpts, account, Secret(alice.password))
            assert entry.state == "sent", (name, kind)
    arrived = {}
    deadline = time.monotonic() + 60
    while len(arrived) < 2 * len(SENT):
        assert time.monotonic() < deadline, sorted(arrived)
        for got in dovecot_peer.messages(bob):
            arrived[str(parse(got)["Subject"])] = got
        time.sleep(0.1)
    for name in SENT:
        raw = _shape(delivered, name)
        assert raw in arrived[f"fwd attached {name}"], name
        files = {a.payload: a.charset for a in parse_message(raw).attachments}
        carried = {
            a.payload: a.charset for a in parse_message(arrived[f"fwd inline {name}"]).attachments
        }
        for data in shapes.files(name):
            assert data in carried, name
            assert carried[data] == files[data], (name, "the charset of its text")


# -- sending the shapes with `tuimail send` -----------------------------------------------


def _body(raw: bytes) -> bytes:
    """What follows the header, line ends as on the wire."""
    return raw.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n").partition(b"\r\n\r\n")[2]


def test_the_shapes_sent_through_postfix_arrive_with_their_body_unchanged(
    dovecot_peer, tmp_path, capsysbinary
) -> None:
    alice, bob = dovecot_peer.new_user(), dovecot_peer.new_user()
    configure(dovecot_peer, alice)
    for name, build in shapes.SHAPES.items():
        path = tmp_path / f"{name}.eml"
        path.write_bytes(build())
        said = _cli(capsysbinary, "send", "--file", str(path), bob.email)
        assert said.startswith(f"Sent to {bob.email}.".encode()), said
    arrived: dict[str, bytes] = {}
    deadline = time.monotonic() + 60
    while len(arrived) < len(shapes.SHAPES):
        assert time.monotonic() < deadline, sorted(arrived)
        for got in dovecot_peer.messages(bob):
            arrived[str(parse(got)["Subject"]).removeprefix("shape ")] = got
        time.sleep(0.1)
    for name, build in shapes.SHAPES.items():
        assert _body(arrived[name]) == _body(build()), name


def test_a_utf8_address_is_sent_with_smtputf8_or_refused_by_name(
    dovecot_peer, tmp_path, capsysbinary
) -> None:
    """Postfix offers SMTPUTF8: a UTF-8 local part is accepted (mail for another domain is
    discarded by the bed). Where SMTPUTF8 is not offered, that recipient is refused with
    a sentence naming it, and the others get the message with ASCII headers."""
    alice, bob = dovecot_peer.new_user(), dovecot_peer.new_user()
    account = configure(dovecot_peer, alice)
    path = tmp_path / "utf8.eml"
    path.write_bytes(shapes.utf8_addresses())
    said = _cli(capsysbinary, "send", "--file", str(path), "jörg@exämple.org")
    assert said.startswith("Sent to jörg@exämple.org.".encode()), said

    account.outgoing.port = dovecot_peer.ports.smtp_tls_7bit
    save_account(account)
    assert main(["send", "--file", str(path), bob.email, "jörg@example.org"]) == 1
    out, err = capsysbinary.readouterr()
    assert out.startswith(f"Sent to {bob.email}.".encode()), out
    assert "not delivered to: jörg@example.org: ".encode() in err, err
    assert b"SMTPUTF8" in err
    got = dovecot_peer.wait_for_message(bob, lambda m: b"shape utf8-addresses" in m, 30)
    assert got.isascii(), got[:3000]
    msg = parse(got)
    assert msg.get_content().rstrip() == "Grüße aus Köln — 你好"
