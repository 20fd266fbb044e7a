"""POST a form to an authorization server and read its JSON answer: verified HTTPS only,
bounded in size and time, failures typed (tuimail.core.errors).

Time: `timeout` bounds each wait of the socket, and the whole exchange (connection, TLS,
request, answer) ends by DEADLINE_TIMEOUTS timeouts from its start however slowly the
server trickles its bytes (a byte every few seconds never trips a socket timeout):
`Deadline` shuts the socket down then, and the failure is TimedOut."""

from __future__ import annotations

import base64
import http.client
import json
import socket
import ssl
import urllib.error
import urllib.request
from urllib.parse import urlencode, urlsplit

from tuimail.core import errors
from tuimail.core.deadline import Deadline
from tuimail.core.tls import client_context

MAX_ANSWER = 1 << 20
DEADLINE_TIMEOUTS = 2  # the whole exchange: at most this many timeouts


class _HTTPSHandler(urllib.request.HTTPSHandler):
    """urllib's HTTPS, each connection's socket under `deadline`."""

    def __init__(self, context: ssl.SSLContext, deadline: Deadline) -> None:
        super().__init__(context=context)
        self._deadline = deadline

    def https_open(self, req):
        deadline = self._deadline

        class Connection(http.client.HTTPSConnection):
            def __init__(self, *args, **kwargs) -> None:
                super().__init__(*args, **kwargs)
                self._create_connection = deadline.create_connection

            def connect(self) -> None:
                http.client.HTTPConnection.connect(self)  # TCP (and a proxy's tunnel)
                host = self._tunnel_host or self.host  # as HTTPSConnection.connect
                self.sock = deadline.secure(self._context, self.sock, host)

        return self.do_open(Connection, req, context=self._context)


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
    deadline = Deadline(timeout * DEADLINE_TIMEOUTS)
    opener = urllib.request.build_opener(
        _HTTPSHandler(client_context(ca_file), deadline), _NoRedirect
    )
    host = parts.hostname
    try:
        with deadline:
            status, body = _answer(opener, request, timeout)
    except urllib.error.URLError as exc:
        raise _failure(exc.reason, host, deadline) from exc
    except (OSError, http.client.HTTPException) as exc:
        raise _failure(exc, host, deadline) from exc
    except ValueError as exc:  # ssl: a read on the socket the deadline shut down
        if deadline.expired:
            raise errors.TimedOut(protocol="http", host=host) from None
        # Else a library's own (a host name IDNA cannot encode: UnicodeError): typed
        data = {"what": "not-http", "type": type(exc).__name__}
        raise errors.ProtocolViolation(protocol="http", host=host, reason="web", data=data) from exc
    if deadline.expired:  # the body may be what arrived before the socket was shut down
        raise errors.TimedOut(protocol="http", host=host)
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


def _answer(opener: urllib.request.OpenerDirector, request, timeout: float) -> tuple[int, bytes]:
    """(status, at most MAX_ANSWER + 1 bytes of the body): error statuses too."""
    try:
        with opener.open(request, timeout=timeout) as response:
            return response.status, response.read(MAX_ANSWER + 1)
    except urllib.error.HTTPError as exc:
        with exc:
            return exc.code, exc.read(MAX_ANSWER + 1)


def _failure(reason: object, host: str, deadline: Deadline) -> errors.MailError:
    """The typed failure of an exchange: TimedOut once its deadline passed (whatever the
    shut-down socket made the library raise), an answer that is not HTTP (a bad status
    line, endless headers) or cut short as ProtocolViolation, else the transport's."""
    if deadline.expired:
        return errors.TimedOut(protocol="http", host=host)
    if isinstance(reason, http.client.IncompleteRead):
        return errors.ProtocolViolation(
            protocol="http", host=host, reason="web", data={"what": "cut-short"}
        )
    if isinstance(reason, http.client.HTTPException) and not isinstance(reason, OSError):
        data = {"what": "not-http", "type": type(reason).__name__}
        return errors.ProtocolViolation(protocol="http", host=host, reason="web", data=data)
    return _transport_error(reason, host)


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
