"""The mailer keeps its SMTP session for the next message, to a real SMTP server on loopback:
several messages on one connection, and a kept session the server has ended (noticed or not)
replaced by a new one without losing or doubling a message."""

import asyncio
import time

import pytest

from app.adapters.notify import mail as mail_module
from app.adapters.notify.mail import SmtpMailer
from app.config import MailSettings
from app.domain.channels import Channel, ChannelType
from app.domain.enums import Priority
from tests.support.delivery import NOTIFIED_AT, a_notification
from tests.support.mail import PASSWORD, USERNAME, MailServer, mail_server

NOTIFICATION = a_notification("Water the plants", priority=Priority.LOW)


def to(address: str) -> Channel:
    return Channel(id=1, owner_id=1, type=ChannelType.EMAIL, target=address, created_at=NOTIFIED_AT)


def mailer_for(server: MailServer) -> SmtpMailer:
    settings = MailSettings(
        host="127.0.0.1", port=server.port, username=USERNAME, password=PASSWORD
    )
    return SmtpMailer(settings, timeout=10)


async def test_messages_one_after_another_share_one_session() -> None:
    with mail_server() as server:
        mailer = mailer_for(server)
        for n in range(5):
            await mailer.send(to(f"person{n}@example.org"), NOTIFICATION)
        server.wait_for(5)
    assert [recipients for _, recipients in server.envelopes] == [
        [f"person{n}@example.org"] for n in range(5)
    ]
    assert len(set(server.peers)) == 1


async def test_messages_side_by_side_take_sessions_of_their_own_and_keep_them() -> None:
    with mail_server() as server:
        mailer = mailer_for(server)
        for _ in range(2):
            await asyncio.gather(
                *(mailer.send(to(f"person{n}@example.org"), NOTIFICATION) for n in range(3))
            )
        server.wait_for(6)
    assert len(set(server.peers)) == 3


@pytest.mark.parametrize("noticed", [True, False], ids=["noticed", "found-when-sent-on"])
async def test_a_session_the_server_ended_for_idleness_is_replaced(noticed: bool) -> None:
    with mail_server(idle_seconds=0.2) as server:
        mailer = mailer_for(server)
        await mailer.send(to("first@example.org"), NOTIFICATION)
        if noticed:
            await asyncio.sleep(0.6)
        else:
            # The server (in its own thread) ends the session while this loop is blocked, so
            # the mailer finds it open and learns otherwise only when it sends on it.
            time.sleep(0.6)
            [(kept, _)] = mailer._idle
            assert kept.is_connected
        await mailer.send(to("second@example.org"), NOTIFICATION)
        server.wait_for(2)
    assert [recipients for _, recipients in server.envelopes] == [
        ["first@example.org"],
        ["second@example.org"],
    ]
    assert len(set(server.peers)) == 2


async def test_a_session_idle_longer_than_it_is_kept_is_closed_not_used(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(mail_module, "KEEP_SECONDS", 0.0)
    with mail_server() as server:
        mailer = mailer_for(server)
        await mailer.send(to("first@example.org"), NOTIFICATION)
        [(kept, _)] = mailer._idle
        await mailer.send(to("second@example.org"), NOTIFICATION)
        server.wait_for(2)
        assert not kept.is_connected
    assert len(set(server.peers)) == 2
