"""A task's fields: their limits, shared by the API, the chat tools, the editor and storage."""

TITLE_MAX = 500
DESCRIPTION_MAX = 10_000
# Ids are 32-bit integers on every database.
MAX_ID = 2**31 - 1
