"""/api/auth/oidc: single sign-on at the OpenID provider of TASKFLOW_OIDC_ISSUER (authorization
code + PKCE). `login` sends the browser to the provider; the provider sends it back to
`callback`, which signs it in and goes on to the app."""

from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request, Response, status
from fastapi.responses import JSONResponse, RedirectResponse

from app.api.deps import Accounts, WebAppDep
from app.api.routes.auth import set_session_cookie
from app.ports import PENDING_FOR, ProviderUnavailable, SignInRefused, SingleSignOn

router = APIRouter(prefix="/api/auth/oidc", tags=["auth"])
# The sign-in this browser began, sealed; only the callback reads it.
PENDING_COOKIE = "taskflow_oidc"
NOT_CONFIGURED: dict[int | str, dict[str, Any]] = {
    status.HTTP_404_NOT_FOUND: {"description": "Single sign-on is not configured"}
}
UNAVAILABLE: dict[int | str, dict[str, Any]] = {
    status.HTTP_502_BAD_GATEWAY: {"description": "The OpenID provider cannot be reached"}
}


async def get_provider(web_app: WebAppDep) -> SingleSignOn:
    if web_app.oidc is None:
        raise HTTPException(
            status.HTTP_404_NOT_FOUND,
            "single sign-on is not configured: set TASKFLOW_OIDC_ISSUER, "
            "TASKFLOW_OIDC_CLIENT_ID and TASKFLOW_OIDC_CLIENT_SECRET",
        )
    return web_app.oidc


Provider = Annotated[SingleSignOn, Depends(get_provider)]


@router.get(
    "/login",
    response_class=RedirectResponse,
    status_code=status.HTTP_302_FOUND,
    responses=NOT_CONFIGURED | UNAVAILABLE,
)
async def oidc_login(provider: Provider, request: Request) -> Response:
    """Send the browser to the provider's sign-in, with a fresh state, nonce and PKCE
    challenge; what the callback needs of them stays in a short-lived cookie."""
    try:
        start = await provider.begin(str(request.url_for("oidc_callback")))
    except ProviderUnavailable as error:
        raise HTTPException(status.HTTP_502_BAD_GATEWAY, str(error)) from error
    response = RedirectResponse(start.authorization_url, status.HTTP_302_FOUND)
    response.set_cookie(
        PENDING_COOKIE,
        start.pending,
        max_age=int(PENDING_FOR.total_seconds()),
        path=router.prefix,
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
    )
    return response


@router.get(
    "/callback",
    response_class=RedirectResponse,
    status_code=status.HTTP_303_SEE_OTHER,
    responses={status.HTTP_400_BAD_REQUEST: {"description": "The sign-in failed"}}
    | NOT_CONFIGURED
    | UNAVAILABLE,
)
async def oidc_callback(provider: Provider, accounts: Accounts, request: Request) -> Response:
    """Where the provider sends the browser back: check its answer against the sign-in this
    browser began, sign in the user linked to the provider's account (made on first sign-in)
    and go on to the app. Whatever the outcome, the sign-in in progress is over."""
    response: Response
    try:
        identity = await provider.finish(request.cookies.get(PENDING_COOKIE), request.query_params)
    except SignInRefused as error:
        response = JSONResponse(
            {"detail": f"single sign-on failed: {error}"}, status.HTTP_400_BAD_REQUEST
        )
    except ProviderUnavailable as error:
        response = JSONResponse({"detail": str(error)}, status.HTTP_502_BAD_GATEWAY)
    else:
        user = await accounts.sign_in_external(
            identity.issuer, identity.subject, identity.username, identity.display_name
        )
        response = RedirectResponse("/", status.HTTP_303_SEE_OTHER)
        set_session_cookie(request, response, await accounts.open_session(user.id))
    response.delete_cookie(PENDING_COOKIE, path=router.prefix, httponly=True, samesite="lax")
    return response
