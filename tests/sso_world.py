"""The identity services the SSO tests sign in through, on loopback: a real OpenID Connect
provider (django-oauth-toolkit, tests/oidc_provider, its own process) and a small CAS server
that answers serviceValidate with the CAS protocol's XML."""

import contextlib
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit
from xml.sax.saxutils import escape

from django.conf import settings

ROOT = Path(__file__).resolve().parent.parent
CLIENT_ID = "ledger-tiexi"
CLIENT_SECRET = "s3cret-for-the-test-provider"  # nosec B105 # the loopback test provider's
PROVIDER_PASSWORD = "Gov@2026pass"  # nosec B105 # accounts of the loopback test provider
OIDC_BACKEND = "security.sso_backends.OIDCBackend"
CAS_BACKEND = "security.sso_backends.CASBackend"


@contextlib.contextmanager
def oidc_provider(redirect_uri, *names):
    """Start the provider with these people (each with PROVIDER_PASSWORD); yield its address."""
    people = [f"{name}:{PROVIDER_PASSWORD}" for name in names]
    process = subprocess.Popen(  # nosec B603 # our own interpreter and module, fixed arguments
        [sys.executable, "-m", "tests.oidc_provider.serve", CLIENT_ID, CLIENT_SECRET, redirect_uri, *people],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        port = process.stdout.readline().strip()
        if not port.isdigit():
            raise RuntimeError("the test OIDC provider did not start")
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=10)


def oidc_settings(provider):
    """The ledger's settings for this provider, by discovery (as a deployment would set them)."""
    return {
        "OIDC_ENABLED": True,
        "OIDC_RP_CLIENT_ID": CLIENT_ID,
        "OIDC_RP_CLIENT_SECRET": CLIENT_SECRET,
        "OIDC_OP_DISCOVERY_URL": f"{provider}/o/.well-known/openid-configuration",
        "AUTHENTICATION_BACKENDS": [OIDC_BACKEND, *settings.AUTHENTICATION_BACKENDS],
    }


class CasServer:
    """Tickets issued by hand (`issue`), validated once each, like a CAS server's."""

    def __init__(self):
        self.tickets = {}
        self.validated = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                parts = urlsplit(self.path)
                query = {key: values[0] for key, values in parse_qs(parts.query).items()}
                if not parts.path.endswith("serviceValidate"):
                    self.send_error(404)
                    return
                body = server.answer(query.get("ticket", ""), query.get("service", ""))
                self.send_response(200)
                self.send_header("Content-Type", "text/xml; charset=utf-8")
                self.end_headers()
                self.wfile.write(body.encode())

            def log_message(self, format, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_port}/cas/"

    def issue(self, ticket, username):
        self.tickets[ticket] = username

    def answer(self, ticket, service):
        self.validated.append((ticket, service))
        username = self.tickets.pop(ticket, None)
        if username is None:
            inner = (
                f'<cas:authenticationFailure code="INVALID_TICKET">Ticket {escape(ticket)} not recognized'
                "</cas:authenticationFailure>"
            )
        else:
            inner = f"<cas:authenticationSuccess><cas:user>{escape(username)}</cas:user></cas:authenticationSuccess>"
        return f'<cas:serviceResponse xmlns:cas="http://www.yale.edu/tp/cas">{inner}</cas:serviceResponse>'

    def __enter__(self):
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()


def cas_settings(server, version="3"):
    return {
        "CAS_ENABLED": True,
        "CAS_SERVER_URL": server.url,
        "CAS_VERSION": version,
        "AUTHENTICATION_BACKENDS": [CAS_BACKEND, *settings.AUTHENTICATION_BACKENDS],
    }
