"""/api/auth: sign up, sign in and out, the signed-in user, their password and sessions."""

from fastapi import APIRouter, Request, Response, status

from app.api.account_schemas import AuthStatus, Login, PasswordChange, Signup, UserBody
from app.api.deps import (
    SESSION_COOKIE,
    Accounts,
    CurrentPrincipal,
    CurrentUser,
    WebAppDep,
    WritingUser,
)
from app.api.responses import FORBIDDEN, MALFORMED_BODY, THROTTLED, UNAUTHENTICATED
from app.services.accounts import SESSION_MAX

router = APIRouter(prefix="/api/auth", tags=["auth"])


def set_session_cookie(request: Request, response: Response, cookie: str) -> None:
    """Sign the browser in: the session's cookie (Secure when the request came over HTTPS)."""
    response.set_cookie(
        SESSION_COOKIE,
        cookie,
        max_age=int(SESSION_MAX.total_seconds()),
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
    )


@router.get("/status", response_model=AuthStatus)
async def auth_status(accounts: Accounts, web_app: WebAppDep) -> AuthStatus:
    """What the sign-in page offers: the first user's signup, open signup, single sign-on."""
    return AuthStatus(
        signup_open=accounts.signup_open,
        needs_first_user=await accounts.needs_first_user(),
        oidc=web_app.runtime.settings.accounts.oidc,
    )


@router.post(
    "/signup",
    response_model=UserBody,
    status_code=status.HTTP_201_CREATED,
    responses=FORBIDDEN | MALFORMED_BODY,
)
async def signup(
    body: Signup, accounts: Accounts, request: Request, response: Response
) -> UserBody:
    """While no user exists, make the first, an admin; afterwards only when signup is open.
    The new user is signed in."""
    user = await accounts.signup(body.username, body.password, body.display_name)
    set_session_cookie(request, response, await accounts.open_session(user.id))
    return UserBody(user=user)


@router.post(
    "/login", response_model=UserBody, responses=UNAUTHENTICATED | THROTTLED | MALFORMED_BODY
)
async def login(body: Login, accounts: Accounts, request: Request, response: Response) -> UserBody:
    """A session cookie for the user. An unknown user and a wrong password get the same 401;
    repeated failures for one username or one client get 429 with Retry-After."""
    client = request.client.host if request.client is not None else "unknown"
    user, cookie = await accounts.login(body.username, body.password, client)
    set_session_cookie(request, response, cookie)
    return UserBody(user=user)


@router.post("/logout", status_code=status.HTTP_204_NO_CONTENT)
async def logout(accounts: Accounts, request: Request) -> Response:
    """End this session (if any): its cookie stops working at once."""
    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie:
        await accounts.logout(cookie)
    response = Response(status_code=status.HTTP_204_NO_CONTENT)
    response.delete_cookie(SESSION_COOKIE, httponly=True, samesite="lax")
    return response


@router.get("/me", response_model=UserBody, responses=UNAUTHENTICATED)
async def me(user: CurrentUser) -> UserBody:
    return UserBody(user=user)


@router.post(
    "/password",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=UNAUTHENTICATED | FORBIDDEN | THROTTLED | MALFORMED_BODY,
)
async def change_password(
    body: PasswordChange,
    user: WritingUser,
    principal: CurrentPrincipal,
    accounts: Accounts,
    request: Request,
) -> Response:
    """Set a new password, given the current one; the user's other sessions end."""
    keep = request.cookies.get(SESSION_COOKIE) if principal.via == "session" else None
    await accounts.change_password(user, body.current_password, body.new_password, keep)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/logout-everywhere",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=UNAUTHENTICATED | FORBIDDEN,
)
async def logout_everywhere(user: WritingUser, accounts: Accounts) -> Response:
    """End every session of the user, this one too. API tokens stay valid."""
    await accounts.logout_everywhere(user.id)
    response = Response(status_code=status.HTTP_204_NO_CONTENT)
    response.delete_cookie(SESSION_COOKIE, httponly=True, samesite="lax")
    return response
