"""Sentences for people, made from what core hands out: the edge's words.

Core (tuimail.core) never makes a sentence about a failure: it raises typed errors
(tuimail.core.errors), returns them with where they happened (`Failure`: account, folder,
action) and describes an account's state as data (`AccountState`). The CLI (tuimail.cli)
and the UI (tuimail.ui) both say it with the modules of this package, one area each, so a
failure reads the same in both. Nothing here decides anything: the decisions were made
from the error's type where it was raised. Callers import from the module of the area
(tuimail.words.describe, .outbox, .status, ...); this package itself exports nothing.

Every sentence returned is sanitised (no control characters): the server's words are
shown as plain text; the UI hands them to Textual as Text/Content, never as markup.
Core never imports this package (tests/test_layers.py).
"""
