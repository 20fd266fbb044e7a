"""The first start of an account (an empty store, so no folder to show yet): the first
sync is not held back waiting for a list that cannot come. Before, the 1 s fallback start
also waited up to 5 s more for "the first list shown" when there was no folder at all, so
every new account's first sync began about 6 s late."""

from __future__ import annotations

from tests.ui.helpers import make_app, ready, wait_for


async def test_a_first_start_with_no_folder_starts_the_sync_without_waiting(mail_server):
    user = mail_server.new_user()
    app = make_app(mail_server, user)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: not app._folder_reads.busy)  # none in the store
        # The fallback timer's call, made now: with no folder to open there is nothing
        # to paint first, so it starts the service instead of setting another timer.
        app._start_service_unless_loading(10)
        assert not app._service_waits
        await ready(pilot)  # the first sync ran and was taken in
