"""`notify` takes one of its documented values; anything else is a sentence naming them
(not silently a bell)."""

from __future__ import annotations

import pytest

from tuimail.core.config import ConfigError, load_config
from tuimail.words.config import config_words


@pytest.mark.parametrize("value", ["auto", "osc9", "osc777", "bell", "off"])
def test_every_documented_notify_value_loads(tmp_path, value):
    path = tmp_path / "config.toml"
    path.write_text(f'notify = "{value}"\n')
    assert load_config(path).settings["notify"] == value


def test_an_unknown_notify_value_is_a_sentence_with_the_line(tmp_path):
    path = tmp_path / "config.toml"
    path.write_text('theme = "nord"\nnotify = "loud"\n')
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    text = config_words(caught.value)
    assert "line 2" in text and "'notify' must be one of" in text and '"osc777"' in text
