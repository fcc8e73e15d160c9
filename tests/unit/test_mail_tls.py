"""Mail over TLS, to a real SMTP server on loopback with a certificate of its own: STARTTLS
(`?starttls=true`), TLS from the first byte (`smtps://`), and a certificate the sender does
not trust refused (nothing is sent in the clear instead)."""

from pathlib import Path

import pytest

from app.adapters.notify.mail import SmtpMailer
from app.config import NotifySettings
from app.domain.channels import Channel, ChannelType
from app.ports import DeliveryFailed
from tests.support.certificates import Certificate, loopback_certificate
from tests.support.delivery import NOTIFIED_AT, a_notification
from tests.support.mail import mail_server

CHANNEL = Channel(
    id=1, owner_id=1, type=ChannelType.EMAIL, target="me@example.org", created_at=NOTIFIED_AT
)
NOTIFICATION = a_notification("Renew the passport")


@pytest.fixture
def certificate(tmp_path: Path) -> Certificate:
    return loopback_certificate(tmp_path)


def _mailer(monkeypatch: pytest.MonkeyPatch, url: str) -> SmtpMailer:
    monkeypatch.setenv("TASKFLOW_SMTP_URL", url)
    mail = NotifySettings.from_env().mail
    assert mail is not None
    return SmtpMailer(mail, timeout=10)


@pytest.mark.parametrize("mode", ["starttls", "tls"])
async def test_mail_is_sent_over_tls(
    monkeypatch: pytest.MonkeyPatch, certificate: Certificate, mode: str
) -> None:
    context = certificate.server_context()
    monkeypatch.setenv("SSL_CERT_FILE", str(certificate.cert_path))
    with mail_server(
        tls=context if mode == "tls" else None, starttls=context if mode == "starttls" else None
    ) as server:
        scheme, query = ("smtps", "") if mode == "tls" else ("smtp", "?starttls=true")
        url = server.url.replace("smtp://", f"{scheme}://") + query
        await _mailer(monkeypatch, url).send(CHANNEL, NOTIFICATION)
        [mail] = server.wait_for(1)
    assert mail["Subject"] == "Reminder: Renew the passport"


async def test_a_certificate_not_trusted_is_refused(
    monkeypatch: pytest.MonkeyPatch, certificate: Certificate
) -> None:
    with mail_server(starttls=certificate.server_context()) as server:
        mailer = _mailer(monkeypatch, f"{server.url}?starttls=true")
        with pytest.raises(DeliveryFailed, match=r"me@example\.org: .*CERTIFICATE_VERIFY_FAILED"):
            await mailer.send(CHANNEL, NOTIFICATION)
        assert server.received == []
