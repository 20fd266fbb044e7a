"""[keys] entries that name no binding, or take a key another binding of the same screen
has, stop `tuimail` at start with the file, the line and a sentence (exit status 2)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tuimail.core.config import config_path
from tuimail.ui.app import TuimailApp
from tuimail.ui.keymap import binding_groups, keymap_problems


def _start(monkeypatch, keys: str) -> int:
    from tuimail.cli.app import run_app

    path = config_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"bell = false\n\n[keys]\n{keys}")
    started: list[TuimailApp] = []
    monkeypatch.setattr(TuimailApp, "run", lambda self: started.append(self))
    code = run_app()
    assert bool(started) == (code == 0)
    return code


def test_a_key_that_names_no_binding_is_reported_with_a_suggestion(monkeypatch, capsys):
    assert _start(monkeypatch, 'compose = "w"\nrepyl = "x"\n') == 2
    err = capsys.readouterr().err
    assert f"{config_path()}, line 5: in [keys], 'repyl' names no binding" in err
    assert "did you mean reply?" in err


def test_binding_ids_may_be_written_as_toml_dotted_keys(monkeypatch, capsys):
    """`list.down = "n"`, the id as docs/config.md writes it, is a dotted key to TOML (the
    table list = {down = "n"}): it names the binding list.down, quoted or not. Before, it
    stopped the app with "'list' must be a quoted key name"."""
    assert _start(monkeypatch, 'list.down = "down,ctrl+n"\n"list.up" = "up,ctrl+b"\n') == 0
    assert _start(monkeypatch, 'list.dwn = "n"\n') == 2
    err = capsys.readouterr().err
    assert f"{config_path()}, line 4: in [keys], 'list.dwn' names no binding" in err


def test_a_key_that_clashes_on_the_same_screen_is_reported(monkeypatch, capsys):
    assert _start(monkeypatch, 'reply = "c"\n') == 2
    err = capsys.readouterr().err
    assert (
        f"{config_path()}, line 4: in [keys], 'reply' = \"c\" clashes: that is also the key "
        "of 'compose' (in the main screen)." in err
    )


def test_a_key_that_clashes_with_an_app_wide_binding_is_reported() -> None:
    [problem] = keymap_problems({"composer.send": "ctrl+q"})
    assert problem.binding_id == "composer.send" and "'app.quit'" in problem.sentence


@pytest.mark.parametrize(
    "keys",
    [
        {},
        {"compose": "w", "help": "f1"},
        {"reply": "c", "compose": "w"},  # a swap is fine: no key is taken twice
        {"composer.send": "ctrl+enter,ctrl+s"},
        {"list.down": "down,j,ctrl+n"},
    ],
)
def test_good_keymaps_have_no_problems(keys) -> None:
    assert keymap_problems(keys) == []


def test_a_key_that_clashes_with_a_widget_of_the_screen_is_reported() -> None:
    # The message list and the folder tree take j when focused: reply would be unreachable.
    [problem] = keymap_problems({"reply": "j"})
    assert problem.sentence == (
        "'reply' = \"j\" clashes: that is also the key of 'folders.down' (in the folder "
        "tree) and 'list.down' (in the message list)."
    )
    [problem] = keymap_problems({"list.down": "r"})
    assert "'reply' (in the main screen)" in problem.sentence


def test_the_same_key_on_different_screens_is_no_clash() -> None:
    # "r" replies on the main screen and reruns the Diagnose checks: different screens.
    assert keymap_problems({"diagnose.rerun": "r", "reply": "r"}) == []


def _documented_binding_ids() -> set[str]:
    """The ids listed under docs/config.md's `keys` (its "- Where: `id`, ..." lines)."""
    doc = (Path(__file__).resolve().parents[2] / "docs" / "config.md").read_text()
    section = doc[doc.index("#### `keys`") :].split("\n#### ")[0]
    listed = [line for line in section.splitlines() if line.startswith("- ")]
    ids = [line.split(": ", 1)[1] for line in listed]  # after "- Where (key): "
    return {name for line in ids for name in re.findall(r"`([a-z_.]+)`", line)}


def test_docs_config_md_lists_every_binding_id_and_no_other() -> None:
    ids = {b.id for group in binding_groups().values() for b in group if b.id}
    assert _documented_binding_ids() == ids
