"""/health, /health/live, /health/ready."""

from fastapi import APIRouter, Response, status

from app.api.deps import RuntimeDep
from app.api.responses import UNHEALTHY
from app.api.schemas import Health
from app.services.health import Status

router = APIRouter(prefix="/health", tags=["health"])


@router.get("", response_model=Health, responses=UNHEALTHY)
async def health(runtime: RuntimeDep, response: Response) -> Health:
    """`healthy`; `degraded` (still 200: writes are accepted) while events wait too long or
    cannot be published, the cause named in `checks`; `unhealthy` (503) without a database."""
    report = await runtime.health.report()
    if report.status == Status.UNHEALTHY:
        response.status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    return Health(status=report.status, runtime=runtime.settings.runtime, checks=report.checks)


@router.get("/live", response_model=Health)
async def live(runtime: RuntimeDep) -> Health:
    return Health(status="alive", runtime=runtime.settings.runtime, checks={})


@router.get("/ready", response_model=Health, responses=UNHEALTHY)
async def ready(runtime: RuntimeDep, response: Response) -> Health:
    """Ready while writes are accepted, degraded or not."""
    return await health(runtime, response)
