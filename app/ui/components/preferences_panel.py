"""The settings page's quiet hours and digest: the time zone, from and to, the digest's time,
and Save; a refused field says why beside it."""

import reflex as rx

from app.domain.task_fields import TIMEZONE_MAX
from app.ui.components.settings_panels import inline_form, labelled, muted, panel
from app.ui.state.preferences import PreferencesState


def _field(label: str, field: str, **props: object) -> rx.Component:
    """An input of the PreferencesState field `field`, its refusal under it."""
    id_ = f"preferences-{field.replace('_', '-')}"
    value = getattr(PreferencesState, field)
    error = getattr(PreferencesState, f"{field}_error")
    return rx.vstack(
        labelled(
            label,
            rx.input(
                id=id_,
                name=field,
                value=value,
                on_change=lambda text: PreferencesState.change(field, text),
                aria_invalid=error != "",
                aria_describedby=f"{id_}-error",
                **props,
            ),
            id_,
        ),
        rx.cond(
            error != "",
            rx.text(error, id=f"{id_}-error", size="1", color=rx.color("red", 11), role="alert"),
        ),
        spacing="1",
    )


def preferences_panel() -> rx.Component:
    return panel(
        "Quiet hours and digest",
        muted(
            "Reminders that fire in your quiet hours wait until they end. The daily digest "
            "lists what is overdue and what is due today. Times are on your zone's clock."
        ),
        inline_form(
            "Save",
            PreferencesState.save,
            _field(
                "Time zone",
                "time_zone",
                placeholder=PreferencesState.default_zone,
                max_length=TIMEZONE_MAX,
                width="16em",
            ),
            _field("Quiet from", "quiet_from", type="time"),
            _field("Quiet until", "quiet_to", type="time"),
            _field("Daily digest at", "digest_at", type="time"),
        ),
    )
