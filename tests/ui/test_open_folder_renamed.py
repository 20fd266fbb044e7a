"""The folder on screen renamed by another mail program while the app idles on it.

End to end on the bundled server (it offers NOTIFY, as Dovecot does): the server tells
the new name at once, the watcher checks it on a fresh connection, and the app shows the
folder under its new name with a sentence, instead of waiting for the IDLE renewal (29
minutes) or falling back to the inbox.
"""

from __future__ import annotations

from tests.imap.helpers import message, other_client
from tests.ui.helpers import idling_on, make_app, ready, record_notes, wait_for


async def test_the_app_follows_the_open_folder_to_its_new_name(mail_server) -> None:
    user = mail_server.new_user()
    other = other_client(mail_server, user)
    other.create_folder("Projects")
    mail_server.deliver(user, message(1, "plan"), "Projects")
    app = make_app(mail_server, user, idle=True)
    notes = record_notes(app)
    try:
        async with app.run_test(size=(120, 30)) as pilot:
            await ready(pilot)
            await idling_on(pilot, app, "Projects")
            other.rename_folder("Projects", "Done")
            await wait_for(pilot, lambda: app.folder == "Done", 30)
            await wait_for(pilot, lambda: any("renamed to Done" in n for n in notes), 30)
            assert app.account == "test"
    finally:
        other.logout()
