"""Reminders by mail, through the SMTP server of TASKFLOW_SMTP_URL."""

import asyncio
import time
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
# A session sends the next message too if it comes within this time, saving the connection,
# EHLO, TLS and login of a new one; servers close idle sessions after minutes (Postfix: 300 s).
KEEP_SECONDS = 30.0


class SmtpMailer:
    def __init__(self, settings: MailSettings, timeout: float) -> None:
        self._settings = settings
        self._timeout = timeout
        self._sessions = asyncio.Semaphore(SESSIONS)
        # Sessions free for the next message, each with when it sent its last.
        self._idle: list[tuple[aiosmtplib.SMTP, float]] = []

    async def send(self, channel: Channel, notification: Notification) -> None:
        mail = EmailMessage()
        mail["From"] = self._settings.sender
        mail["To"] = channel.target
        mail["Subject"] = subject(notification)
        mail["Date"] = formatdate(notification.fired_at.timestamp(), usegmt=True)
        mail["Message-ID"] = make_msgid("taskflow")
        mail.set_content(text_body(notification))
        mail.add_alternative(html_body(notification), subtype="html")
        try:
            async with self._sessions:
                await self._send_on_a_session(mail)
        except (aiosmtplib.SMTPException, OSError) as error:
            raise DeliveryFailed(f"mail to {channel.target}: {error}") from error

    async def _send_on_a_session(self, mail: EmailMessage) -> None:
        while True:
            kept = self._kept()
            session = kept or await self._connect()
            try:
                await session.send_message(mail)
            except BaseException as error:
                session.close()
                if kept and isinstance(error, aiosmtplib.SMTPServerDisconnected):
                    continue  # the server ended the kept session meanwhile
                raise
            self._idle.append((session, time.monotonic()))
            return

    def _kept(self) -> aiosmtplib.SMTP | None:
        """A kept session still open and used recently, if there is one."""
        while self._idle:
            session, last_used = self._idle.pop()
            if session.is_connected and time.monotonic() - last_used < KEEP_SECONDS:
                return session
            session.close()
        return None

    async def _connect(self) -> aiosmtplib.SMTP:
        settings = self._settings
        session = aiosmtplib.SMTP(
            hostname=settings.host,
            port=settings.port,
            username=settings.username,
            password=settings.password,
            use_tls=settings.tls,
            start_tls=settings.starttls,
            timeout=self._timeout,
        )
        await session.connect()
        return session
