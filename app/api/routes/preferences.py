"""/api/me/preferences: the signed-in user's time zone, quiet hours and daily digest time."""

from fastapi import APIRouter

from app.api.deps import CurrentUser, UserPreferences, WritingUser
from app.api.preference_schemas import PreferencesBody
from app.api.responses import MALFORMED_BODY

router = APIRouter(prefix="/api/me/preferences", tags=["preferences"])


@router.get("", response_model=PreferencesBody)
async def get_preferences(preferences: UserPreferences, user: CurrentUser) -> PreferencesBody:
    return PreferencesBody.of(await preferences.get(user.id))


@router.put("", response_model=PreferencesBody, responses=MALFORMED_BODY)
async def put_preferences(
    body: PreferencesBody, preferences: UserPreferences, user: WritingUser
) -> PreferencesBody:
    """Replace the settings: reminders that fire in quiet hours wait for their end; the digest
    comes daily at its time (both on the user's zone's clock)."""
    return PreferencesBody.of(await preferences.save(user.id, body.preferences()))
