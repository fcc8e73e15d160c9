"""Live updates: each open tab waits on the process's live feed in a background event and,
when its user's tasks change anywhere (another tab, the chat, the recurrence processor), lists
its board again (one listing shared by every tab of the user showing the same view); a
reminder that fires shows a toast in every tab of its owner."""

import logging
import time
from collections.abc import AsyncIterator
from functools import partial
from typing import Any

import reflex as rx
from reflex.event import EventSpec

from app.domain.events import ReminderSent
from app.domain.users import User
from app.ui import routes
from app.ui.format import wall_clock
from app.ui.shared_work import SharedWork
from app.ui.state.account import session_user
from app.ui.state.board import BoardState
from app.ui.state.event import event
from app.ui.state.history import HistoryState
from app.ui.state.session import is_connected, owner_of
from app.ui.state.stats import StatsState
from app.web import current_app

log = logging.getLogger(__name__)

WAIT_SECONDS = 20.0
# A tab gone this long (closed, or offline) stops listening; reopening it starts again.
GIVE_UP_SECONDS = 120.0
TOAST_MS = 15_000
RELIST_SECONDS = 60.0

# A sign-in's session is looked up once a change, however many tabs it has open.
_shared_sessions: SharedWork[tuple[str, int], User | None] = SharedWork()


class LiveState(rx.State):
    @event(background=True, supersedes=True)
    async def listen(self) -> AsyncIterator[Any]:
        """Started on page load; a newer start for the same tab replaces it."""
        feed = current_app().runtime.live
        token = self.router.session.client_token
        cookie = self.router.headers.cookie
        async with self:
            seq = (await self.get_state(BoardState))._loaded_at
            owner = await owner_of(self)
        gone_since: float | None = None
        listed = time.monotonic()
        while True:
            changes = await feed.wait(seq, WAIT_SECONDS, owner)
            now = time.monotonic()
            if await is_connected(token):
                gone_since = None
            elif gone_since is None:
                gone_since = now
            elif now - gone_since >= GIVE_UP_SECONDS:
                return
            if changes:
                seq = changes[-1].seq
            elif now - listed < RELIST_SECONDS:
                # Nothing changed; still, now and then "in 2 h" must become "in 1 h".
                continue
            listed = now
            if await _shared_sessions.get((cookie, seq), partial(session_user, cookie)) is None:
                # Signed out meanwhile (here or everywhere): this tab shows nothing more.
                yield rx.redirect(routes.LOGIN)
                return
            try:
                async with self:
                    await (await self.get_state(BoardState))._reload(seen=seq)
                    if changes:
                        await (await self.get_state(HistoryState))._refresh()
                        await (await self.get_state(StatsState))._refresh()
            except Exception:
                # Keep listening: the next change lists again.
                log.exception("refreshing a tab after a change failed")
            for change in changes:
                if isinstance(change.event, ReminderSent):
                    yield _reminder_toast(change.event)


def _reminder_toast(sent: ReminderSent) -> EventSpec:
    """A toast for reminder.sent: the task's title, its due time in its own zone, and "late"
    when the reminder fired after its time (the app was down, say)."""
    zone = sent.timezone or current_app().runtime.settings.timezone
    when = f"Due {wall_clock(sent.due_date, zone)}" if sent.due_date else "No due date"
    if sent.late:
        when += " · late: it fired after its time"
    return rx.toast.info(
        f"Reminder: {sent.title}",
        description=when,
        duration=TOAST_MS,
        close_button=True,
        position="top-center",
    )
