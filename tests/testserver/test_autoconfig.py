"""The bundled autoconfig web server, fetched with urllib over verified HTTPS."""

from __future__ import annotations

import http.client
import socket
import ssl
import xml.etree.ElementTree as ET

import pytest

from testserver.autoconfig import AutoconfigServer, autoconfig_xml
from testserver.server import MailServer
from tuimail.core.tls import client_context


@pytest.fixture
def server(test_ca):
    with MailServer(ca=test_ca, protocols=()) as s:
        yield s


def fetch(
    server, host: str, path: str, *, https: bool = True, ca_file: str | None = None
) -> tuple[int, bytes, str]:
    """GET path with Host `host` (SNI too), connecting to the server's loopback port."""
    if https:
        context = client_context(ca_file or server.ca_file)
        conn = http.client.HTTPSConnection(
            server.host, server.https_port, timeout=10, context=context
        )
        # Connect to loopback but verify and send SNI for the virtual host's name.
        conn.sock = context.wrap_socket(
            socket.create_connection((server.host, server.https_port), 10),
            server_hostname=host,
        )
    else:
        conn = http.client.HTTPConnection(server.host, server.http_port, timeout=10)
    try:
        conn.request("GET", path, headers={"Host": host})
        response = conn.getresponse()
        return response.status, response.read(), response.getheader("Content-Type") or ""
    finally:
        conn.close()


XML = autoconfig_xml(
    "example.test",
    imap=("imap.example.test", 993, "SSL"),
    pop3=[("pop3.example.test", 995, "SSL"), ("pop3.example.test", 110, "STARTTLS")],
    smtp=("smtp.example.test", 465, "SSL"),
    display_name="Example & Co",
)


def test_autoconfig_xml_is_a_valid_client_config() -> None:
    root = ET.fromstring(XML)
    assert root.tag == "clientConfig" and root.get("version") == "1.1"
    provider = root.find("emailProvider")
    assert provider.get("id") == "example.test"
    assert provider.findtext("domain") == "example.test"
    assert provider.findtext("displayName") == "Example & Co"
    incoming = provider.findall("incomingServer")
    assert [(s.get("type"), s.findtext("port"), s.findtext("socketType")) for s in incoming] == [
        ("imap", "993", "SSL"),
        ("pop3", "995", "SSL"),
        ("pop3", "110", "STARTTLS"),
    ]
    [smtp] = provider.findall("outgoingServer")
    assert smtp.get("type") == "smtp"
    assert smtp.findtext("hostname") == "smtp.example.test"
    assert smtp.findtext("username") == "%EMAILADDRESS%"


def test_served_at_autoconfig_subdomain(server) -> None:
    server.set_autoconfig("example.test", XML)
    status, body, ctype = fetch(
        server,
        "autoconfig.example.test",
        "/mail/config-v1.1.xml?emailaddress=alice%40example.test",
    )
    assert status == 200 and "xml" in ctype
    assert body.decode() == XML
    [request] = server.autoconfig_requests
    assert request.host == "autoconfig.example.test"
    assert request.path == "/mail/config-v1.1.xml"
    assert request.query == {"emailaddress": ["alice@example.test"]}
    assert request.scheme == "https" and request.sni == "autoconfig.example.test"


def test_served_at_well_known_path(server) -> None:
    server.set_autoconfig("example.test", XML)
    status, body, _ = fetch(server, "example.test", "/.well-known/autoconfig/mail/config-v1.1.xml")
    assert status == 200 and body.decode() == XML


def test_404_for_unknown_domain_path_or_wrong_host(server) -> None:
    server.set_autoconfig("example.test", XML)
    assert fetch(server, "autoconfig.other.test", "/mail/config-v1.1.xml")[0] == 404
    assert fetch(server, "autoconfig.example.test", "/mail/other.xml")[0] == 404
    # the /mail/ path is only for the autoconfig. host
    assert fetch(server, "example.test", "/mail/config-v1.1.xml")[0] == 404
    server.set_autoconfig("example.test", None)
    assert fetch(server, "autoconfig.example.test", "/mail/config-v1.1.xml")[0] == 404
    assert len(server.autoconfig_requests) == 4


def test_any_domain_gets_a_certificate_from_the_test_ca(server) -> None:
    server.set_autoconfig("corp.internal.test", "<clientConfig/>")
    status, body, _ = fetch(server, "autoconfig.corp.internal.test", "/mail/config-v1.1.xml")
    assert (status, body) == (200, b"<clientConfig/>")


def test_status_override_and_plain_http(server) -> None:
    server.set_autoconfig("example.test", "oops", status=500, content_type="text/plain")
    assert fetch(server, "autoconfig.example.test", "/mail/config-v1.1.xml")[0] == 500
    server.set_autoconfig("example.test", XML)
    status, _, _ = fetch(server, "autoconfig.example.test", "/mail/config-v1.1.xml", https=False)
    assert status == 200
    assert server.autoconfig_requests[-1].scheme == "http"


def test_redirect_answer(server) -> None:
    target = "http://autoconfig.example.test/mail/config-v1.1.xml"
    server.set_autoconfig("example.test", "", status=301, headers={"Location": target})
    context = client_context(server.ca_file)
    conn = http.client.HTTPSConnection(server.host, server.https_port, timeout=10, context=context)
    conn.sock = context.wrap_socket(
        socket.create_connection((server.host, server.https_port), 10),
        server_hostname="autoconfig.example.test",
    )
    conn.request("GET", "/mail/config-v1.1.xml", headers={"Host": "autoconfig.example.test"})
    response = conn.getresponse()
    assert (response.status, response.getheader("Location")) == (301, target)
    conn.close()


def test_certificate_is_verified(server) -> None:
    context = ssl.create_default_context()  # does not trust the test CA
    conn = http.client.HTTPSConnection(server.host, server.https_port, timeout=10, context=context)
    with pytest.raises(ssl.SSLCertVerificationError):
        conn.request("GET", "/mail/config-v1.1.xml")
    conn.close()


def test_garbage_request_gets_400_and_server_survives(server) -> None:
    context = client_context(server.ca_file)
    with context.wrap_socket(
        socket.create_connection((server.host, server.https_port), 10),
        server_hostname="example.test",
    ) as sock:
        sock.sendall(b"NONSENSE\r\n\r\n")
        reply = sock.recv(4096)
    assert reply.startswith(b"HTTP/1.1 400")
    assert b"Traceback" not in reply
    server.set_autoconfig("example.test", XML)
    assert fetch(server, "example.test", "/.well-known/autoconfig/mail/config-v1.1.xml")[0] == 200


def test_standalone_autoconfig_server(test_ca) -> None:
    cert = test_ca.issue("good")
    with AutoconfigServer(cert.server_context()) as web:
        web.set_autoconfig("example.test", XML)
        status, _, _ = fetch(
            web, "autoconfig.example.test", "/mail/config-v1.1.xml", ca_file=test_ca.ca_file
        )
        assert status == 200
