"""The errors kjob reports to users, each carrying kubectl's final wording and an exit code."""

from __future__ import annotations

# kubectl exits 1 for every failure (cmdutil.DefaultErrorExitCode).
DEFAULT_EXIT_CODE = 1


class KjobError(Exception):
    """A user-facing failure. `message` is printed as is, one line or several, by the CLI funnel."""

    exit_code = DEFAULT_EXIT_CODE

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class UsageError(KjobError):
    """Bad flags or arguments: `error: ...`, optionally followed by kubectl's `See '...' for help` line."""

    def __init__(self, message: str, command: str | None = None) -> None:
        text = message if message.startswith("error: ") else f"error: {message}"
        if command:
            text += f"\nSee 'kjob {command} -h' for help and examples"
        super().__init__(text)


class PlainError(KjobError):
    """Any other client-side error, printed with kubectl's `error: ` prefix."""

    def __init__(self, message: str) -> None:
        super().__init__(message if message.startswith("error: ") else f"error: {message}")


class APIError(KjobError):
    """An error the API server would return: `Error from server (Reason): text`."""

    reason = ""

    def __init__(self, text: str, context: str = "") -> None:
        # kubectl inserts `error when creating "file": ` between the reason and the server's text.
        self.text = text
        prefix = f"Error from server ({self.reason}): " if self.reason else "Error from server: "
        super().__init__(f"{prefix}{context}{text}")


class NotFound(APIError):
    reason = "NotFound"

    def __init__(self, resource: str, name: str, context: str = "") -> None:
        self.resource = resource
        self.name = name
        super().__init__(f'{resource} "{name}" not found', context)


class AlreadyExists(APIError):
    reason = "AlreadyExists"

    def __init__(self, resource: str, name: str, context: str = "") -> None:
        self.resource = resource
        self.name = name
        super().__init__(f'{resource} "{name}" already exists', context)


class BadRequest(APIError):
    reason = "BadRequest"


class Conflict(APIError):
    reason = "Conflict"

    @classmethod
    def modified(cls, resource: str, name: str) -> Conflict:
        """The optimistic lock's answer to a write over a version that is no longer the stored one."""
        return cls(
            f'Operation cannot be fulfilled on {resource} "{name}": the object has been modified; please '
            "apply your changes to the latest version and try again"
        )


class Invalid(KjobError):
    """HTTP 422 as kubectl prints it: `The Job "x" is invalid: <cause>` or a `* <cause>` list."""

    def __init__(self, kind: str, name: str, causes: list[str]) -> None:
        self.kind = kind
        self.name = name
        self.causes = causes
        head = f'The {kind} "{name}" is invalid: '
        text = head + causes[0] if len(causes) == 1 else head + "\n" + "\n".join(f"* {c}" for c in causes)
        super().__init__(text)


class StoreError(KjobError):
    """The state directory could not be read or written (disk full, permissions, corrupt file)."""

    def __init__(self, message: str) -> None:
        super().__init__(message if message.startswith("error: ") else f"error: {message}")


class CorruptObject(StoreError):
    """An object's file that no longer parses as one (cut short, edited by hand): it is reported and
    passed over, never taken for absent."""
