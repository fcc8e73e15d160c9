"""The board's view in the URL, and how the UI words times."""

from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qsl

import pytest

from app.domain.enums import Priority, TaskStatus
from app.domain.queries import SortField, SortOrder
from app.ui.format import relative_due, wall_clock
from app.ui.state.view import PAGE_SIZE, View

NOW = datetime(2026, 3, 9, 12, 0, tzinfo=UTC)


def test_the_default_view_is_plain_slash() -> None:
    assert View().query_string() == ""
    assert View.from_query({}) == View()


def test_a_view_survives_the_round_trip_through_its_url() -> None:
    view = View(
        status="all",
        priority="high",
        tags="home, work",
        due_from="2026-03-01",
        due_to="2026-03-31",
        search="rent & bills",
        sort_by="title",
        order="desc",
        page=3,
    )
    assert View.from_query(dict(parse_qsl(view.query_string()))) == view


def test_nonsense_in_the_url_falls_back_to_the_default() -> None:
    view = View.from_query(
        {
            "status": "done",
            "priority": "urgent",
            "tags": "ok, !bad",
            "due_from": "yesterday",
            "sort_by": "colour",
            "order": "sideways",
            "page": "-2",
        }
    )
    assert view == View(tags="ok")


def test_the_view_asks_for_one_page_in_whole_local_days() -> None:
    query = View(
        status="completed",
        priority="low",
        tags="Home",
        due_from="2026-03-01",
        due_to="2026-03-01",
        search="  milk ",
        sort_by="priority",
        order="asc",
        page=4,
    ).task_query("Europe/Berlin")
    assert query.status == TaskStatus.COMPLETED
    assert query.priority == Priority.LOW
    assert query.tags == ("home",)
    assert query.text == "milk"
    assert (query.sort_by, query.order) == (SortField.PRIORITY, SortOrder.ASC)
    assert (query.limit, query.offset) == (PAGE_SIZE, 3 * PAGE_SIZE)
    assert query.due_after is not None and query.due_before is not None
    # Midnight to midnight in Berlin (UTC+1 in March before the change).
    assert query.due_after.astimezone(UTC) < datetime(2026, 2, 28, 23, 0, tzinfo=UTC)
    assert query.due_before.astimezone(UTC) == datetime(2026, 3, 1, 23, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("offset", "text"),
    [
        (timedelta(seconds=20), "due now"),
        (timedelta(minutes=50), "in 50 min"),
        (timedelta(hours=1, minutes=55), "in 2 h"),
        (timedelta(days=3), "in 3 d"),
        (timedelta(days=12), "in 12 d"),
        (timedelta(days=21), "in 3 w"),
        (timedelta(days=400), "in 1 y"),
        (-timedelta(days=1, hours=2), "overdue 1 d"),
        (-timedelta(minutes=5), "overdue 5 min"),
    ],
)
def test_due_dates_read_relative_to_now(offset: timedelta, text: str) -> None:
    assert relative_due(NOW + offset, NOW) == text


def test_exact_times_are_on_the_task_s_own_wall_clock() -> None:
    assert wall_clock(NOW, "America/New_York") == "Mon 9 Mar 2026, 08:00"
