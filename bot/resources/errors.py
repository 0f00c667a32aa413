"""The one error the resource loader raises: a file it cannot read, named with its row."""

from __future__ import annotations

from bot.errors import ConfigError


class ResourceDirectoryError(ConfigError, ValueError):
    """A resource directory or taxonomy map that cannot be used.

    `file` is the file's name; `row` is the CSV or YAML line (a CSV header is line 1), the
    1-based item of a JSON array, or None when the whole file (or folder) is the problem.
    A ConfigError, so the app refuses to start on it; a ValueError, because it is bad input.
    """

    def __init__(self, file: str, row: int | None, message: str) -> None:
        self.file = file
        self.row = row
        self.message = message
        super().__init__(str(self))

    def __str__(self) -> str:
        if self.row is None:
            return f"{self.file}: {self.message}"
        unit = "item" if self.file.endswith(".json") else "line"
        return f"{self.file}, {unit} {self.row}: {self.message}"
