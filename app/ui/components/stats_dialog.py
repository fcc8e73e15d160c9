"""The stats view, drawn with Recharts."""

import reflex as rx

from app.ui.components.view_dialog import view_dialog
from app.ui.state.stats import StatsState

CHART_HEIGHT = 220


def figure(label: str, value: rx.Var[int], color: str) -> rx.Component:
    return rx.card(
        rx.text(label, size="1", color=rx.color("gray", 11)),
        rx.heading(value, size="7", color=rx.color(color, 11)),
        aria_label=label,
        flex="1",
        min_width="8em",
    )


def daily_chart() -> rx.Component:
    return rx.recharts.composed_chart(
        rx.recharts.cartesian_grid(stroke_dasharray="3 3", vertical=False),
        rx.recharts.x_axis(data_key="day", interval="preserveStartEnd", font_size=11),
        rx.recharts.y_axis(allow_decimals=False, width=36, font_size=11),
        rx.recharts.tooltip(),
        rx.recharts.legend(),
        rx.recharts.bar(data_key="completed", name="Completed", fill="var(--green-9)"),
        rx.recharts.line(
            data_key="open", name="Open", stroke="var(--accent-9)", dot=False, stroke_width=2
        ),
        data=StatsState.days,
        height=CHART_HEIGHT,
        width="100%",
    )


def priority_chart() -> rx.Component:
    return rx.recharts.pie_chart(
        rx.recharts.pie(
            data=StatsState.priorities,
            data_key="value",
            name_key="name",
            inner_radius="45%",
            label=True,
            is_animation_active=False,
        ),
        rx.recharts.tooltip(),
        rx.recharts.legend(),
        height=CHART_HEIGHT,
        width="100%",
    )


def tag_chart() -> rx.Component:
    return rx.cond(
        StatsState.tags.length() > 0,
        rx.recharts.bar_chart(
            rx.recharts.x_axis(type_="number", allow_decimals=False, font_size=11),
            rx.recharts.y_axis(data_key="name", type_="category", width=90, font_size=11),
            rx.recharts.tooltip(),
            rx.recharts.bar(data_key="value", name="Open tasks", fill="var(--indigo-9)"),
            data=StatsState.tags,
            layout="vertical",
            height=CHART_HEIGHT,
            width="100%",
        ),
        rx.center(rx.text("No tags on open tasks.", size="2"), height=f"{CHART_HEIGHT}px"),
    )


def section(title: str, chart: rx.Component) -> rx.Component:
    return rx.vstack(
        rx.heading(title, size="3", as_="h3"), chart, width="100%", min_width="0", spacing="1"
    )


def stats_body() -> rx.Component:
    return rx.vstack(
        rx.flex(
            figure("Open", StatsState.open_count, "blue"),
            figure("Overdue", StatsState.overdue, "red"),
            figure("Completed in 30 days", StatsState.completed_30d, "green"),
            spacing="3",
            wrap="wrap",
            width="100%",
        ),
        section("Open and completed, last 30 days", daily_chart()),
        rx.grid(
            section("Open tasks by priority", priority_chart()),
            section("Open tasks by tag", tag_chart()),
            columns=rx.breakpoints(initial="1", sm="2"),
            spacing="4",
            width="100%",
        ),
        spacing="4",
        width="100%",
    )


def stats_dialog() -> rx.Component:
    return view_dialog(
        rx.dialog.title("Stats"),
        error=StatsState.error,
        body=rx.cond(
            StatsState.loading,
            rx.center(rx.spinner(size="3"), height="20em"),
            stats_body(),
        ),
        is_open=StatsState.open,
        on_open_change=StatsState.set_open,
        max_width="820px",
    )
