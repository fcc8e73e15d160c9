"""The FastAPI application that Reflex mounts through api_transformer."""

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.routing import Route

from app.api.routes import audit, chat, dead_letters, health, reminders, tasks
from app.api.routes.dapr import callbacks_router, invocation_router
from app.config import Settings
from app.runtime import Runtime, build_runtime
from app.services.errors import Conflict, Invalid, NotFound


class AsciiJSONResponse(JSONResponse):
    """JSON with non-ASCII escaped, so echoing malformed input (lone surrogates) cannot fail."""

    def render(self, content: Any) -> bytes:
        return json.dumps(content, ensure_ascii=True, separators=(",", ":")).encode("ascii")


def create_api(runtime: Runtime) -> FastAPI:
    """The API over `runtime`. Served alone, it starts the runtime itself; under Reflex,
    the Reflex app runs `runtime.running` as a lifespan task instead."""

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        async with runtime.running():
            yield

    api = FastAPI(
        title="TaskFlow",
        version="0.1.0",
        docs_url="/api/docs",
        redoc_url=None,
        openapi_url="/api/openapi.json",
        lifespan=lifespan,
    )
    api.state.runtime = runtime
    for module in (tasks, reminders, audit, dead_letters, health, chat):
        api.include_router(module.router)
    if runtime.sidecar is not None:
        api.include_router(
            callbacks_router(
                runtime.subscriptions, on_dead_letter=runtime.dead_letters.record_delivery
            )
        )
        api.include_router(invocation_router)
    # Its session manager runs inside runtime.running(), under uvicorn and under Reflex alike.
    api.router.routes.append(Route("/mcp", runtime.mcp.asgi, include_in_schema=False))

    @api.exception_handler(RequestValidationError)
    async def unprocessable(_: Request, error: RequestValidationError) -> AsciiJSONResponse:
        return AsciiJSONResponse({"detail": jsonable_encoder(error.errors())}, status_code=422)

    @api.exception_handler(NotFound)
    async def not_found(_: Request, error: NotFound) -> JSONResponse:
        return JSONResponse({"detail": str(error)}, status_code=404)

    @api.exception_handler(Conflict)
    async def conflict(_: Request, error: Conflict) -> JSONResponse:
        return JSONResponse({"detail": str(error)}, status_code=409)

    @api.exception_handler(Invalid)
    async def invalid(_: Request, error: Invalid) -> JSONResponse:
        detail = [{"loc": ["body", error.field], "msg": str(error), "type": "value_error"}]
        return JSONResponse({"detail": detail}, status_code=422)

    return api


def api_from_env() -> FastAPI:
    """Factory for serving the API alone (`uvicorn --factory app.api.main:api_from_env`)."""
    return create_api(build_runtime(Settings.from_env()))
