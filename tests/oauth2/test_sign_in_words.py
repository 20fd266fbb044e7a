"""A missing or refused OAuth sign-in (NeedsSignIn) is worded at the edge from its type,
code and account, never from the message core wrote: what is wrong once, and the
command to run once, in the CLI's sentence, the status bar and the doctor alike."""

from __future__ import annotations

from tuimail.core.oauth2.tokens import NeedsSignIn
from tuimail.core.runtime import AccountState, Phase
from tuimail.words.describe import describe
from tuimail.words.failures import failure_words
from tuimail.words.status import state

# What core wrote in the message: never shown by the edge (it would say the command twice).
CORE_MESSAGE = "w is not signed in: sign in with `tuimail account login w`"


def _not_signed_in(**kw) -> NeedsSignIn:
    return NeedsSignIn(CORE_MESSAGE, protocol="oauth2", code="not_signed_in", account="w", **kw)


def _revoked() -> NeedsSignIn:
    return NeedsSignIn(
        CORE_MESSAGE,
        protocol="oauth2",
        code="invalid_grant",
        server_text="the refresh token is not valid.",
        account="w",
    )


def test_the_cli_sentence_says_what_to_run_once() -> None:
    assert describe(_not_signed_in()) == (
        "w is not signed in on this computer; sign in: tuimail account login w"
    )
    assert describe(_revoked()) == (
        "the authorization server no longer accepts the sign-in of w ([invalid_grant] the "
        "refresh token is not valid): it was revoked (a password change, 'sign out "
        "everywhere', an administrator) or it expired; sign in again: tuimail account login w"
    )


def test_a_provider_without_device_sign_in_says_to_use_the_browser() -> None:
    assert describe(_not_signed_in(browser=True)) == (
        "w is not signed in, and its provider offers no sign-in in this app; sign in with "
        "a web browser: tuimail account login w --browser"
    )


def test_what_happened_has_no_command_in_it() -> None:
    assert failure_words(_not_signed_in()) == "w is not signed in on this computer"
    assert "account login" not in failure_words(_revoked())


def test_the_status_bar_names_the_command_once_with_the_account() -> None:
    needs = AccountState(state="error", phase=Phase.NEEDS_PASSWORD.value, error=_revoked())
    said = state(needs)
    assert said.count("tuimail account login") == 1, said
    assert said.endswith(" — sign in again: tuimail account login w; queued work waits"), said


def test_a_sign_in_the_person_cancelled_is_not_called_revoked() -> None:
    """Closing the app's sign-in dialog (or a browser that never answered) is the person's
    doing: the status bar said the authorization server no longer accepted the sign-in."""
    for code, words in (("cancelled", "was cancelled"), ("timeout", "got no answer")):
        error = NeedsSignIn(CORE_MESSAGE, protocol="oauth2", code=code, account="w")
        needs = AccountState(state="error", phase=Phase.NEEDS_PASSWORD.value, error=error)
        for said in (describe(error), state(needs)):
            assert f"the sign-in of w {words}" in said, said
            assert "no longer accepts" not in said and "revoked" not in said, said
            assert said.count("tuimail account login w") == 1, said
