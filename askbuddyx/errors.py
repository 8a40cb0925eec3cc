"""The one exception type users see: what failed, why, and how to fix it.

Stages and the CLI catch `AskBuddyXError` at the top and print it without a traceback
(see `askbuddyx.cli.run_main`). Anything else is a bug and keeps its traceback.
"""

from __future__ import annotations


class AskBuddyXError(Exception):
    """An error with a message for the user and a hint on how to fix it."""

    def __init__(self, message: str, hint: str = ""):
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message}\n  how to fix: {self.hint}" if self.hint else self.message
