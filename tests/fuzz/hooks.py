"""Schemathesis hooks of the fuzz tier (loaded through SCHEMATHESIS_HOOKS): valid values for the
text formats the OpenAPI document declares but no JSON Schema keyword can describe."""

from hypothesis import strategies as st
from schemathesis import openapi

_RULES = st.sampled_from(
    [
        "FREQ=DAILY",
        "FREQ=WEEKLY;BYDAY=MO,WE,FR",
        "FREQ=MONTHLY;BYMONTHDAY=15",
        "FREQ=MONTHLY;BYDAY=-1FR",
        "FREQ=YEARLY;BYMONTH=3;BYMONTHDAY=1",
    ]
)
_OFFSET_UNITS = st.sampled_from([("minutes", 600), ("hours", 48), ("days", 30), ("weeks", 8)])

openapi.format(
    "rrule",
    st.builds(
        lambda rule, interval, count: f"{rule};INTERVAL={interval}{count}",
        _RULES,
        st.integers(1, 3),
        st.sampled_from(["", ";COUNT=5"]),
    ),
)
openapi.format(
    "reminder-offset",
    _OFFSET_UNITS.flatmap(
        lambda unit: st.integers(1, unit[1]).map(lambda amount: f"{amount} {unit[0]}")
    )
    | st.integers(1, 600).map(lambda minutes: f"PT{minutes}M"),
)
