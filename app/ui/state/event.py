"""`rx.event` as mypy should see it.

rx.event is a class whose `__new__` returns the decorated handler; mypy takes the call for the
class's own constructor, so every handler would look like an `EventNamespace`. Handlers are
still checked as the functions they are; what calling one on its state class gives (an event
for a component to trigger) is left to Reflex.
"""

from typing import TYPE_CHECKING, Any

import reflex as rx

if TYPE_CHECKING:

    def event(fn: Any = None, /, **options: Any) -> Any: ...

else:
    event = rx.event
