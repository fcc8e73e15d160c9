"""The hosts and origins /mcp answers, from the settings (TASKFLOW_ALLOWED_HOSTS, PORT,
TASKFLOW_ALLOWED_ORIGINS)."""

import pytest

from app.chat.mcp_server import transport_security
from app.config import Settings


def _settings(**given: object) -> Settings:
    return Settings(runtime="local", database_url="sqlite://", timezone="UTC", **given)  # type: ignore[arg-type]


def test_loopback_names_on_the_apps_port_and_the_configured_hosts_are_served() -> None:
    security = transport_security(
        _settings(
            port=8080,
            allowed_hosts=("todo.example.com", "192.168.1.20:3000"),
            allowed_origins=("https://Planner.example.com/",),
        )
    )

    assert security.enable_dns_rebinding_protection
    assert security.allowed_hosts == [
        "127.0.0.1",
        "localhost",
        "[::1]",
        "127.0.0.1:8080",
        "localhost:8080",
        "[::1]:8080",
        "todo.example.com",
        "192.168.1.20:3000",
    ]
    assert set(security.allowed_origins) == {
        f"{scheme}://{host}" for scheme in ("http", "https") for host in security.allowed_hosts
    } | {"https://planner.example.com"}


def test_by_default_only_loopback_on_port_3000_or_behind_a_proxy() -> None:
    security = transport_security(_settings())

    assert set(security.allowed_hosts) == {
        f"{name}{port}" for name in ("127.0.0.1", "localhost", "[::1]") for port in ("", ":3000")
    }
    assert "http://localhost:3000" in security.allowed_origins
    assert "https://localhost" in security.allowed_origins


@pytest.mark.parametrize(
    "host", ["https://todo.example.com", "todo.example.com/mcp", "todo example", "-x.example", "*"]
)
def test_an_allowed_host_is_a_host_header_value(host: str) -> None:
    with pytest.raises(ValueError, match="TASKFLOW_ALLOWED_HOSTS"):
        _settings(allowed_hosts=(host,))


def test_allowed_hosts_and_port_are_read_from_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("TASKFLOW_ALLOWED_HOSTS", " Todo.Example.com , [::1]:8443,")
    monkeypatch.setenv("PORT", "3100")

    settings = Settings.from_env()

    assert settings.allowed_hosts == ("todo.example.com", "[::1]:8443")
    assert settings.port == 3100
