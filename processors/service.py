"""Each processor as its own ASGI service behind its own Dapr sidecar."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Response, status

from app.bootstrap import bootstrap
from app.callbacks import callbacks_router
from app.config import Settings
from app.routing import Role

NAMES: tuple[Role, ...] = ("recurrence", "reminders", "audit", "notifier")


def create_processor_app(name: Role, settings: Settings) -> FastAPI:
    if name not in NAMES:
        raise ValueError(f"no processor named {name!r}; choose one of {', '.join(NAMES)}")
    runtime = bootstrap(settings, name)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        async with runtime.running():
            yield

    service = FastAPI(title=f"TaskFlow {name} processor", lifespan=lifespan)
    service.include_router(
        callbacks_router(settings.app_api_token, runtime.dispatcher, runtime.on_job)
    )

    @service.get("/health/live")
    async def live() -> dict[str, str]:
        return {"status": "alive", "processor": name}

    @service.get("/health/ready")
    async def is_ready(response: Response) -> dict[str, str]:
        try:
            await runtime.ready()
        except Exception as error:
            response.status_code = status.HTTP_503_SERVICE_UNAVAILABLE
            return {"status": "unhealthy", "processor": name, "error": type(error).__name__}
        return {"status": "healthy", "processor": name}

    return service
