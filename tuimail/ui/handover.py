"""The terminal handed to another program (a piped command, `!`, $EDITOR, a mailcap viewer)
with the app suspended, and taken back after.

Invariant: Ctrl-C typed while the other program has the terminal stops that program only.
The app shares the terminal's foreground process group with it, so the same SIGINT reaches
the app too, where asyncio's run-time handler cancels the app's main task: tuimail quit as
soon as it resumed. While handed over, SIGINT does nothing in the app; the program still
gets it (a Python handler, unlike SIG_IGN, is reset to the default by exec).
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator
from typing import Any


def _ignore(_signum: int, _frame: Any) -> None:
    """SIGINT while another program has the terminal: that program's, not the app's."""


@contextlib.contextmanager
def sigint_for_the_program() -> Iterator[None]:
    """SIGINT ignored by this process (not by its children) inside the block; the handler
    before it restored after. Outside the main thread (no signal handler can be set) it
    does nothing."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGINT, _ignore)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


@contextlib.contextmanager
def handed_over(app: Any) -> Iterator[None]:
    """`app.suspend()` (raises SuspendNotSupported where the terminal cannot be handed
    over) with Ctrl-C reaching only the program run inside."""
    with app.suspend(), sigint_for_the_program():
        yield
