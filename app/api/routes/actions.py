"""/api/actions/{link}: the done and snooze links of the notifications, as small HTML pages.

GET shows what the link would do and a button, and changes nothing (mail scanners open links);
only the button's POST acts, once. The link itself is the credential: no sign-in is asked."""

from html import escape

from fastapi import APIRouter, status
from fastapi.responses import HTMLResponse

from app.api.deps import RuntimeDep
from app.domain.action_links import LINK_DAYS, BadLink, ExpiredLink, LinkAction
from app.services.action_links import LINK_PATH, Outcome, UsedLink
from app.services.errors import Invalid, NotFound
from app.ui.format import wall_clock

router = APIRouter(prefix=LINK_PATH.rstrip("/"), tags=["actions"], include_in_schema=False)

_STYLE = (
    "body{font-family:system-ui,sans-serif;max-width:32rem;margin:3rem auto;padding:0 1rem;"
    "color:#1c2024}button{font:inherit;padding:.6rem 1.2rem;border:0;border-radius:.4rem;"
    "background:#3e63dd;color:#fff;cursor:pointer}p.note{color:#60646c}"
)


@router.get("/{link}", response_class=HTMLResponse)
async def show(link: str, runtime: RuntimeDep) -> HTMLResponse:
    """The link's page: the task, what the button will do, and the button."""
    try:
        view = await runtime.action_links.look(link)
    except (BadLink, ExpiredLink, UsedLink, NotFound) as error:
        return _refused(error)
    action = view.claims.action
    task = view.task
    body = (
        f"<h1>{escape(action.label)}?</h1>"
        f"<p>Task: <strong>{escape(task.title)}</strong></p>"
        f'<form method="post"><button type="submit">{escape(action.label)}</button></form>'
        '<p class="note">Nothing changes until you press the button. The link works once.</p>'
    )
    return _page(action.label, body)


@router.post("/{link}", response_class=HTMLResponse)
async def act(link: str, runtime: RuntimeDep) -> HTMLResponse:
    """Complete the task, or snooze its reminder; only the first use of a link acts."""
    links = runtime.action_links
    try:
        outcome = await links.use(link)
    except (BadLink, ExpiredLink, UsedLink, NotFound, Invalid) as error:
        return _refused(error)
    return _page("Done", _outcome_text(outcome))


def _outcome_text(outcome: Outcome) -> str:
    title = f"<strong>{escape(outcome.task.title)}</strong>"
    if outcome.action == LinkAction.DONE:
        return f"<h1>Done</h1><p>{title} is completed.</p>"
    assert outcome.remind_at is not None and outcome.zone is not None
    zone = outcome.zone
    when = escape(wall_clock(outcome.remind_at, zone))
    return f"<h1>Snoozed</h1><p>{title}: you will be reminded again on {when} ({zone}).</p>"


# Each refusal: its status, heading and what to do.
_REFUSALS: dict[type[Exception], tuple[int, str, str]] = {
    BadLink: (
        status.HTTP_404_NOT_FOUND,
        "This link is not valid",
        "Copy the whole link from the notification, or open the app.",
    ),
    ExpiredLink: (
        status.HTTP_410_GONE,
        "This link has expired",
        f"Links in notifications work for {LINK_DAYS} days. Open the app instead.",
    ),
    UsedLink: (
        status.HTTP_409_CONFLICT,
        "This link was already used",
        "Each link works once; nothing was changed now.",
    ),
    NotFound: (
        status.HTTP_404_NOT_FOUND,
        "The task is gone",
        "The task was deleted; nothing was changed.",
    ),
    Invalid: (
        status.HTTP_409_CONFLICT,
        "Nothing to snooze",
        "The task is completed or has no due date any more; nothing was changed.",
    ),
}


def _refused(error: Exception) -> HTMLResponse:
    code, heading, note = _REFUSALS[type(error)]
    return _page(heading, f"<h1>{heading}</h1><p>{note}</p>", code)


def _page(title: str, body: str, code: int = status.HTTP_200_OK) -> HTMLResponse:
    html = (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)} · TaskFlow</title><style>{_STYLE}</style></head>"
        f"<body>{body}</body></html>"
    )
    return HTMLResponse(
        html, status_code=code, headers={"Cache-Control": "no-store", "X-Robots-Tag": "noindex"}
    )
