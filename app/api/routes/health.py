"""/health, /health/live, /health/ready."""

from fastapi import APIRouter, Response, status

from app.api.deps import RuntimeDep
from app.api.responses import UNHEALTHY
from app.api.schemas import Health

router = APIRouter(prefix="/health", tags=["health"])


async def _checks(runtime: RuntimeDep) -> dict[str, str]:
    try:
        await runtime.sql.ping()
        database = "ok"
    except Exception as error:
        database = f"failing: {type(error).__name__}"
    return {"database": database, "outbox_backlog": str(await _backlog(runtime))}


async def _backlog(runtime: RuntimeDep) -> int | str:
    try:
        return await runtime.relay.backlog()
    except Exception:
        return "unknown"


@router.get("", response_model=Health, responses=UNHEALTHY)
async def health(runtime: RuntimeDep, response: Response) -> Health:
    checks = await _checks(runtime)
    healthy = checks["database"] == "ok"
    response.status_code = status.HTTP_200_OK if healthy else status.HTTP_503_SERVICE_UNAVAILABLE
    return Health(
        status="healthy" if healthy else "unhealthy",
        runtime=runtime.settings.runtime,
        checks=checks,
    )


@router.get("/live", response_model=Health)
async def live(runtime: RuntimeDep) -> Health:
    return Health(status="alive", runtime=runtime.settings.runtime, checks={})


@router.get("/ready", response_model=Health, responses=UNHEALTHY)
async def ready(runtime: RuntimeDep, response: Response) -> Health:
    return await health(runtime, response)
