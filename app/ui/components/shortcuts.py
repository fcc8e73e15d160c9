"""Keyboard shortcuts, handled in the browser: n = new task, / = search (Esc closes a dialog,
which Radix does itself). Keys typed into a field or while a dialog is open are left alone."""

import reflex as rx
from reflex.vars import Var

from app.ui.components.filters import SEARCH_ID

NEW_TASK_ID = "new-task-button"

_LISTENER = f"""
useEffect(() => {{
  const onKey = (event) => {{
    if (event.ctrlKey || event.metaKey || event.altKey || event.defaultPrevented) return;
    const target = event.target;
    const typing = target && (target.isContentEditable ||
      ["INPUT", "TEXTAREA", "SELECT"].includes(target.tagName));
    if (typing || document.querySelector('[role="dialog"]')) return;
    if (event.key === "n") {{
      event.preventDefault();
      document.getElementById("{NEW_TASK_ID}")?.click();
    }} else if (event.key === "/") {{
      event.preventDefault();
      document.getElementById("{SEARCH_ID}")?.focus();
    }}
  }};
  window.addEventListener("keydown", onKey);
  return () => window.removeEventListener("keydown", onKey);
}}, []);
"""


class KeyboardShortcuts(rx.Fragment):
    def add_imports(self) -> dict[str, list[str]]:
        return {"react": ["useEffect"]}

    def add_hooks(self) -> list[str | Var]:
        return [_LISTENER]


keyboard_shortcuts = KeyboardShortcuts.create
