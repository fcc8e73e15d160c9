"""reminder.sent -> a delivery on each of the owner's channels, sent by the courier."""

from app.domain.events import ReminderSent
from app.services.notifier import Courier


class NotifierHandler:
    def __init__(self, courier: Courier) -> None:
        self._courier = courier

    async def __call__(self, topic: str, sent: ReminderSent) -> None:
        await self._courier.enqueue(sent)
