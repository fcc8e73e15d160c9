"""Fixtures of the deploy tier: the rendered overlays, one test per overlay."""

import pytest

from tests.deploy.manifests import OVERLAYS, Obj, render


@pytest.fixture(scope="session", params=OVERLAYS)
def overlay(request: pytest.FixtureRequest) -> str:
    """Each overlay users apply: `local` (Minikube) and `cloud` (OKE)."""
    return str(request.param)


@pytest.fixture(scope="session")
def objects(overlay: str) -> tuple[Obj, ...]:
    """What `kubectl apply -k k8s/overlays/<overlay>` would create."""
    return render(overlay)
