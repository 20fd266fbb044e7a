"""A server that nests an answer's lists thousands deep (a BODYSTRUCTURE nobody asked
for): imapclient's parser recursed once per level and raised RecursionError, said as
"Something went wrong: maximum recursion depth exceeded" by `tuimail read` and failing
every later sync of the folder the same way. It is the server's protocol violation now:
one clear sentence, the connection dropped, the stored mail kept."""

from __future__ import annotations

import pytest

from tests.hostile.conftest import assert_clean_failure, save
from tests.hostile.scripted import MESSAGE, Conn, ImapScript

pytestmark = pytest.mark.timeout(60)

DEEP = b"(" * 5000 + b")" * 5000


class Nested(ImapScript):
    """Headers as usual; the body (`where` "body") or the flags of a second pass
    (`where` "flags") come with a BODYSTRUCTURE nested 5000 deep."""

    def __init__(self, where: str) -> None:
        super().__init__()
        self.where = where
        self.passes = 0

    def cmd_uid_fetch(self, conn: Conn, tag: bytes, args: bytes) -> None:
        if b"BODY.PEEK[]" in args and self.where == "body":
            conn.send(
                b"* 1 FETCH (UID 1 BODYSTRUCTURE " + DEEP + b" BODY[] {%d}\r\n" % len(MESSAGE)
            )
            conn.send(MESSAGE + b")\r\n" + tag + b" OK done\r\n")
        elif b"BODY.PEEK[" not in args and self.where == "flags":
            conn.send(b"* 1 FETCH (UID 1 FLAGS () BODYSTRUCTURE " + DEEP + b")\r\n")
            conn.send(tag + b" OK done\r\n")
        else:
            ImapScript.cmd_uid_fetch(self, conn, tag, args)

    cmd_fetch = cmd_uid_fetch


@pytest.mark.parametrize("where", ["body", "flags"])
def test_an_answer_nested_too_deep_is_one_clear_sentence(scripted, cli, where) -> None:
    with scripted(Nested(where)) as server:
        save(server)
        first = cli("sync", "work")
        run = cli("read", "1", "--account", "work") if where == "body" else cli("sync", "work")
        listed = cli("list", "work")
    assert first.code == 0, first.err
    error = assert_clean_failure(run)
    assert "recursion" not in error and "went wrong" not in error, error
    assert "not IMAP" in error, error
    assert listed.code == 0 and "hello" in listed.out  # the stored message is kept
