"""Reminders by mail, through the SMTP server of TASKFLOW_SMTP_URL."""

import asyncio
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

import aiosmtplib

from app.config import MailSettings
from app.domain.channels import Channel
from app.domain.notifications import Notification, html_body, subject, text_body
from app.ports import DeliveryFailed

# SMTP sessions open at once, within a mail server's usual limit per client (Postfix: 50). A
# message waiting for one spends its send timeout waiting; if that runs out, it is retried.
SESSIONS = 20


class SmtpMailer:
    def __init__(self, settings: MailSettings, timeout: float) -> None:
        self._settings = settings
        self._timeout = timeout
        self._sessions = asyncio.Semaphore(SESSIONS)

    async def send(self, channel: Channel, notification: Notification) -> None:
        mail = EmailMessage()
        mail["From"] = self._settings.sender
        mail["To"] = channel.target
        mail["Subject"] = subject(notification)
        mail["Date"] = formatdate(notification.fired_at.timestamp(), usegmt=True)
        mail["Message-ID"] = make_msgid("taskflow")
        mail.set_content(text_body(notification))
        mail.add_alternative(html_body(notification), subtype="html")
        settings = self._settings
        try:
            async with self._sessions:
                await aiosmtplib.send(
                    mail,
                    hostname=settings.host,
                    port=settings.port,
                    username=settings.username,
                    password=settings.password,
                    use_tls=settings.tls,
                    start_tls=settings.starttls,
                    timeout=self._timeout,
                )
        except (aiosmtplib.SMTPException, OSError) as error:
            raise DeliveryFailed(f"mail to {channel.target}: {error}") from error
