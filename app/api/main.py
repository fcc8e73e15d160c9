"""The FastAPI application that Reflex mounts through api_transformer."""

import json
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import APIRouter, Depends, FastAPI, Request, Response, status
from fastapi.encoders import jsonable_encoder
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException
from starlette.routing import Match, Route

from app.api.deps import admin_user, signed_in
from app.api.responses import FORBIDDEN, UNAUTHENTICATED
from app.api.routes import (
    actions,
    audit,
    auth,
    channels,
    chat,
    dead_letters,
    health,
    oidc,
    preferences,
    push_renewals,
    reminders,
    tasks,
    tokens,
    users,
)
from app.api.schemas import LIST_QUERY_PARAMETERS
from app.api.security import DOCS_URL, BrowserSafety
from app.callbacks import callbacks_router
from app.config import Settings
from app.ports import StoreUnavailable
from app.services.accounts import Forbidden, Throttled, WrongCredentials
from app.services.errors import Conflict, Invalid, NotFound
from app.web import WebApp, web_app

# Seconds a client should wait before retrying while the database is unavailable.
STORE_RETRY_AFTER_SECONDS = 5

log = logging.getLogger(__name__)


class AsciiJSONResponse(JSONResponse):
    """JSON with non-ASCII escaped, so echoing malformed input (lone surrogates) cannot fail."""

    def render(self, content: Any) -> bytes:
        return json.dumps(content, ensure_ascii=True, separators=(",", ":")).encode("ascii")


def create_api(app: WebApp) -> FastAPI:
    """The API of `app`. Served alone, it runs the app itself; under Reflex, the Reflex app
    runs `running(web_app)` as a lifespan task instead."""

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        async with running(app):
            yield

    api = FastAPI(
        title="TaskFlow",
        version="0.1.0",
        docs_url=DOCS_URL,
        redoc_url=None,
        openapi_url="/api/openapi.json",
        lifespan=lifespan,
        dependencies=[Depends(_one_value_each)],
    )
    api.state.web_app = app
    # User data: someone signed in, allowed to write when the method writes.
    private = [
        module.router
        for module in (
            tasks,
            reminders,
            audit,
            dead_letters,
            chat,
            users,
            tokens,
            channels,
            preferences,
        )
    ]
    # Open: signing in, and health (which carries no user data); a notification's link is its
    # own credential, and so is a renewed push subscription's old one. The Dapr callbacks check
    # the app's own token.
    public = [auth.router, oidc.router, health.router, actions.router, push_renewals.router]
    runtime = app.runtime
    if not runtime.embedded:
        public.append(
            callbacks_router(
                runtime.settings.app_api_token,
                runtime.dispatcher,
                dead_letter_keeper=runtime.dead_letters,
                create_successor=runtime.tasks.create_successor,
            )
        )
    for router in private:
        needs = [Depends(signed_in)]
        if router is dead_letters.router:
            # Set-aside events of every user: the install's operators only.
            needs.append(Depends(admin_user))
        api.include_router(router, dependencies=needs, responses=UNAUTHENTICATED | FORBIDDEN)
    for router in public:
        api.include_router(router)
    routers = private + public
    # Its session manager runs inside running(app), under uvicorn and under Reflex alike.
    api.router.routes.append(Route("/mcp", app.mcp, include_in_schema=False))

    @api.exception_handler(HTTPException)
    async def http_error(request: Request, error: HTTPException) -> Response:
        if error.status_code == status.HTTP_405_METHOD_NOT_ALLOWED:
            # Starlette names only the methods of the first route on the path; name them all.
            error.headers = {"Allow": ", ".join(sorted(_methods_at(routers, request)))}
        return await http_exception_handler(request, error)

    @api.exception_handler(RequestValidationError)
    async def unprocessable(_: Request, error: RequestValidationError) -> AsciiJSONResponse:
        return AsciiJSONResponse({"detail": jsonable_encoder(error.errors())}, status_code=422)

    @api.exception_handler(NotFound)
    async def not_found(_: Request, error: NotFound) -> JSONResponse:
        return JSONResponse({"detail": str(error)}, status_code=404)

    @api.exception_handler(Conflict)
    async def conflict(_: Request, error: Conflict) -> JSONResponse:
        return JSONResponse({"detail": str(error)}, status_code=409)

    @api.exception_handler(WrongCredentials)
    async def wrong_credentials(_: Request, error: WrongCredentials) -> JSONResponse:
        return JSONResponse(
            {"detail": str(error)}, status_code=401, headers={"WWW-Authenticate": "Bearer"}
        )

    @api.exception_handler(Forbidden)
    async def forbidden(_: Request, error: Forbidden) -> JSONResponse:
        return JSONResponse({"detail": str(error)}, status_code=403)

    @api.exception_handler(Throttled)
    async def throttled(_: Request, error: Throttled) -> JSONResponse:
        return JSONResponse(
            {"detail": str(error)},
            status_code=429,
            headers={"Retry-After": str(error.retry_after)},
        )

    @api.exception_handler(StoreUnavailable)
    async def store_unavailable(request: Request, error: StoreUnavailable) -> JSONResponse:
        log.warning("%s %s: %s", request.method, request.url.path, error)
        return JSONResponse(
            {"detail": "the database is unavailable; try again shortly"},
            status_code=503,
            headers={"Retry-After": str(STORE_RETRY_AFTER_SECONDS)},
        )

    @api.exception_handler(Invalid)
    async def invalid(_: Request, error: Invalid) -> JSONResponse:
        location = ["body", *error.field.split(".")]
        detail = [{"loc": location, "msg": str(error), "type": "value_error"}]
        return JSONResponse({"detail": detail}, status_code=422)

    return api


async def _one_value_each(request: Request) -> None:
    """Refuse a query parameter given twice unless it is a list: keeping only the last value
    would answer another question than the one asked."""
    names = [name for name, _ in request.query_params.multi_items()]
    repeated = sorted({name for name in names if names.count(name) > 1} - LIST_QUERY_PARAMETERS)
    if repeated:
        raise RequestValidationError(
            [{"loc": ("query", repeated[0]), "msg": "given more than once", "type": "value_error"}]
        )


def _methods_at(routers: list[APIRouter], request: Request) -> set[str]:
    return {
        method
        for router in routers
        for route in router.routes
        if isinstance(route, Route)
        and route.methods
        and route.matches(request.scope)[0] is not Match.NONE
        for method in route.methods
    }


@asynccontextmanager
async def running(web_app: WebApp) -> AsyncIterator[None]:
    """The runtime's background work, and the MCP endpoint's session manager. (Not named
    `app`: Reflex passes itself to a lifespan task with a parameter of that name.)"""
    async with web_app.runtime.running(), web_app.mcp.running(), web_app.admin_ensured():
        yield


def served_api(app: WebApp) -> FastAPI:
    """The API of `app` served alone, with its browser safety (under Reflex, that layer wraps
    the whole Reflex app instead)."""
    api = create_api(app)
    api.add_middleware(BrowserSafety, settings=app.runtime.settings)
    return api


def api_from_env() -> FastAPI:
    """Factory for serving the API alone (`uvicorn --factory app.api.main:api_from_env`)."""
    return served_api(web_app(Settings.at_start_up()))
