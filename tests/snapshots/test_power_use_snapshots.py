"""Snapshots of issue 17's screens: the tagged list (marks and the count in the title).
Same conventions as test_snapshots.py (fixed sizes, demo messages with fixed dates, a fixed
clock, no push connection, workers awaited). Update after a reviewed rendering change:
pytest tests/snapshots/test_power_use_snapshots.py --snapshot-update
"""

from __future__ import annotations

from tests.snapshots.helpers import steady
from tests.ui.helpers import make_app, seed


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
