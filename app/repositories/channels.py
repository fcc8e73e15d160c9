"""The notification channels' statements, each scoped to the channel's owner."""

from datetime import datetime

import sqlalchemy as sa

from app.domain.channels import Channel, ChannelType, PushKeys
from app.ports import Sql
from app.repositories.ownership import owned
from app.repositories.rows import from_row, from_rows
from app.repositories.tables import NOTIFICATION_CHANNEL

# A user's channels are few; listing them never pages.
MAX_CHANNELS = 50


class ChannelRepository:
    def __init__(self, sql: Sql) -> None:
        self._sql = sql

    async def add(
        self,
        owner: int,
        kind: ChannelType,
        target: str,
        secret: str | None,
        created_at: datetime,
        push_keys: PushKeys | None = None,
    ) -> Channel | None:
        """The new channel; None when the owner has MAX_CHANNELS already."""
        room = (
            sa.select(sa.func.count()).where(owned(NOTIFICATION_CHANNEL, owner)).scalar_subquery()
            < MAX_CHANNELS
        )
        row = sa.select(
            sa.literal(owner, sa.Integer),
            sa.literal(kind.value, sa.String),
            sa.literal(target, sa.String),
            sa.literal(secret, sa.String),
            sa.literal(created_at, NOTIFICATION_CHANNEL.c.created_at.type),
            sa.literal(
                None if push_keys is None else push_keys.model_dump(),
                NOTIFICATION_CHANNEL.c.push_keys.type,
            ),
        ).where(room)
        rows = await self._sql.write(
            sa.insert(NOTIFICATION_CHANNEL)
            .from_select(["owner_id", "type", "target", "secret", "created_at", "push_keys"], row)
            .returning(*NOTIFICATION_CHANNEL.c)
        )
        return from_row(Channel, NOTIFICATION_CHANNEL, rows[0]) if rows else None

    async def of_owner(self, owner: int) -> list[Channel]:
        rows = await self._sql.fetch(
            sa.select(NOTIFICATION_CHANNEL)
            .where(owned(NOTIFICATION_CHANNEL, owner))
            .order_by(NOTIFICATION_CHANNEL.c.id)
        )
        return from_rows(Channel, NOTIFICATION_CHANNEL, rows)

    async def get(self, owner: int, channel_id: int) -> Channel | None:
        rows = await self._sql.fetch(
            sa.select(NOTIFICATION_CHANNEL).where(
                owned(NOTIFICATION_CHANNEL, owner), NOTIFICATION_CHANNEL.c.id == channel_id
            )
        )
        return from_row(Channel, NOTIFICATION_CHANNEL, rows[0]) if rows else None

    async def push_channels_at(self, endpoint: str) -> list[Channel]:
        """The webpush channels, of any owner, whose subscription has `endpoint`: for a
        renewal, which proves whose it is with the subscription's secret instead of a user."""
        rows = await self._sql.fetch(
            sa.select(NOTIFICATION_CHANNEL).where(
                NOTIFICATION_CHANNEL.c.type == ChannelType.WEBPUSH.value,
                NOTIFICATION_CHANNEL.c.target == endpoint,
            )
        )
        return from_rows(Channel, NOTIFICATION_CHANNEL, rows)

    async def resubscribe(self, channel: Channel, endpoint: str, keys: PushKeys) -> bool:
        """The webpush `channel` sends to the subscription at `endpoint` with `keys` from now
        on; False when it was removed or renewed meanwhile."""
        rows = await self._sql.write(
            sa.update(NOTIFICATION_CHANNEL)
            .where(
                owned(NOTIFICATION_CHANNEL, channel.owner_id),
                NOTIFICATION_CHANNEL.c.id == channel.id,
                NOTIFICATION_CHANNEL.c.target == channel.target,
            )
            .values(target=endpoint, push_keys=keys.model_dump())
            .returning(NOTIFICATION_CHANNEL.c.id)
        )
        return bool(rows)

    async def remove(self, owner: int, channel_id: int) -> bool:
        rows = await self._sql.write(
            sa.delete(NOTIFICATION_CHANNEL)
            .where(owned(NOTIFICATION_CHANNEL, owner), NOTIFICATION_CHANNEL.c.id == channel_id)
            .returning(NOTIFICATION_CHANNEL.c.id)
        )
        return bool(rows)
