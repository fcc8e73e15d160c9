"""The settings page's quiet hours and digest: the user's time zone, the hours in which their
reminders wait, and the time of their daily digest; each field checked as the API checks it,
its refusal shown beside it."""

from collections.abc import Callable
from datetime import time
from typing import Any, TypeVar

import reflex as rx
from reflex.event import EventSpec

from app.domain.preferences import Preferences, clock_time, quiet_hours, time_zone
from app.ui.state.event import event
from app.ui.state.session import owner_of
from app.web import current_app

FIELDS = ("time_zone", "quiet_from", "quiet_to", "digest_at")
Value = TypeVar("Value")


class PreferencesState(rx.State):
    time_zone: rx.Field[str] = rx.field("")
    quiet_from: rx.Field[str] = rx.field("")
    quiet_to: rx.Field[str] = rx.field("")
    digest_at: rx.Field[str] = rx.field("")
    # The install's zone, which counts while the user chose none.
    default_zone: rx.Field[str] = rx.field("")
    time_zone_error: rx.Field[str] = rx.field("")
    quiet_from_error: rx.Field[str] = rx.field("")
    quiet_to_error: rx.Field[str] = rx.field("")
    digest_at_error: rx.Field[str] = rx.field("")

    @event
    async def load(self) -> None:
        preferences = current_app().runtime.preferences
        self.default_zone = preferences.default_timezone
        self._show(await preferences.get(await owner_of(self)))
        self._refuse({})

    @event
    def change(self, field: str, value: str) -> None:
        if field in FIELDS:
            setattr(self, field, value)
            setattr(self, f"{field}_error", "")

    @event
    async def save(self, form: dict[str, Any]) -> EventSpec | None:
        for field in FIELDS:
            setattr(self, field, str(form.get(field, "")))
        errors: dict[str, str] = {}
        zone = self._checked("time_zone", time_zone, errors)
        start = self._checked("quiet_from", clock_time, errors)
        end = self._checked("quiet_to", clock_time, errors)
        digest = self._checked("digest_at", clock_time, errors)
        if not {"quiet_from", "quiet_to"} & set(errors):
            try:
                quiet_hours(start, end)
            except ValueError as refused:
                errors["quiet_to" if start is not None else "quiet_from"] = _sentence(refused)
        self._refuse(errors)
        if errors:
            return None
        chosen = Preferences(time_zone=zone, quiet_from=start, quiet_to=end, digest_at=digest)
        self._show(await current_app().runtime.preferences.save(await owner_of(self), chosen))
        return rx.toast.success("Quiet hours and digest saved")

    def _checked(
        self, field: str, check: Callable[[str], Value], errors: dict[str, str]
    ) -> Value | None:
        """The field's value checked; None when it is empty or refused (saying why)."""
        text = str(getattr(self, field)).strip()
        if not text:
            return None
        try:
            return check(text)
        except ValueError as refused:
            errors[field] = _sentence(refused)
            return None

    def _refuse(self, errors: dict[str, str]) -> None:
        for field in FIELDS:
            setattr(self, f"{field}_error", errors.get(field, ""))

    def _show(self, preferences: Preferences) -> None:
        self.time_zone = preferences.time_zone or ""
        self.quiet_from = _text(preferences.quiet_from)
        self.quiet_to = _text(preferences.quiet_to)
        self.digest_at = _text(preferences.digest_at)


def _text(value: time | None) -> str:
    return "" if value is None else f"{value:%H:%M}"


def _sentence(refused: ValueError) -> str:
    message = str(refused)
    return f"{message[0].upper()}{message[1:]}."
