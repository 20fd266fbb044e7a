"""POST a form to an authorization server and read its JSON answer: verified HTTPS only,
bounded in size and time, failures typed (tuimail.core.errors)."""

from __future__ import annotations

import base64
import json
import socket
import ssl
import urllib.error
import urllib.request
from urllib.parse import urlencode, urlsplit

from tuimail.core import errors
from tuimail.core.tls import client_context

MAX_ANSWER = 1 << 20


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):  # a token endpoint never redirects
        return None


def get_json(url: str, *, ca_file: str | None = None, timeout: float = 20.0) -> tuple[int, dict]:
    """GET a JSON object (server metadata, RFC 8414) under the same rules as post_form."""
    return _exchange(url, None, {"Accept": "application/json"}, ca_file, timeout)


def post_form(
    url: str,
    form: dict[str, str],
    *,
    ca_file: str | None = None,
    timeout: float = 20.0,
    basic: tuple[str, str] | None = None,
) -> tuple[int, dict]:
    """(HTTP status, JSON object). Error answers (4xx with an OAuth error body) are returned,
    not raised: the caller knows what `authorization_pending` means."""
    headers = {"Content-Type": "application/x-www-form-urlencoded", "Accept": "application/json"}
    if basic:
        pair = f"{basic[0]}:{basic[1]}".encode()
        headers["Authorization"] = "Basic " + base64.b64encode(pair).decode("ascii")
    return _exchange(url, urlencode(form).encode(), headers, ca_file, timeout)


def _exchange(
    url: str, data: bytes | None, headers: dict[str, str], ca_file: str | None, timeout: float
) -> tuple[int, dict]:
    parts = urlsplit(url)
    if parts.scheme != "https" or not parts.hostname:
        raise errors.SecurityFailure(protocol="http", host=url, reason="not-https")
    request = urllib.request.Request(
        url, data=data, headers=headers, method="POST" if data is not None else "GET"
    )
    opener = urllib.request.build_opener(
        urllib.request.HTTPSHandler(context=client_context(ca_file)), _NoRedirect
    )
    host = parts.hostname
    try:
        with opener.open(request, timeout=timeout) as response:
            status, body = response.status, response.read(MAX_ANSWER + 1)
    except urllib.error.HTTPError as exc:
        status, body = exc.code, exc.read(MAX_ANSWER + 1)
    except urllib.error.URLError as exc:
        raise _transport_error(exc.reason, host) from exc
    except (OSError, ssl.SSLError) as exc:
        raise _transport_error(exc, host) from exc
    if len(body) > MAX_ANSWER:
        raise errors.ProtocolViolation(
            protocol="http", host=host, reason="response-too-big", data={"limit": MAX_ANSWER}
        )
    try:
        data = json.loads(body)
    except ValueError:
        data = None
    if not isinstance(data, dict):
        raise errors.ProtocolViolation(protocol="http", code=status, host=host, reason="not-json")
    return status, data


def _transport_error(reason: object, host: str) -> errors.MailError:
    if isinstance(reason, ssl.SSLCertVerificationError | ssl.SSLError):
        from tuimail.core.tls import tls_reason

        why, data = tls_reason(reason)  # the TLS classifier; tuimail.words says it
        return errors.SecurityFailure(reason=why, data=data, protocol="http", host=host)
    if isinstance(reason, TimeoutError | socket.timeout):
        return errors.TimedOut(protocol="http", host=host)
    if isinstance(reason, socket.gaierror | ConnectionRefusedError):
        return errors.Unreachable(protocol="http", host=host)
    detail = {"detail": str(reason)}  # the library's own words, as data
    return errors.ConnectionLost(protocol="http", host=host, reason="other", data=detail)
