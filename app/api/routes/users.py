"""/api/users: the admins' list of users; make one, delete one with everything they own."""

from typing import Annotated

from fastapi import APIRouter, Path, Response, status

from app.api.account_schemas import UserCreate
from app.api.deps import Accounts, AdminUser
from app.api.responses import CONFLICT, MALFORMED_BODY, NOT_FOUND
from app.domain.task_fields import MAX_ID
from app.domain.users import User

router = APIRouter(prefix="/api/users", tags=["users"])


@router.post(
    "",
    response_model=User,
    status_code=status.HTTP_201_CREATED,
    responses=CONFLICT | MALFORMED_BODY,
)
async def create_user(body: UserCreate, accounts: Accounts, _: AdminUser) -> User:
    return await accounts.create_user(
        body.username, body.password, body.is_admin, body.display_name
    )


@router.get("", response_model=list[User])
async def list_users(accounts: Accounts, _: AdminUser) -> list[User]:
    return await accounts.users()


@router.delete(
    "/{user_id:int}", status_code=status.HTTP_204_NO_CONTENT, responses=NOT_FOUND | CONFLICT
)
async def delete_user(
    user_id: Annotated[int, Path(ge=1, le=MAX_ID)], accounts: Accounts, admin: AdminUser
) -> Response:
    """Delete the user with their tasks, reminders, sessions and tokens. Not oneself."""
    await accounts.delete_user(user_id, admin)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
