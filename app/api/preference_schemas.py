"""Request and response body of /api/me/preferences: each field checked by app.domain.preferences,
so the API refuses what the settings page refuses, with the same message."""

from datetime import time
from typing import Annotated, Any

from pydantic import (
    BeforeValidator,
    Field,
    PlainSerializer,
    ValidationInfo,
    WithJsonSchema,
    field_validator,
)
from pydantic_core import PydanticCustomError

from app import task_types as types
from app.api.schemas import Strict, Zone
from app.domain.preferences import CLOCK_TIME_TEXT, Preferences, clock_time, quiet_hours


def _clock_text(value: Any) -> time:
    if isinstance(value, time):
        return value
    if not isinstance(value, str):
        raise PydanticCustomError("value_error", "a time of day is text: HH:MM, like 07:30")
    try:
        return clock_time(value)
    except ValueError as error:
        raise types.refusal(error) from None


ClockTime = Annotated[
    time,
    BeforeValidator(_clock_text),
    PlainSerializer(lambda value: f"{value:%H:%M}", return_type=str, when_used="json"),
    WithJsonSchema({"type": "string", "pattern": CLOCK_TIME_TEXT, "examples": ["07:30"]}),
]


class PreferencesBody(Strict):
    """The whole of a user's settings: a field left out is cleared."""

    time_zone: Zone | None = Field(
        None, description="An IANA zone, like Europe/Berlin; null: the server's zone."
    )
    quiet_from: ClockTime | None = Field(
        None, description="Reminders that fire from this time (HH:MM, local)..."
    )
    quiet_to: ClockTime | None = Field(
        None,
        description="...until this one wait until it comes; may cross midnight.",
        validate_default=True,
    )
    digest_at: ClockTime | None = Field(
        None, description="When the daily digest of what is overdue and due today is sent."
    )

    @field_validator("quiet_to")
    @classmethod
    def _whole_quiet_hours(cls, end: time | None, info: ValidationInfo) -> time | None:
        if "quiet_from" in info.data:  # else it failed its own check
            try:
                quiet_hours(info.data["quiet_from"], end)
            except ValueError as error:
                raise types.refusal(error) from None
        return end

    @classmethod
    def of(cls, preferences: Preferences) -> "PreferencesBody":
        return cls(**preferences.model_dump())

    def preferences(self) -> Preferences:
        return Preferences(**self.model_dump())
