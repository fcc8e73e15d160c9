"""Shared dependencies of the routers: the app's runtime and services, and who is asking.

Every one is a coroutine, though only the principal's waits for anything: FastAPI runs a
plain function dependency in a worker thread, and under load those hand-offs (six a request)
took a sixth to a quarter of the server's time (docs/benchmarks.md, Profile)."""

from typing import Annotated

from fastapi import Depends, HTTPException, Request, Security, status
from fastapi.security import APIKeyCookie, HTTPAuthorizationCredentials, HTTPBearer

from app.api.security import SESSION_COOKIE
from app.bootstrap import Runtime
from app.chat.service import ChatService
from app.domain.users import Principal, User
from app.services.accounts import AccountService
from app.services.audit import AuditService
from app.services.channels import ChannelService
from app.services.dead_letters import DeadLetterService
from app.services.preferences import PreferenceService
from app.services.reminders import ReminderService
from app.services.tasks import TaskService
from app.web import WebApp


async def get_web_app(request: Request) -> WebApp:
    web_app: WebApp = request.app.state.web_app
    return web_app


WebAppDep = Annotated[WebApp, Depends(get_web_app)]


async def get_runtime(web_app: WebAppDep) -> Runtime:
    return web_app.runtime


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]


async def get_tasks(runtime: RuntimeDep) -> TaskService:
    return runtime.tasks


async def get_reminders(runtime: RuntimeDep) -> ReminderService:
    return runtime.reminders


async def get_audit(runtime: RuntimeDep) -> AuditService:
    return runtime.audit


async def get_dead_letters(runtime: RuntimeDep) -> DeadLetterService:
    return runtime.dead_letters


async def get_channels(runtime: RuntimeDep) -> ChannelService:
    return runtime.channels


async def get_preferences(runtime: RuntimeDep) -> PreferenceService:
    return runtime.preferences


async def get_chat(web_app: WebAppDep) -> ChatService:
    return web_app.chat


Tasks = Annotated[TaskService, Depends(get_tasks)]
Reminders = Annotated[ReminderService, Depends(get_reminders)]
Audit = Annotated[AuditService, Depends(get_audit)]
Chat = Annotated[ChatService, Depends(get_chat)]
DeadLetters = Annotated[DeadLetterService, Depends(get_dead_letters)]
Channels = Annotated[ChannelService, Depends(get_channels)]
UserPreferences = Annotated[PreferenceService, Depends(get_preferences)]


async def get_accounts(web_app: WebAppDep) -> AccountService:
    return web_app.accounts


Accounts = Annotated[AccountService, Depends(get_accounts)]

# Longer than any token handed out; anything longer is not looked up.
_TOKEN_MAX = 200
_bearer = HTTPBearer(auto_error=False, description="An API token (tf_...)")
_session = APIKeyCookie(name=SESSION_COOKIE, auto_error=False, description="A signed-in session")
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def unauthenticated() -> HTTPException:
    return HTTPException(
        status.HTTP_401_UNAUTHORIZED,
        "sign in, or send an API token as Authorization: Bearer <token>",
        headers={"WWW-Authenticate": "Bearer"},
    )


async def current_principal(
    accounts: Accounts,
    bearer: Annotated[HTTPAuthorizationCredentials | None, Security(_bearer)],
    cookie: Annotated[str | None, Security(_session)],
) -> Principal:
    """Who sends the request: the holder of the Bearer token if one is sent, else of the
    session cookie; 401 for neither, or for one unknown, revoked or expired."""
    principal = None
    if bearer is not None:
        token = bearer.credentials
        if len(token) <= _TOKEN_MAX and token.isascii():
            principal = await accounts.token_principal(token)
    elif cookie and len(cookie) <= _TOKEN_MAX and cookie.isascii():
        principal = await accounts.session_principal(cookie)
    if principal is None:
        raise unauthenticated()
    return principal


CurrentPrincipal = Annotated[Principal, Depends(current_principal)]


async def current_user(principal: CurrentPrincipal) -> User:
    return principal.user


async def writing_user(principal: CurrentPrincipal) -> User:
    if not principal.can_write:
        raise HTTPException(status.HTTP_403_FORBIDDEN, "this token may only read")
    return principal.user


CurrentUser = Annotated[User, Depends(current_user)]
WritingUser = Annotated[User, Depends(writing_user)]


async def admin_user(user: CurrentUser) -> User:
    if not user.is_admin:
        raise HTTPException(status.HTTP_403_FORBIDDEN, "only an admin may do this")
    return user


AdminUser = Annotated[User, Depends(admin_user)]


async def signed_in(request: Request, principal: CurrentPrincipal) -> None:
    """What every router of user data needs: someone signed in, allowed to write when the
    method writes."""
    if request.method not in SAFE_METHODS:
        await writing_user(principal)
