"""The one base class for errors that people can act on.

A service raises a subclass with a message that says what is wrong and how to put it right, and
changes nothing (its unit of work rolls back). Views show the message beside the form, commands
print it and exit non-zero; if a view does not catch it, the app answers with an error page
carrying the message and the class's status code.
"""

from __future__ import annotations


class ActionableError(Exception):
    """Refused for a reason the person can fix; `str(error)` is the message to show."""

    status_code = 422

    def __init__(self, message: str, *, field: str = "form") -> None:
        super().__init__(message)
        self.message = message
        self.field = field  # the form field the message belongs beside, or "form"

    def __str__(self) -> str:
        return self.message


class Conflict(ActionableError):
    """Refused because of the state things are in (already drawn, a run still going)."""

    status_code = 409
