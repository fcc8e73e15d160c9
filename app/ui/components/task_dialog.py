"""The create/edit dialog with every field of a task."""

from zoneinfo import available_timezones

import reflex as rx

from app.domain.task_fields import DESCRIPTION_MAX, MAX_OFFSET_TEXT, MAX_RULE_LENGTH, TITLE_MAX
from app.ui.state.editor import EditorState

ZONES_LIST_ID = "timezones"
ZONES = sorted(zone for zone in available_timezones() if "/" in zone or zone == "UTC")


def field(label: str, control: rx.Component, hint: str = "") -> rx.Component:
    control.style["width"] = "100%"
    return rx.vstack(
        rx.text(label, size="2", weight="medium", as_="div"),
        control,
        rx.text(hint, size="1", color=rx.color("gray", 10)) if hint else rx.fragment(),
        spacing="1",
        width="100%",
    )


def pair(left: rx.Component, right: rx.Component) -> rx.Component:
    """Two fields side by side, stacked on a phone."""
    return rx.grid(
        left, right, columns=rx.breakpoints(initial="1", sm="2"), spacing="3", width="100%"
    )


def choice(
    label: str, name: str, items: list[tuple[str, str]], value: rx.Var[str], on_change: object
) -> rx.Component:
    return field(
        label,
        rx.select.root(
            rx.select.trigger(aria_label=label, width="100%"),
            rx.select.content(*[rx.select.item(text, value=key) for key, text in items]),
            name=name,
            value=value,
            on_change=on_change,
        ),
    )


def series_preview() -> rx.Component:
    return rx.cond(
        EditorState.rule_problem != "",
        rx.text(EditorState.rule_problem, size="1", color=rx.color("red", 11), role="alert"),
        rx.cond(
            EditorState.next_dates.length() > 0,
            rx.box(
                rx.text("Next dates", size="1", weight="medium", color=rx.color("gray", 11)),
                rx.el.ol(
                    rx.foreach(
                        EditorState.next_dates,
                        lambda day: rx.el.li(rx.text(day, size="2")),
                    ),
                    padding_left="1.25em",
                    margin="0",
                ),
                aria_label="Next dates of the series",
                padding="0.5em 0.75em",
                border_radius="var(--radius-2)",
                background=rx.color("gray", 2),
                width="100%",
            ),
        ),
    )


REPEATS = [
    ("none", "Does not repeat"),
    ("daily", "Daily"),
    ("weekly", "Weekly"),
    ("monthly", "Monthly"),
    ("custom", "Custom rule (RRULE)"),
]


def repeat_from() -> rx.Component:
    return field(
        "Next one counts from",
        rx.radio_group.root(
            rx.hstack(
                rx.text(rx.radio_group.item(value="due"), " due date", as_="label", size="2"),
                rx.text(
                    rx.radio_group.item(value="completion"), " completion", as_="label", size="2"
                ),
                spacing="4",
                padding_top="0.4em",
            ),
            name="repeat_from",
            value=EditorState.repeat_from,
            on_change=EditorState.set_repeat_from,
            aria_label="Repeat from",
        ),
    )


def recurrence_fields() -> rx.Component:
    return rx.vstack(
        pair(
            choice(
                "Repeat",
                "recurrence",
                REPEATS,
                EditorState.recurrence,
                EditorState.set_recurrence,
            ),
            rx.cond(EditorState.recurrence != "none", repeat_from()),
        ),
        rx.cond(
            EditorState.recurrence == "custom",
            field(
                "Rule",
                rx.input(
                    name="rrule",
                    value=EditorState.rrule,
                    on_change=EditorState.set_rrule,
                    placeholder="FREQ=WEEKLY;BYDAY=MO,WE,FR",
                    aria_label="Recurrence rule",
                    width="100%",
                    max_length=MAX_RULE_LENGTH,
                    font_family="monospace",
                ),
                "An RFC 5545 rule, e.g. FREQ=MONTHLY;BYDAY=-1FR (last Friday of the month).",
            ),
        ),
        series_preview(),
        spacing="3",
        width="100%",
    )


def task_form() -> rx.Component:
    return rx.form(
        rx.vstack(
            field(
                "Title",
                rx.input(
                    name="title",
                    default_value=EditorState.title,
                    placeholder="What needs doing?",
                    aria_label="Title",
                    max_length=TITLE_MAX,
                    auto_focus=True,
                    auto_complete="off",
                ),
            ),
            field(
                "Description",
                rx.text_area(
                    name="description",
                    default_value=EditorState.description,
                    aria_label="Description",
                    max_length=DESCRIPTION_MAX,
                    rows="2",
                    resize="vertical",
                ),
            ),
            pair(
                field(
                    "Due",
                    rx.input(
                        type="datetime-local",
                        name="due",
                        value=EditorState.due,
                        on_change=EditorState.set_due,
                        aria_label="Due date and time",
                        width="100%",
                    ),
                ),
                field(
                    "Time zone",
                    rx.input(
                        name="timezone",
                        value=EditorState.timezone,
                        on_change=EditorState.set_timezone,
                        list=ZONES_LIST_ID,
                        aria_label="Time zone",
                        width="100%",
                        auto_complete="off",
                    ),
                ),
            ),
            pair(
                choice(
                    "Priority",
                    "priority",
                    [("high", "High"), ("medium", "Medium"), ("low", "Low")],
                    EditorState.priority,
                    EditorState.set_priority,
                ),
                field(
                    "Tags",
                    rx.input(
                        name="tags",
                        default_value=EditorState.tags,
                        placeholder="home, errands",
                        aria_label="Tags",
                        auto_complete="off",
                    ),
                ),
            ),
            recurrence_fields(),
            field(
                "Reminder",
                rx.input(
                    name="reminder_offset",
                    default_value=EditorState.reminder_offset,
                    placeholder="e.g. 30 minutes, 1 hour, 1 day; empty for none",
                    aria_label="Reminder before due",
                    max_length=MAX_OFFSET_TEXT,
                    auto_complete="off",
                ),
                "How long before the due date to remind you.",
            ),
            rx.cond(
                EditorState.error != "",
                rx.callout.root(
                    rx.callout.icon(rx.icon("triangle-alert")),
                    rx.callout.text(EditorState.error),
                    color_scheme="red",
                    role="alert",
                    width="100%",
                ),
            ),
            rx.hstack(
                rx.dialog.close(rx.button("Cancel", variant="soft", color_scheme="gray")),
                rx.button("Save", type="submit"),
                justify="end",
                width="100%",
            ),
            spacing="3",
        ),
        on_submit=EditorState.save,
        reset_on_submit=False,
    )


def task_dialog() -> rx.Component:
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title(EditorState.heading),
            rx.dialog.description(
                "Only the title is needed.",
                size="2",
                color=rx.color("gray", 11),
                margin_bottom="1em",
            ),
            task_form(),
            rx.el.datalist(*[rx.el.option(value=zone) for zone in ZONES], id=ZONES_LIST_ID),
            max_width="560px",
        ),
        open=EditorState.open,
        on_open_change=EditorState.set_open,
    )
