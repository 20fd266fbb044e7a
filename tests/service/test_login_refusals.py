"""The login-refusal classifier: the usual cause named by what real servers say (the one
place that reads a refusal's words; the doctor decides by the kind)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tuimail.core.login_errors import Refusal, classify_refusal


@pytest.mark.parametrize(
    ("said", "kind"),
    [
        ("[ALERT] Application-specific password required: https://support.google.com/x",
         Refusal.APP_PASSWORD),
        ("534 5.7.9 Application-specific password required.", Refusal.APP_PASSWORD),
        ("534-5.7.14 Please log in via your web browser", Refusal.APP_PASSWORD),
        ("504 5.5.4 Unrecognized authentication type / mechanism", Refusal.MECHANISM),
        ("NO Unsupported authentication mechanism.", Refusal.MECHANISM),
        ("[PRIVACYREQUIRED] Plaintext authentication disallowed on non-secure connections",
         Refusal.PLAINTEXT),
        ("[AUTHENTICATIONFAILED] Authentication failed.", Refusal.WRONG_PASSWORD),
        ("535 5.7.8 Error: authentication failed: authentication failure",
         Refusal.WRONG_PASSWORD),
        ("", Refusal.WRONG_PASSWORD),
    ],
)  # fmt: skip
def test_real_refusals(said: str, kind: Refusal) -> None:
    assert classify_refusal(said) is kind


@given(st.text(max_size=300))
def test_any_words_give_a_kind(said: str) -> None:
    assert isinstance(classify_refusal(said), Refusal)
