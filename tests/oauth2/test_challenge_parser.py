"""The server's SASL error challenge is untrusted input: whatever bytes arrive, reading it
never raises, keeps its fields short, and the words made of it are one sanitised line."""

from __future__ import annotations

import base64
import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tuimail.core.oauth2.auth import TokenRejected
from tuimail.core.oauth2.sasl import read_challenge
from tuimail.words.failures import failure_words
from tuimail.words.sign_in import challenge_words

values = st.one_of(st.text(), st.integers(), st.none(), st.lists(st.text(), max_size=3))


SLOW_OK = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SLOW_OK
@given(st.binary(max_size=5000))
def test_any_bytes_read_without_raising(data: bytes) -> None:
    challenge = read_challenge(data)
    assert len(challenge.status) <= 100 and len(challenge.scope) <= 300


@SLOW_OK
@given(st.dictionaries(st.sampled_from(["status", "scope", "schemes", "x"]), values))
def test_json_challenges_in_base64_are_decoded(body: dict) -> None:
    encoded = base64.b64encode(json.dumps(body).encode())
    challenge = read_challenge(encoded)
    if isinstance(body.get("status"), str):
        assert challenge.status == body["status"][:100]
    error = TokenRejected(login="u", challenge=challenge, host="imap.example.test")
    words = failure_words(error)
    assert "\n" not in words and "\x1b" not in words
    assert challenge_words(error.data) in words


def test_the_usual_challenges_in_words() -> None:
    bearer = base64.b64encode(b'{"status":"invalid_token","scope":"mail"}')
    error = TokenRejected(login="u", challenge=read_challenge(bearer), host="x")
    assert error.reason == "token-rejected" and error.data["status"] == "invalid_token"
    assert failure_words(error) == (
        "x rejected the OAuth token for u (the token is not valid (expired or revoked); "
        "the server needs the scope mail)"
    )
    google = base64.b64encode(
        b'{"status":"400","schemes":"Bearer","scope":"https://mail.google.com/"}'
    )
    assert "status 400" not in challenge_words(TokenRejected(challenge=read_challenge(google)).data)
