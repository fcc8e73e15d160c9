"""The stats view: open vs completed over the last 30 days, overdue, priorities, tags."""

import logging
from datetime import UTC, datetime

import reflex as rx

from app.ui.state.event import event
from app.ui.state.session import owner_of
from app.web import current_app

log = logging.getLogger(__name__)

PRIORITY_FILLS = {"high": "var(--red-9)", "medium": "var(--amber-9)", "low": "var(--gray-8)"}


# Recharts takes its data as plain objects.
Point = dict[str, str | int]


class StatsState(rx.State):
    open: rx.Field[bool] = rx.field(False)
    loading: rx.Field[bool] = rx.field(False)
    error: rx.Field[str] = rx.field("")
    days: rx.Field[list[Point]] = rx.field(default_factory=list)
    open_count: rx.Field[int] = rx.field(0)
    overdue: rx.Field[int] = rx.field(0)
    completed_30d: rx.Field[int] = rx.field(0)
    priorities: rx.Field[list[Point]] = rx.field(default_factory=list)
    tags: rx.Field[list[Point]] = rx.field(default_factory=list)

    @event
    async def open_stats(self) -> None:
        self.open = True
        self.loading = True
        await self._load()

    @event
    def set_open(self, value: bool) -> None:
        self.open = value

    async def _load(self) -> None:
        runtime = current_app().runtime
        owner = await owner_of(self)
        try:
            stats = await runtime.stats.snapshot(
                owner, datetime.now(UTC), runtime.settings.timezone
            )
        except Exception:
            log.exception("stats failed")
            self.error = "The figures could not be loaded."
            self.loading = False
            return
        self.error = ""
        self.days = [
            {"day": f"{day.day:%b} {day.day.day}", "open": day.open, "completed": day.completed}
            for day in stats.days
        ]
        self.open_count, self.overdue = stats.open, stats.overdue
        self.completed_30d = sum(day.completed for day in stats.days)
        self.priorities = [
            {"name": priority.value.capitalize(), "value": count, "fill": PRIORITY_FILLS[priority]}
            for priority, count in stats.by_priority.items()
        ]
        self.tags = [{"name": f"#{tag}", "value": count} for tag, count in stats.by_tag]
        self.loading = False

    async def _refresh(self) -> None:
        if self.open:
            await self._load()
