"""The one exception type for problems a user can fix (bad input, bad usage)."""

from __future__ import annotations


class NewsproofError(Exception):
    """A problem the user can fix: names the file, line and column where known, and a hint.

    The CLI turns it into a message and exit code 2. Anything else raised is a bug.
    """

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        line: int | None = None,
        column: str | None = None,
        hint: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.file = file
        self.line = line
        self.column = column
        self.hint = hint

    def __str__(self) -> str:
        where = ""
        if self.file:
            where = self.file
            if self.line is not None:
                where += f":{self.line}"
            if self.column:
                where += f" (column {self.column!r})"
            where += ": "
        text = where + self.message
        if self.hint:
            text += f"\n  hint: {self.hint}"
        return text


class LockTimeout(NewsproofError):
    """Another run holds the project lock and did not release it in time."""
