"""Seed data for the bundled server: a realistic demo mailbox, and bulk mail for benchmarks.

`apply(server, "demo")` gives alice, bob and carol @<domain> (passwords in DEMO_USERS)
several hundred messages over INBOX, Sent, Drafts, Archive, Trash, Junk and
"Projects/tuimail": threads with In-Reply-To/References, HTML alternatives, small
attachments, non-ASCII names and subjects (RFC 2047), unread, flagged and answered mail.
Everything is derived from a fixed random seed and fixed dates (2026-09-01..2026-11-20),
so two runs give byte-identical mailboxes.

`bulk(server, n)` puts n cheap messages into alice's INBOX (100,000 in a few seconds).
"""

from __future__ import annotations

import base64
import quopri
import random
from datetime import UTC, datetime, timedelta
from email.header import Header
from email.utils import format_datetime, formataddr

SEED = 20260901
START = datetime(2026, 9, 1, 8, 0, tzinfo=UTC)
END = datetime(2026, 11, 20, 18, 0, tzinfo=UTC)

DEMO_USERS: list[tuple[str, str, str]] = [
    # (local part, password, display name)
    ("alice", "alice-demo-password", "Alice Liddell"),
    ("bob", "bob-demo-password", "Bob Builder"),
    ("carol", "carol-demo-password", "Carol Ångström"),
]
NESTED_FOLDER = "Projects/tuimail"

CONTACTS = [
    ("José Müller", "jose.mueller@example.org"),
    ("Zoë Ørsted", "zoe@example.net"),
    ("Łukasz Wąsik", "lukasz@example.pl"),
    ("Renée Dupré", "renee.dupre@example.fr"),
    ("Søren Kierkegaard", "soren@example.dk"),
    ("Ana Núñez", "ana.nunez@example.es"),
    ("山田 太郎", "taro.yamada@example.jp"),
    ("Priya Raman", "priya@example.in"),
    ("Dmitri Волков", "dmitri@example.ru"),
    ("Grace Hopper", "grace@example.com"),
    ("Linus T.", "linus@example.com"),
    ("Ada Lovelace", "ada@example.com"),
]
LISTS = [
    ("Python Weekly", "newsletter@pythonweekly.example"),
    ("Textual Releases", "releases@textual.example"),
    ("Café Central", "news@cafe-central.example"),
]
SPAMMERS = [
    ("Prize Department", "winner@lottery.example"),
    ("Ｂａｎｋ Ｓｅｃｕｒｉｔｙ", "security@bank-verify.example"),
]

TOPICS = [
    "Quarterly report",
    "Lunch on Thursday?",
    "Café meeting notes",
    "Résumé review",
    "Grüße aus Berlin",
    "Trip to Kraków ✈",
    "Budget 2027 📈",
    "Release checklist",
    "IMAP IDLE reconnect bug",
    "Design review: message list",
    "Invoice #4711",
    "Conference talk proposal",
    "Naïve question about threading",
    "Weekend hike",
    "Übersetzung der Hilfe",
    "Server migration plan",
    "Photos from the workshop",
    "Contract renewal",
    "Keyboard shortcuts",
    "Welcome aboard!",
]
PROJECT_TOPICS = [
    "tuimail: POP3 UIDL state",
    "tuimail: snapshot tests flaky?",
    "tuimail: 100k message list",
    "tuimail: outbox retries",
    "tuimail: autoconfig order",
    "tuimail: HTML rendering",
]
SENTENCES = [
    "Thanks for the quick reply.",
    "I have attached the latest version for you to review.",
    "Could we move this to next week?",
    "The numbers look good, but the chart on page 3 needs another look.",
    "Let me know what you think.",
    "I talked to the team and everyone agrees.",
    "Je pense que c'est une bonne idée.",
    "Das klingt gut, ich bin dabei.",
    "We should write this down before we forget.",
    "The build is green again after the fix.",
    "Sorry for the late answer, I was travelling.",
    "See you at the café around noon — the one near the station.",
    "Here is the summary from yesterday's call.",
    "¿Podemos hablar mañana por la mañana?",
    "I'm not sure this is the right approach, but it works for now.",
    "Best wishes to everyone 🙂",
]

# Small but valid attachment payloads.
PNG_1X1 = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6300010000050001"
    "0d0a2db40000000049454e44ae426082"
)
PDF_MINIMAL = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 200 200]>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)


class _Builder:
    """Makes the demo messages for one domain, deterministically."""

    def __init__(self, domain: str) -> None:
        self.domain = domain
        self.rng = random.Random(SEED)
        self.counter = 0

    def user_address(self, local: str) -> tuple[str, str]:
        name = next(n for lp, _, n in DEMO_USERS if lp == local)
        return name, f"{local}@{self.domain}"

    def date(self, start: datetime = START, end: datetime = END) -> datetime:
        span = int((end - start).total_seconds())
        return start + timedelta(seconds=self.rng.randrange(span))

    def message_id(self, hint: str) -> str:
        self.counter += 1
        return f"<{self.counter:05d}.{hint}@{self.domain}>"

    def body(self, sentences: int | None = None) -> str:
        count = sentences or self.rng.randint(2, 7)
        lines = [self.rng.choice(SENTENCES) for _ in range(count)]
        return "Hi,\n\n" + "\n".join(lines) + "\n\nCheers\n"

    def message(
        self,
        sender: tuple[str, str],
        to: list[tuple[str, str]],
        subject: str,
        date: datetime,
        *,
        body: str | None = None,
        html: bool = False,
        attachments: list[tuple[str, str, bytes]] = (),
        in_reply_to: str | None = None,
        references: list[str] = (),
        cc: list[tuple[str, str]] = (),
        extra: dict[str, str] | None = None,
    ) -> tuple[bytes, str]:
        """A raw message (CRLF) built by hand: much faster than EmailMessage, and the
        MIME boundaries are deterministic."""
        message_id = self.message_id(sender[1].split("@")[0])
        headers = [
            f"From: {_address(sender)}",
            "To: " + ", ".join(_address(a) for a in to),
        ]
        if cc:
            headers.append("Cc: " + ", ".join(_address(a) for a in cc))
        headers += [
            f"Subject: {_encode_header(subject)}",
            f"Date: {format_datetime(date)}",
            f"Message-ID: {message_id}",
        ]
        if in_reply_to:
            headers.append(f"In-Reply-To: {in_reply_to}")
            headers.append("References: " + "\r\n ".join([*references, in_reply_to]))
        headers += [f"{k}: {v}" for k, v in (extra or {}).items()]
        headers.append("MIME-Version: 1.0")
        text = body if body is not None else self.body()
        part = _text_part(text, "plain")
        if html:
            paragraphs = "".join(f"<p>{_html_escape(p)}</p>" for p in text.split("\n") if p)
            markup = (
                f"<html><body><h1>{_html_escape(subject)}</h1>{paragraphs}"
                '<p><a href="https://example.test/unsubscribe">Unsubscribe</a></p>'
                "</body></html>\n"
            )
            part = self._multipart("alternative", [part, _text_part(markup, "html")])
        if attachments:
            part = self._multipart("mixed", [part, *(_attachment(*a) for a in attachments)])
        raw = "\r\n".join(headers).encode() + b"\r\n" + part
        return raw, message_id

    def _multipart(self, subtype: str, parts: list[bytes]) -> bytes:
        boundary = f"=_tuimail_{self.counter:05d}_{subtype}"
        out = [f'Content-Type: multipart/{subtype}; boundary="{boundary}"\r\n\r\n'.encode()]
        out.append(b"This is a multi-part message in MIME format.\r\n")
        for part in parts:
            out.append(f"\r\n--{boundary}\r\n".encode() + part)
        out.append(f"\r\n--{boundary}--\r\n".encode())
        return b"".join(out)


def _address(address: tuple[str, str]) -> str:
    return formataddr(address, "utf-8")


def _encode_header(value: str) -> str:
    return value if value.isascii() else Header(value, "utf-8").encode()


def _crlf(data: bytes) -> bytes:
    return data.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")


def _text_part(text: str, subtype: str) -> bytes:
    """Headers + body of a text part (quoted-printable when not ASCII)."""
    data = text.encode("utf-8")
    if text.isascii():
        head = f"Content-Type: text/{subtype}; charset=us-ascii\r\nContent-Transfer-Encoding: 7bit"
        return head.encode() + b"\r\n\r\n" + _crlf(data)
    head = (
        f"Content-Type: text/{subtype}; charset=utf-8\r\n"
        "Content-Transfer-Encoding: quoted-printable"
    )
    return head.encode() + b"\r\n\r\n" + _crlf(quopri.encodestring(data))


def _attachment(filename: str, ctype: str, data: bytes) -> bytes:
    name = filename if filename.isascii() else Header(filename, "utf-8").encode()
    head = (
        f'Content-Type: {ctype}; name="{name}"\r\n'
        f'Content-Disposition: attachment; filename="{name}"\r\n'
        "Content-Transfer-Encoding: base64"
    )
    return head.encode() + b"\r\n\r\n" + _crlf(base64.encodebytes(data))


def _html_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


Item = tuple[bytes, set[str], datetime]


def demo_mailboxes(domain: str = "example.test") -> dict[str, dict[str, list[Item]]]:
    """{local part: {folder: [(raw, flags, internaldate), ...]}}, dates ascending."""
    b = _Builder(domain)
    boxes: dict[str, dict[str, list[Item]]] = {
        local: {f: [] for f in ("INBOX", "Sent", "Drafts", "Archive", "Trash", "Junk")}
        for local, _, _ in DEMO_USERS
    }
    boxes["alice"][NESTED_FOLDER] = []
    alice = b.user_address("alice")
    rng = b.rng

    def attachment() -> list[tuple[str, str, bytes]]:
        kind = rng.randrange(4)
        if kind == 0:
            return [("report-Q3.pdf", "application/pdf", PDF_MINIMAL)]
        if kind == 1:
            return [("pixel.png", "image/png", PNG_1X1)]
        if kind == 2:
            return [("notes.txt", "text/plain", b"Agenda:\n- one\n- two\n")]
        return [
            ("Übersicht.pdf", "application/pdf", PDF_MINIMAL),
            ("diagram.png", "image/png", PNG_1X1),
        ]

    def incoming_flags(date: datetime, unread_share: float) -> set[str]:
        flags = set() if rng.random() < unread_share else {"\\Seen"}
        if rng.random() < 0.07:
            flags.add("\\Flagged")
        return flags

    # Threads between alice and her contacts (and bob/carol): replies go to Sent.
    people = CONTACTS + [b.user_address("bob"), b.user_address("carol")]
    for t in range(60):
        topic = TOPICS[t % len(TOPICS)]
        other = people[t % len(people)]
        folder = "Archive" if t % 5 == 0 else "INBOX"
        date = b.date(START, END - timedelta(days=3))
        ids: list[str] = []
        length = rng.randint(1, 6)
        for i in range(length):
            from_alice = i % 2 == 1
            subject = topic if i == 0 else f"Re: {topic}"
            sender, rcpt = (alice, other) if from_alice else (other, alice)
            raw, mid = b.message(
                sender,
                [rcpt],
                subject,
                date,
                attachments=attachment() if rng.random() < 0.15 else [],
                in_reply_to=ids[-1] if ids else None,
                references=ids[:-1],
                cc=[people[(t + 3) % len(people)]] if rng.random() < 0.2 else [],
            )
            ids.append(mid)
            if from_alice:
                boxes["alice"]["Sent"].append((raw, {"\\Seen"}, date))
                if other[1].startswith(("bob@", "carol@")):
                    local = other[1].split("@")[0]
                    boxes[local]["INBOX"].append((raw, incoming_flags(date, 0.3), date))
            else:
                unread = 0.35 if i == length - 1 else 0.0
                flags = incoming_flags(date, unread)
                if i < length - 1:
                    flags.add("\\Answered")
                boxes["alice"][folder].append((raw, flags, date))
                if other[1].startswith(("bob@", "carol@")):
                    local = other[1].split("@")[0]
                    boxes[local]["Sent"].append((raw, {"\\Seen"}, date))
            date += timedelta(minutes=rng.randint(5, 60 * 30))
            if date > END:
                date = END - timedelta(minutes=length - i)

    # Single messages from contacts, some with attachments.
    for n in range(110):
        sender = CONTACTS[n % len(CONTACTS)]
        date = b.date()
        raw, _ = b.message(
            sender,
            [alice],
            rng.choice(TOPICS),
            date,
            attachments=attachment() if n % 6 == 0 else [],
        )
        folder = "Archive" if n % 4 == 0 else "INBOX"
        boxes["alice"][folder].append((raw, incoming_flags(date, 0.25), date))

    # Newsletters: HTML with a plain-text alternative.
    for n in range(60):
        sender = LISTS[n % len(LISTS)]
        date = b.date()
        raw, _ = b.message(
            sender,
            [alice],
            f"{sender[0]} — issue {100 + n}",
            date,
            body=b.body(8),
            html=True,
            extra={"List-Id": f"<{sender[1].split('@')[0]}.list.example>"},
        )
        boxes["alice"]["INBOX"].append((raw, incoming_flags(date, 0.5), date))

    # The nested project folder: a few threads.
    for t, topic in enumerate(PROJECT_TOPICS):
        ids = []
        date = b.date()
        for i in range(rng.randint(2, 7)):
            sender = CONTACTS[(t + i) % len(CONTACTS)]
            raw, mid = b.message(
                sender,
                [alice],
                topic if i == 0 else f"Re: {topic}",
                date,
                in_reply_to=ids[-1] if ids else None,
                references=ids[:-1],
                extra={"List-Id": "<tuimail-dev.lists.example.test>"},
            )
            ids.append(mid)
            boxes["alice"][NESTED_FOLDER].append((raw, incoming_flags(date, 0.2), date))
            date += timedelta(hours=rng.randint(1, 20))

    # Drafts, Trash and Junk.
    for n in range(6):
        date = b.date()
        raw, _ = b.message(
            alice, [CONTACTS[n]], f"Draft: {TOPICS[n]}", date, body="Unfinished thought...\n"
        )
        boxes["alice"]["Drafts"].append((raw, {"\\Draft", "\\Seen"}, date))
    for n in range(18):
        date = b.date()
        raw, _ = b.message(CONTACTS[n % len(CONTACTS)], [alice], rng.choice(TOPICS), date)
        boxes["alice"]["Trash"].append((raw, {"\\Seen"}, date))
    for n in range(12):
        date = b.date()
        raw, _ = b.message(
            SPAMMERS[n % 2],
            [alice],
            "You have WON €1,000,000!!!" if n % 2 == 0 else "Urgent: verify your account",
            date,
            html=True,
        )
        boxes["alice"]["Junk"].append((raw, set(), date))

    # bob and carol: some mail of their own.
    for local in ("bob", "carol"):
        me = b.user_address(local)
        for n in range(45):
            sender = CONTACTS[(n * 7) % len(CONTACTS)]
            date = b.date()
            raw, _ = b.message(
                sender,
                [me],
                rng.choice(TOPICS),
                date,
                html=n % 5 == 0,
                attachments=attachment() if n % 9 == 0 else [],
            )
            boxes[local]["INBOX" if n % 3 else "Archive"].append(
                (raw, incoming_flags(date, 0.3), date)
            )
        for n in range(10):
            date = b.date()
            raw, _ = b.message(me, [CONTACTS[n]], rng.choice(TOPICS), date)
            boxes[local]["Sent"].append((raw, {"\\Seen"}, date))

    for folders in boxes.values():
        for items in folders.values():
            items.sort(key=lambda item: item[2])
    return boxes


def apply(server, name: str) -> None:
    """Fill a MailServer (not yet serving) with the named data set."""
    if name != "demo":
        raise ValueError(f"unknown seed {name!r} (known: demo)")
    for local, password, _ in DEMO_USERS:
        if not _has_user(server, f"{local}@{server.domain}"):
            server.add_user(local, password)
    for local, folders in demo_mailboxes(server.domain).items():
        login = f"{local}@{server.domain}"
        for folder, items in folders.items():
            if not server.store.has_folder(login, folder):
                server.store.create_folder(login, folder)
            server.store.bulk_append(login, folder, items)


def _has_user(server, login: str) -> bool:
    return any(u.login == login for u in server.store.users())


_BULK_TEMPLATE = (
    "From: {sender}\r\n"
    "To: Alice Liddell <alice@{domain}>\r\n"
    "Subject: {subject} (#{n})\r\n"
    "Date: {date}\r\n"
    "Message-ID: <bulk.{n}@{domain}>\r\n"
    "MIME-Version: 1.0\r\n"
    "Content-Type: text/plain; charset=utf-8\r\n"
    "Content-Transfer-Encoding: 8bit\r\n"
    "\r\n"
    "Message number {n} of a bulk set.\r\n"
    "{line}\r\n"
)


def bulk_items(n: int, domain: str = "example.test", seed: int = SEED):
    """n cheap, distinct, deterministic messages as (raw, flags, internaldate)."""
    rng = random.Random(seed)
    senders = [_address(a) for a in CONTACTS + LISTS]
    subjects = [_encode_header(t) for t in TOPICS]
    step = (END - START) / max(n, 1)
    weekday = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
    month = ("", "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
    choice, random_ = rng.choice, rng.random
    for i in range(1, n + 1):
        date = START + step * (i - 1)
        date = date.replace(microsecond=0)
        sender = choice(senders)
        header_date = (
            f"{weekday[date.weekday()]}, {date.day:02d} {month[date.month]} {date.year} "
            f"{date.hour:02d}:{date.minute:02d}:{date.second:02d} +0000"
        )
        raw = _BULK_TEMPLATE.format(
            sender=sender,
            domain=domain,
            subject=choice(subjects),
            n=i,
            date=header_date,
            line=choice(SENTENCES),
        ).encode()
        r = random_()
        flags = {"\\Seen"} if r < 0.7 else ({"\\Seen", "\\Flagged"} if r < 0.75 else set())
        yield raw, flags, date


def bulk(server, n: int, login: str | None = None) -> int:
    """Add n generated messages to a user's INBOX (alice's by default, made if missing)."""
    login = login or f"alice@{server.domain}"
    if not _has_user(server, login):
        local = login.split("@")[0]
        password = dict((lp, pw) for lp, pw, _ in DEMO_USERS).get(local)
        server.add_user(login, password)
    return server.store.bulk_append(login, "INBOX", bulk_items(n, server.domain))
