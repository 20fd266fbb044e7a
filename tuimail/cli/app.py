"""Starting the Textual app (optionally on the bundled demo server)."""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
from collections.abc import Iterator


def run_app(demo: bool = False, compose=None) -> int:
    """The app; with `compose` (a tuimail.core.mailto.MailtoStart) it opens on a new message."""
    if demo:
        return _run_demo()
    from tuimail.core.config import ConfigError, load_config
    from tuimail.core.service import MailService
    from tuimail.ui.app import TuimailApp

    try:
        config = load_config()
    except ConfigError as exc:
        from tuimail.words.config import config_words

        print(f"tuimail: {config_words(exc)}", file=sys.stderr)
        return 2
    from tuimail.ui.settings import ui_settings

    ui, ui_problems = ui_settings(config.settings.get("ui"))
    problems = _keymap_problems(config)
    if problems:
        for line in problems:
            print(f"tuimail: {line}", file=sys.stderr)
        return 2
    service = MailService(config.accounts)  # the app asks for passwords it cannot find
    service.address_book_command = config.settings.get("address_book_command") or None
    app = TuimailApp(
        service if config.accounts else None,
        keymap=_keymap(config.keys),
        bell=bool(config.settings.get("bell", False)),
        compose=compose,
        ui=ui,
        notes=[f"{config.path}: {sentence}" for sentence in ui_problems],
        notify_setting=str(config.settings.get("notify", "auto")),
        new_mail_command=config.settings.get("new_mail_command") or None,
        theme=config.settings.get("theme") or None,
        save_theme=_theme_saver(config.path),
    )
    app.run()
    return 0


def _keymap_problems(config) -> list[str]:
    """[keys] entries naming no binding or clashing with another, as file:line sentences.
    Without a [keys] table nothing is checked (the check imports every screen)."""
    if not config.keys:
        return []
    from tuimail.ui.keymap import keymap_problems

    out = []
    for problem in keymap_problems(config.keys):
        line = config.line_of(("keys",), problem.binding_id)
        where = f"{config.path}, line {line}" if line else str(config.path)
        out.append(f"{where}: in [keys], {problem.sentence}")
    return out


def _theme_saver(path):
    """Saves the theme chosen in the app as `theme = "..."` (the rest of the file kept)."""

    def save(name: str) -> None:
        from tuimail.core.config import save_setting

        save_setting("theme", name, path)

    return save


def _keymap(keys: dict) -> dict[str, str]:
    return {str(k): str(v) for k, v in (keys or {}).items()}


@contextlib.contextmanager
def _demo_home(kept: str) -> Iterator[str]:
    if kept:
        os.makedirs(kept, mode=0o700, exist_ok=True)
        yield kept
        return
    with tempfile.TemporaryDirectory(prefix="tuimail-demo-") as root:
        yield root


def _stacks_on_signal(path: str) -> None:
    import faulthandler
    import signal

    stacks = open(path, "a")  # kept open for the life of the process
    faulthandler.register(signal.SIGUSR1, file=stacks, all_threads=True)


def _demo_new_mail_after() -> float:
    """Seconds until the demo's new message arrives: TUIMAIL_DEMO_NEW_MAIL_AFTER (the
    tests that drive the demo in tmux wait for it), else 5."""
    try:
        seconds = float(os.environ.get("TUIMAIL_DEMO_NEW_MAIL_AFTER", "5"))
    except ValueError:
        return 5.0
    return seconds if 0 < seconds < 3600 else 5.0


def _run_demo() -> int:
    """A throwaway home for the demo: the real config and keyring are never touched.
    TUIMAIL_DEMO_HOME (development: the tests that drive the demo in tmux) names a
    directory to use and keep instead, so its log can be read after a failure; there,
    SIGUSR1 writes every thread's stack to `stacks.txt` (a hang explained)."""
    kept = os.environ.get("TUIMAIL_DEMO_HOME", "")
    with _demo_home(kept) as root:
        if kept:
            _stacks_on_signal(os.path.join(root, "stacks.txt"))
        for var in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_CACHE_HOME", "XDG_STATE_HOME"):
            path = os.path.join(root, var.lower())
            os.makedirs(path, mode=0o700, exist_ok=True)
            os.environ[var] = path
        os.environ["PYTHON_KEYRING_BACKEND"] = "keyring.backends.fail.Keyring"
        from tuimail.core.logs import setup

        setup(console=False)  # the demo's log goes to its throwaway state directory too
        from tuimail.core.service import MailService
        from tuimail.ui.app import TuimailApp
        from tuimail.ui.demo import Demo

        demo = Demo(new_mail_after=_demo_new_mail_after())
        try:
            try:
                from tuimail.core.config import save_account

                save_account(demo.account)
            except Exception:
                pass  # the demo runs from memory anyway
            service = MailService({demo.account.name: demo.account}, password_for=demo.password_for)
            TuimailApp(service, bell=True, wizard=demo.wizard).run()
        finally:
            demo.stop()
    return 0
