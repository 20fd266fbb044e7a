"""Shared by the snapshot modules: wait until a screen is steady (synced, preview shown, no
cursor blink) before the picture is taken."""

from __future__ import annotations

from tests.ui.helpers import settle, wait_for


async def steady(pilot) -> None:
    app = pilot.app
    if app.service is not None and app.start_sync:
        await wait_for(pilot, lambda: app.synced, timeout=20)
    await pilot.pause(0.3)  # the preview starts once the cursor rests (0.15 s)
    await settle(pilot)
    for widget in app.screen.query("Input, TextArea"):
        widget.cursor_blink = False
    await pilot.pause()
