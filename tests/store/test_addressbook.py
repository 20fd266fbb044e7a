"""The address book: people you received mail from and wrote to (from a real sync over the
bundled server), found by any word with accents folded, ranked by use; the optional
address_book_command."""

from __future__ import annotations

import shlex
import sys

from tests.imap.helpers import engine_for, tmp_store
from tuimail.core.addressbook import AddressBook, command_contacts, fold


def mail(sender: str, to: str, subject: str) -> bytes:
    return (
        f"From: {sender}\r\nTo: {to}\r\nSubject: {subject}\r\n"
        f"Message-ID: <{abs(hash((sender, to, subject)))}@example.test>\r\n"
        "Date: Mon, 1 Jan 2024 10:00:00 +0000\r\n\r\nHello.\r\n"
    ).encode()


def synced_book(mail_server, tmp_path):
    user = mail_server.new_user()
    jose = "=?utf-8?q?Jos=C3=A9_M=C3=BCller?= <jose@example.org>"
    for i in range(3):
        mail_server.deliver(user, mail(jose, user.email, f"Hola {i}"))
    mail_server.deliver(user, mail("Ana <ana@example.org>", user.email, "Hi"))
    mail_server.deliver(user, mail("Jose Other <jose.other@example.net>", user.email, "x"))
    mail_server.deliver(
        user, mail(user.email, "=?utf-8?b?Wm/Dqw==?= <zoe@example.org>", "Sent"), folder="Sent"
    )
    store = tmp_store(tmp_path)
    engine = engine_for(mail_server, user, store)
    engine.sync()
    engine.close()
    return AddressBook(store, {user.email}), user


def test_names_with_accents_complete_from_their_letters(mail_server, tmp_path) -> None:
    book, user = synced_book(mail_server, tmp_path)
    assert book.refresh() > 0
    assert book.complete("jose")[0].formatted() == "José Müller <jose@example.org>"
    assert [c.formatted() for c in book.complete("zoe")] == ["Zoë <zoe@example.org>"]
    assert [c.formatted() for c in book.complete("ana")] == ["Ana <ana@example.org>"]
    assert book.complete("mull")[0].address == "jose@example.org"  # any word of the name
    assert book.complete("jose mu")[0].address == "jose@example.org"  # every word must match
    assert all(c.address != user.email for c in book.complete(user.email.split("@")[0]))


def test_you_wrote_to_ranks_above_a_single_message_received(mail_server, tmp_path) -> None:
    book, _user = synced_book(mail_server, tmp_path)
    book.refresh()
    ranked = [c.address for c in book.complete("jose")]
    assert ranked == ["jose@example.org", "jose.other@example.net"]  # 3 messages vs 1
    assert book.refresh() == 0  # nothing new: nothing read again


def test_the_fold_of_names() -> None:
    assert fold("Zoë Müller") == "zoe muller"
    assert fold("ÅNGSTRÖM") == "angstrom"


def test_address_book_command_lines_without_a_shell(tmp_path) -> None:
    script = tmp_path / "book.py"
    script.write_text(
        "import sys\n"
        "print('first line is not an address')\n"
        "print(f'{sys.argv[1]}@example.org\\tKhard Person\\tother')\n"
        "print('carol@example.org\\t\\x1b[31mCarol')\n"
    )
    command = shlex.join([sys.executable, str(script)]) + " %s"
    found = command_contacts(command, "bob; rm -rf ~")
    assert found[0].address == "bob; rm -rf ~@example.org"  # one argument, no shell
    assert found[0].name == "Khard Person"
    assert "\x1b" not in found[1].name
    assert command_contacts("/nonexistent/cmd %s", "x") == []
