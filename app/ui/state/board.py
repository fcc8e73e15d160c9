"""The board: one page of the tasks the current view asks for, listed by the server.

Filters, search, sort and page live here and in the URL (replaced in place, so the browser
history is not flooded); every change lists again through TaskService.query, one page at a
time, so 10,000 tasks cost what 25 do.
"""

import asyncio
import contextlib
import dataclasses
import json
import logging
from datetime import UTC, datetime
from typing import Any

import reflex as rx
from reflex.event import EventSpec

from app.domain.enums import TaskStatus
from app.domain.queries import DEFAULT_ORDER, SortField, SortOrder, TaskQuery
from app.services.errors import NotFound
from app.ui.shared_work import SharedWork
from app.ui.state.event import event
from app.ui.state.quick import add_from_line
from app.ui.state.rows import TaskRow, row_of
from app.ui.state.session import owner_of
from app.ui.state.view import (
    MAX_PAGE,
    MAX_SEARCH,
    PAGE_SIZE,
    PRIORITIES,
    STATUSES,
    View,
    date_text,
    page_count,
)
from app.web import current_app

log = logging.getLogger(__name__)

UNDO_SECONDS = 6


@dataclasses.dataclass
class DeletedRow:
    id: int = 0
    title: str = ""


@dataclasses.dataclass(frozen=True)
class Listing:
    """One page of a view as the board shows it; `seq`: the live feed's position when it was
    asked for (it reflects every change up to there)."""

    seq: int
    total: int
    rows: tuple[TaskRow, ...]


# Keyed by (owner, query, live feed position): see app/ui/shared_work.py.
_shared_listings: SharedWork[tuple[int, TaskQuery, int], Listing] = SharedWork()


async def _listing(owner: int, view: View, seen: int | None) -> Listing:
    """The page `view` shows `owner`: made now, or, with `seen`, shared with the other tabs
    asking for the same at the same live feed position."""
    query = view.task_query(current_app().runtime.settings.timezone)
    if seen is None:
        return await _list(owner, query)
    return await _shared_listings.get((owner, query, seen), lambda: _list(owner, query))


async def _list(owner: int, query: TaskQuery) -> Listing:
    runtime = current_app().runtime
    seq = runtime.live.last_seq
    page = await runtime.tasks.query(owner, query)
    set_apart = await runtime.reminders.set_apart(owner, page.tasks)
    now = datetime.now(UTC)
    return Listing(
        seq, page.total, tuple(row_of(task, now, set_apart.get(task.id)) for task in page.tasks)
    )


class BoardState(rx.State):
    rows: rx.Field[list[TaskRow]] = rx.field(default_factory=list)
    total: rx.Field[int] = rx.field(0)
    status: rx.Field[str] = rx.field(View.status)
    priority: rx.Field[str] = rx.field(View.priority)
    tags: rx.Field[str] = rx.field(View.tags)
    due_from: rx.Field[str] = rx.field(View.due_from)
    due_to: rx.Field[str] = rx.field(View.due_to)
    search: rx.Field[str] = rx.field(View.search)
    sort_by: rx.Field[str] = rx.field(View.sort_by)
    order: rx.Field[str] = rx.field(View.order)
    page: rx.Field[int] = rx.field(1)
    loading: rx.Field[bool] = rx.field(True)
    error: rx.Field[str] = rx.field("")
    # Deleted in this tab, still undoable: hidden here, deleted for good when the time is up.
    deleted: rx.Field[list[DeletedRow]] = rx.field(default_factory=list)
    quick_error: rx.Field[str] = rx.field("")
    # The live feed's position when the board was last listed (where listening starts).
    _loaded_at: int = 0

    @rx.var
    def page_count(self) -> int:
        return page_count(self.total)

    @rx.var
    def range_label(self) -> str:
        if self.total == 0:
            return "No tasks"
        first = (self.page - 1) * PAGE_SIZE + 1
        last = min(self.page * PAGE_SIZE, self.total)
        return f"{first}-{last} of {self.total:,}"

    @rx.var
    def filtered(self) -> bool:
        return self._view().filtered

    def _view(self) -> View:
        return View(
            status=self.status,
            priority=self.priority,
            tags=self.tags,
            due_from=self.due_from,
            due_to=self.due_to,
            search=self.search,
            sort_by=self.sort_by,
            order=self.order,
            page=self.page,
        )

    def _show(self, view: View) -> None:
        for name, value in dataclasses.asdict(view).items():
            setattr(self, name, value)

    async def _reload(self, seen: int | None = None) -> None:
        """List the current page again (other states call this after they change tasks).
        With `seen`, a position of the live feed the listing must reflect: every tab of the
        same user and view asking for the same position gets one listing, made once."""
        owner = await owner_of(self)
        try:
            listing = await _listing(owner, self._view(), seen)
            if not listing.rows and listing.total and self.page > 1:
                self.page = page_count(listing.total)
                listing = await _listing(owner, self._view(), seen)
        except Exception:
            log.exception("listing tasks failed")
            self.error = "The tasks could not be loaded. Try again in a moment."
            self.loading = False
            return
        self._loaded_at = listing.seq
        hidden = {row.id for row in self.deleted}
        self.rows = [row for row in listing.rows if row.id not in hidden]
        self.total = listing.total - (len(listing.rows) - len(self.rows))
        self.error = ""
        self.loading = False

    def _url(self) -> EventSpec:
        query = self._view().query_string()
        path = f"/?{query}" if query else "/"
        return rx.call_script(f"window.history.replaceState(null, '', {json.dumps(path)})")

    async def _change(self, **fields: Any) -> EventSpec:
        for name, value in {"page": 1, **fields}.items():
            setattr(self, name, value)
        await self._reload()
        return self._url()

    @event
    async def load(self) -> EventSpec:
        """on_load: the view the URL asks for; the URL then says what is shown (a page past
        the end becomes the last page, a parameter that makes no sense is dropped)."""
        self._show(View.from_query(self.router.url.query_parameters))
        await self._reload()
        return self._url()

    @event
    async def retry(self) -> None:
        self.loading = True
        await self._reload()

    @event
    async def set_status(self, value: str) -> EventSpec | None:
        return await self._change(status=value) if value in STATUSES else None

    @event
    async def set_priority(self, value: str) -> EventSpec | None:
        return await self._change(priority=value) if value in PRIORITIES else None

    @event
    async def set_tags(self, value: str) -> EventSpec:
        return await self._change(tags=value[:500])

    @event
    async def filter_tag(self, tag: str) -> EventSpec:
        """A tag chip was clicked: show only tasks with that tag (too)."""
        tags = [part.strip() for part in self.tags.split(",") if part.strip()]
        return await self._change(tags=", ".join(dict.fromkeys([*tags, tag[:50]])))

    @event
    async def set_due_from(self, value: str) -> EventSpec:
        return await self._change(due_from=date_text(value))

    @event
    async def set_due_to(self, value: str) -> EventSpec:
        return await self._change(due_to=date_text(value))

    @event
    async def set_search(self, value: str) -> EventSpec:
        return await self._change(search=value[:MAX_SEARCH])

    @event
    async def set_sort_by(self, value: str) -> EventSpec | None:
        if value not in {field.value for field in SortField}:
            return None
        return await self._change(sort_by=value, order=DEFAULT_ORDER[SortField(value)].value)

    @event
    async def toggle_order(self) -> EventSpec:
        flipped = SortOrder.DESC if self.order == SortOrder.ASC else SortOrder.ASC
        return await self._change(order=flipped.value)

    @event
    async def clear_filters(self) -> EventSpec:
        fresh = View(sort_by=self.sort_by, order=self.order)
        return await self._change(**dataclasses.asdict(fresh))

    @event
    async def go_to_page(self, page: int) -> EventSpec:
        return await self._change(page=min(max(1, int(page)), self.page_count, MAX_PAGE))

    @event
    async def complete(self, task_id: int) -> EventSpec | None:
        return await self._act(task_id, TaskStatus.COMPLETED)

    @event
    async def reopen(self, task_id: int) -> EventSpec | None:
        return await self._act(task_id, TaskStatus.PENDING)

    async def _act(self, task_id: int, status: TaskStatus) -> EventSpec | None:
        tasks = current_app().runtime.tasks
        owner = await owner_of(self)
        try:
            if status == TaskStatus.COMPLETED:
                await tasks.complete(owner, task_id)
            else:
                await tasks.update(owner, task_id, {"status": status})
        except NotFound:
            await self._reload()
            return rx.toast.error("That task no longer exists.")
        await self._reload()
        return None

    @event
    async def delete(self, task_id: int) -> EventSpec | None:
        row = next((row for row in self.rows if row.id == task_id), None)
        if row is None:
            return None
        self.deleted = [*self.deleted, DeletedRow(row.id, row.title)]
        self.rows = [kept for kept in self.rows if kept.id != task_id]
        self.total -= 1
        return BoardState.expire_deleted(task_id)

    @event
    async def undo_delete(self, task_id: int) -> None:
        self.deleted = [row for row in self.deleted if row.id != task_id]
        await self._reload()

    @event(background=True)
    async def expire_deleted(self, task_id: int) -> None:
        """Delete for good once the undo time is up, unless it was undone meanwhile."""
        await asyncio.sleep(UNDO_SECONDS)
        async with self:
            if all(row.id != task_id for row in self.deleted):
                return
            with contextlib.suppress(NotFound):
                await current_app().runtime.tasks.delete(await owner_of(self), task_id)
            self.deleted = [row for row in self.deleted if row.id != task_id]
            await self._reload()

    @event
    async def quick_add(self, form: dict[str, Any]) -> list[EventSpec] | None:
        line = str(form.get("line", "")).strip()
        if not line:
            return None
        result = await add_from_line(await owner_of(self), line)
        if not result.ok:
            self.quick_error = f"Not added: {result.data.get('error', 'unknown error')}"
            return None
        self.quick_error = ""
        await self._reload()
        title = result.data["task"]["title"]
        return [rx.set_value("quick-add", ""), rx.toast.success(f"Added “{title}”")]
