"""/api/tokens: the signed-in user's API tokens; make one (shown once), list, revoke."""

from typing import Annotated

from fastapi import APIRouter, Path, Response, status

from app.api.account_schemas import NewTokenOut, TokenCreate, TokenOut
from app.api.deps import Accounts, CurrentUser, WritingUser
from app.api.responses import MALFORMED_BODY, NOT_FOUND
from app.domain.task_fields import MAX_ID

router = APIRouter(prefix="/api/tokens", tags=["tokens"])


@router.post(
    "", response_model=NewTokenOut, status_code=status.HTTP_201_CREATED, responses=MALFORMED_BODY
)
async def create_token(body: TokenCreate, accounts: Accounts, user: WritingUser) -> NewTokenOut:
    """A new token for scripts and MCP clients: `token` is in this answer only."""
    stored, token = await accounts.create_token(
        user.id, body.name, frozenset(body.scopes), body.expires_in_days
    )
    return NewTokenOut(**TokenOut.of(stored).model_dump(), token=token)


@router.get("", response_model=list[TokenOut])
async def list_tokens(accounts: Accounts, user: CurrentUser) -> list[TokenOut]:
    return [TokenOut.of(token) for token in await accounts.tokens(user.id)]


@router.delete("/{token_id:int}", status_code=status.HTTP_204_NO_CONTENT, responses=NOT_FOUND)
async def revoke_token(
    token_id: Annotated[int, Path(ge=1, le=MAX_ID)], accounts: Accounts, user: WritingUser
) -> Response:
    """The token stops working at once."""
    await accounts.revoke_token(user.id, token_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
