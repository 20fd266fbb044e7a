"""Snapshots of issue 17's screens: the tagged list (marks and the count in the title), the
thread tree expanded and collapsed, the URL picker, the attachment list.
Same conventions as test_snapshots.py (fixed sizes, demo messages with fixed dates, a fixed
clock, no push connection, workers awaited). Update after a reviewed rendering change:
pytest tests/snapshots/test_power_use_snapshots.py --snapshot-update
"""

from __future__ import annotations

from tests.snapshots.helpers import steady
from tests.ui.attachment_helpers import deliver_parts
from tests.ui.helpers import make_app, seed, wait_for
from tests.ui.links_helpers import deliver_links
from tests.ui.thread_helpers import deliver_thread
from tuimail.core.thread_list import ThreadSource
from tuimail.ui.widgets.message_list import MessageList


class TestTags:
    def test_tagged_list(self, snap_compare, mail_server):
        """Four rows tagged (Space on two, then v over two more): ✓ after the flags."""
        user = mail_server.new_user()
        seed(mail_server, user)

        async def tagged(pilot) -> None:
            await steady(pilot)
            await pilot.press("space", "j", "space", "v", "j")
            await steady(pilot)

        assert snap_compare(make_app(mail_server, user), terminal_size=(120, 24), run_before=tagged)


async def _threads(pilot) -> None:
    await steady(pilot)
    await pilot.press("t")
    lst = pilot.app.main.query_one(MessageList)
    await wait_for(pilot, lambda: isinstance(lst.source, ThreadSource))
    await steady(pilot)


class TestThreads:
    def test_thread_tree_expanded(self, snap_compare, mail_server):
        """Tree lines; the lost parent's placeholder row groups its replies."""
        user = mail_server.new_user()
        deliver_thread(mail_server, user)
        seed(mail_server, user, 2)
        assert snap_compare(
            make_app(mail_server, user), terminal_size=(120, 20), run_before=_threads
        )

    def test_thread_tree_collapsed(self, snap_compare, mail_server):
        """= collapses every thread: each shows ▸, its count and ● when any is unread."""
        user = mail_server.new_user()
        deliver_thread(mail_server, user)
        seed(mail_server, user, 2)

        async def collapsed(pilot) -> None:
            await _threads(pilot)
            await pilot.press("equals_sign")
            await steady(pilot)

        assert snap_compare(
            make_app(mail_server, user), terminal_size=(120, 20), run_before=collapsed
        )


class TestLinks:
    def test_url_picker(self, snap_compare, mail_server, monkeypatch):
        """l on a message with three links, one longer than the dialog (folded, whole)."""
        monkeypatch.setenv("DISPLAY", ":0")
        monkeypatch.delenv("SSH_CONNECTION", raising=False)
        monkeypatch.delenv("SSH_TTY", raising=False)
        user = mail_server.new_user()
        deliver_links(mail_server, user)

        async def picker(pilot) -> None:
            await steady(pilot)
            await pilot.press("l")
            await wait_for(pilot, lambda: type(pilot.app.screen).__name__ == "LinkPicker")
            await pilot.press("2")
            await steady(pilot)

        assert snap_compare(make_app(mail_server, user), terminal_size=(100, 30), run_before=picker)


class TestAttachments:
    def test_attachment_list(self, snap_compare, mail_server):
        """x on a message with two attachments (one named a;b$(x).dat) and an HTML version."""
        user = mail_server.new_user()
        deliver_parts(mail_server, user)

        async def listed(pilot) -> None:
            await steady(pilot)
            await pilot.press("x")
            await wait_for(pilot, lambda: type(pilot.app.screen).__name__ == "AttachmentList")
            await steady(pilot)

        assert snap_compare(make_app(mail_server, user), terminal_size=(100, 24), run_before=listed)
