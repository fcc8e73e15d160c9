"""A real SMTP server on loopback for the tests (aiosmtpd): it asks for a password, and stores
every message it accepts, parsed."""

import contextlib
import logging
import ssl
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

from tests.support.servers import free_port

USERNAME = "mailer"
PASSWORD = "mail-password"

# aiosmtpd warns on every successful login that it sets a deprecated attribute itself.
logging.getLogger("mail.log").addFilter(
    lambda record: "login_data is deprecated" not in record.getMessage()
)


class MailServer:
    def __init__(self, port: int) -> None:
        self.port = port
        self.received: list[EmailMessage] = []
        # Each message with when it was accepted (where the bench's latencies end).
        self.accepted: list[tuple[EmailMessage, datetime]] = []
        self.envelopes: list[tuple[str, list[str]]] = []
        # The client's address and port of each message's session: one entry per connection.
        self.peers: list[Any] = []
        # Recipients refused with 550, as a mailbox that does not exist.
        self.refused: set[str] = set()
        self._arrived = threading.Condition()

    @property
    def url(self) -> str:
        return f"smtp://{USERNAME}:{PASSWORD}@127.0.0.1:{self.port}"

    def authenticate(
        self, server: SMTP, session: Session, envelope: Envelope, mechanism: str, data: Any
    ) -> AuthResult:
        ok = isinstance(data, LoginPassword) and (data.login, data.password) == (
            USERNAME.encode(),
            PASSWORD.encode(),
        )
        return AuthResult(success=ok)

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: Any
    ) -> str:
        if address in self.refused:
            return "550 5.1.1 no such mailbox"
        if not session.authenticated:
            return "530 5.7.0 authentication required"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        content = envelope.original_content or b""
        parsed = message_from_bytes(content, policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        with self._arrived:
            self.envelopes.append((str(envelope.mail_from), list(envelope.rcpt_tos)))
            self.peers.append(session.peer)
            self.received.append(parsed)
            self.accepted.append((parsed, datetime.now(UTC)))
            self._arrived.notify_all()
        return "250 OK"

    def wait_for(self, count: int, timeout: float = 10) -> list[EmailMessage]:
        """Wait until `count` messages have arrived (from any thread); all of them."""
        deadline = time.monotonic() + timeout
        with self._arrived:
            while len(self.received) < count:
                left = deadline - time.monotonic()
                assert left > 0, f"{len(self.received)} of {count} messages within {timeout} s"
                self._arrived.wait(left)
            return list(self.received)

    def timed(self) -> list[tuple[EmailMessage, datetime]]:
        """The messages received so far, each with when it was accepted."""
        with self._arrived:
            return list(self.accepted)


@contextlib.contextmanager
def mail_server(
    tls: ssl.SSLContext | None = None,
    starttls: ssl.SSLContext | None = None,
    idle_seconds: float = 300,
) -> Iterator[MailServer]:
    """The server, listening on a free loopback port while the context is open: with `tls`,
    TLS from the first byte; with `starttls`, it offers STARTTLS and takes no mail without. It
    closes a session that sends nothing for `idle_seconds`."""
    server = MailServer(free_port())
    controller = Controller(
        server,
        hostname="127.0.0.1",
        port=server.port,
        authenticator=server.authenticate,
        auth_require_tls=starttls is not None,
        ssl_context=tls,
        tls_context=starttls,
        require_starttls=starttls is not None,
        timeout=idle_seconds,
    )
    controller.start()
    try:
        yield server
    finally:
        controller.stop()


def bodies(mail: EmailMessage) -> tuple[str, str]:
    """The text and the HTML body of a multipart/alternative message."""
    text = mail.get_body(("plain",))
    html = mail.get_body(("html",))
    assert text is not None and html is not None, mail
    assert isinstance(text, EmailMessage) and isinstance(html, EmailMessage)
    return text.get_content(), html.get_content()
