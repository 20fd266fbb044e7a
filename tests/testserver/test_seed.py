"""Seed data: the demo mailbox is realistic and deterministic; bulk is fast."""

from __future__ import annotations

import email
import email.policy
from datetime import UTC, datetime

import pytest

from testserver import seed
from testserver.server import MailServer


@pytest.fixture(scope="module")
def boxes():
    return seed.demo_mailboxes()


def parsed(raw: bytes) -> email.message.EmailMessage:
    return email.message_from_bytes(raw, policy=email.policy.default)


def all_items(boxes):
    return [item for folders in boxes.values() for items in folders.values() for item in items]


def test_deterministic(boxes) -> None:
    assert seed.demo_mailboxes() == boxes
    assert list(seed.bulk_items(50)) == list(seed.bulk_items(50))


def test_users_folders_and_sizes(boxes) -> None:
    assert set(boxes) == {"alice", "bob", "carol"}
    alice = boxes["alice"]
    expected = {"INBOX", "Sent", "Drafts", "Archive", "Trash", "Junk", "Projects/tuimail"}
    assert set(alice) == expected
    assert all(alice[f] for f in expected)
    assert 300 <= sum(len(v) for v in alice.values())
    assert 400 <= len(all_items(boxes)) <= 1500


def test_fixed_dates_in_range_and_ascending(boxes) -> None:
    low, high = datetime(2026, 9, 1, tzinfo=UTC), datetime(2026, 11, 21, tzinfo=UTC)
    for folders in boxes.values():
        for items in folders.values():
            dates = [date for _, _, date in items]
            assert dates == sorted(dates)
            assert all(low <= d < high for d in dates)
    for raw, _, date in all_items(boxes)[:50]:
        assert parsed(raw)["Date"].datetime == date


def test_threads_reference_real_messages(boxes) -> None:
    ids = {parsed(raw)["Message-ID"] for raw, _, _ in all_items(boxes)}
    replies = [parsed(raw) for raw, _, _ in all_items(boxes) if b"In-Reply-To:" in raw]
    assert len(replies) > 30
    for message in replies:
        assert message["In-Reply-To"] in ids
        references = message["References"].split()
        assert references[-1] == message["In-Reply-To"]
        assert all(r in ids for r in references)
        assert message["Subject"].startswith("Re: ")


def test_html_attachments_and_non_ascii(boxes) -> None:
    messages = [parsed(raw) for raw, _, _ in all_items(boxes)]
    html = [m for m in messages if m.get_content_type() == "multipart/alternative"]
    assert len(html) > 20
    assert "<html>" in html[0].get_body(("html",)).get_content()
    attachments = [a for m in messages for a in m.iter_attachments()]
    kinds = {a.get_content_type() for a in attachments}
    assert {"application/pdf", "image/png", "text/plain"} <= kinds
    pdf = next(a for a in attachments if a.get_content_type() == "application/pdf")
    assert pdf.get_content().startswith(b"%PDF-")
    png = next(a for a in attachments if a.get_content_type() == "image/png")
    assert png.get_content().startswith(b"\x89PNG\r\n\x1a\n")
    assert any(a.get_filename() == "Übersicht.pdf" for a in attachments)
    # Non-ASCII names and subjects are RFC 2047-encoded on the wire, decoded here.
    raw_headers = b"".join(raw.split(b"\r\n\r\n")[0] for raw, _, _ in all_items(boxes))
    assert raw_headers.isascii()
    assert any("José Müller" in str(m["From"]) for m in messages)
    assert any(not str(m["Subject"]).isascii() for m in messages)
    body = next(m for m in messages if "José" in str(m["From"])).get_body(("plain",))
    assert body.get_content()


def test_flags_mix(boxes) -> None:
    inbox = boxes["alice"]["INBOX"]
    unread = [f for _, f, _ in inbox if "\\Seen" not in f]
    flagged = [f for _, f, _ in inbox if "\\Flagged" in f]
    answered = [f for _, f, _ in inbox if "\\Answered" in f]
    assert len(unread) > 10 and len(inbox) - len(unread) > 10
    assert flagged and answered
    assert all("\\Draft" in f for _, f, _ in boxes["alice"]["Drafts"])


def test_crlf_line_ends(boxes) -> None:
    for raw, _, _ in all_items(boxes):
        assert raw.count(b"\n") == raw.count(b"\r\n")


def test_seed_applied_to_a_server(test_ca) -> None:
    server = MailServer(ca=test_ca, protocols=(), seed="demo", users=[("dave", "pw")])
    with server:
        for local, password, _ in seed.DEMO_USERS:
            assert server.store.authenticate(f"{local}@example.test", password) is not None
        assert server.store.authenticate("dave@example.test", "pw") is not None
        folder = server.store.folder("alice@example.test", "Projects/tuimail")
        assert len(folder.messages) == len(seed.demo_mailboxes()["alice"]["Projects/tuimail"])
        assert server.store.folder("alice@example.test", "Junk").special_use == "\\Junk"
        logins = [u.login for u in server.users]
        assert logins == ["dave@example.test", "alice@example.test", "bob@example.test",
                          "carol@example.test"]  # fmt: skip


def test_unknown_seed_is_refused(test_ca) -> None:
    with pytest.raises(ValueError, match="unknown seed"):
        MailServer(ca=test_ca, protocols=(), seed="nope").start()


def test_bulk_100k_quickly(test_ca) -> None:
    with MailServer(ca=test_ca, protocols=(), bulk=100_000) as server:
        messages = server.store.messages("alice@example.test")
        assert len(messages) == 100_000
        assert len({m.raw for m in messages[:1000]}) == 1000
        first = parsed(messages[0].raw)
        assert first["Subject"] and first["Message-ID"] == "<bulk.1@example.test>"
        assert messages[0].internaldate < messages[-1].internaldate
        assert any("\\Seen" not in m.flags for m in messages[:100])


def test_bulk_for_another_user(test_ca) -> None:
    server = MailServer(ca=test_ca, protocols=())
    server.add_user("erin", "pw")
    assert seed.bulk(server, 10, "erin@example.test") == 10
    assert len(server.store.messages("erin@example.test")) == 10
