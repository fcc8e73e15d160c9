"""/api/tasks: CRUD, completion, priority, tags, listing and search, of the signed-in user's
tasks (another user's task id is not found)."""

from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Path, Query, Response, status

from app.api.deps import CurrentUser, RuntimeDep, Tasks, WritingUser
from app.api.responses import CONFLICT, MALFORMED_BODY, NOT_FOUND, TOTAL_COUNT, ViewResponse
from app.api.schemas import (
    PriorityBody,
    SearchRequest,
    SearchResponse,
    TagsBody,
    TaskCreate,
    TaskFilters,
    TaskListQuery,
    TaskUpdate,
)
from app.domain.queries import SortField, SortOrder, TaskQuery
from app.domain.task_fields import MAX_ID
from app.task_views import TaskOut, task_view

router = APIRouter(prefix="/api/tasks", tags=["tasks"])

# Routes take `{task_id:int}`: a path segment that is no number names no task (404), so that
# /api/tasks/search answers other methods with 405 instead of reading "search" as an id.
TaskId = Annotated[int, Path(ge=1, le=MAX_ID)]


def _task_query(
    filters: TaskFilters,
    text: str | None,
    sort_by: SortField | None,
    order: SortOrder | None,
    limit: int,
    offset: int,
    timezone: str,
) -> TaskQuery:
    zone = ZoneInfo(timezone)
    due_before, due_after = (
        moment.replace(tzinfo=zone) if moment and moment.tzinfo is None else moment
        for moment in (filters.due_before, filters.due_after)
    )
    return TaskQuery(
        status=filters.status,
        priority=filters.priority,
        tags=tuple(filters.tags),
        due_before=due_before,
        due_after=due_after,
        text=text or None,
        sort_by=sort_by,
        order=order,
        limit=limit,
        offset=offset,
    )


@router.get("", response_model=list[TaskOut], responses=TOTAL_COUNT)
async def list_tasks(
    query: Annotated[TaskListQuery, Query()], tasks: Tasks, runtime: RuntimeDep, user: CurrentUser
) -> Response:
    page = await tasks.query(
        user.id,
        _task_query(
            query,
            query.q,
            query.sort_by,
            query.order,
            query.limit,
            query.offset,
            runtime.settings.timezone,
        ),
    )
    return ViewResponse(
        [task_view(task) for task in page.tasks], headers={"X-Total-Count": str(page.total)}
    )


@router.post("/search", response_model=SearchResponse, responses=MALFORMED_BODY)
async def search_tasks(
    body: SearchRequest, tasks: Tasks, runtime: RuntimeDep, user: CurrentUser
) -> Response:
    page = await tasks.query(
        user.id,
        _task_query(
            body.filters,
            body.query,
            body.sort_by,
            body.order,
            body.limit,
            body.offset,
            runtime.settings.timezone,
        ),
    )
    return ViewResponse(
        {"results": [task_view(task) for task in page.tasks], "total_count": page.total}
    )


@router.post(
    "", response_model=TaskOut, status_code=status.HTTP_201_CREATED, responses=MALFORMED_BODY
)
async def create_task(body: TaskCreate, tasks: Tasks, user: WritingUser) -> Response:
    task = await tasks.create(user.id, body.model_dump(exclude_unset=True))
    return ViewResponse(task_view(task), status_code=status.HTTP_201_CREATED)


@router.get("/{task_id:int}", response_model=TaskOut, responses=NOT_FOUND)
async def get_task(task_id: TaskId, tasks: Tasks, user: CurrentUser) -> Response:
    return ViewResponse(task_view(await tasks.get(user.id, task_id)))


@router.put(
    "/{task_id:int}", response_model=TaskOut, responses=NOT_FOUND | CONFLICT | MALFORMED_BODY
)
async def update_task(
    task_id: TaskId, body: TaskUpdate, tasks: Tasks, user: WritingUser
) -> Response:
    return ViewResponse(task_view(await tasks.update(user.id, task_id, body.changes())))


@router.delete("/{task_id:int}", status_code=status.HTTP_204_NO_CONTENT, responses=NOT_FOUND)
async def delete_task(task_id: TaskId, tasks: Tasks, user: WritingUser) -> Response:
    await tasks.delete(user.id, task_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/{task_id:int}/complete", response_model=TaskOut, responses=NOT_FOUND)
async def complete_task(task_id: TaskId, tasks: Tasks, user: WritingUser) -> Response:
    return ViewResponse(task_view(await tasks.complete(user.id, task_id)))


@router.put(
    "/{task_id:int}/priority",
    response_model=TaskOut,
    responses=NOT_FOUND | CONFLICT | MALFORMED_BODY,
)
async def set_priority(
    task_id: TaskId, body: PriorityBody, tasks: Tasks, user: WritingUser
) -> Response:
    return ViewResponse(
        task_view(await tasks.update(user.id, task_id, {"priority": body.priority}))
    )


@router.post(
    "/{task_id:int}/tags",
    response_model=TaskOut,
    responses=NOT_FOUND | CONFLICT | MALFORMED_BODY,
)
async def add_tags(task_id: TaskId, body: TagsBody, tasks: Tasks, user: WritingUser) -> Response:
    return ViewResponse(task_view(await tasks.add_tags(user.id, task_id, body.tags)))


@router.delete(
    "/{task_id:int}/tags",
    response_model=TaskOut,
    responses=NOT_FOUND | CONFLICT | MALFORMED_BODY,
)
async def remove_tags(task_id: TaskId, body: TagsBody, tasks: Tasks, user: WritingUser) -> Response:
    return ViewResponse(task_view(await tasks.remove_tags(user.id, task_id, body.tags)))
