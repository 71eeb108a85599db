"""Every failure pmo reports, as typed exceptions in one module.

Engines, interop readers, services, the API and the CLI all raise these; the HTTP status of
each is decided here (``http_status``) and mapped to responses in one place
(``pmo.api.errors``), so a route never invents its own error shape. Nothing here imports
Django: the pure engine may raise these too.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field


class PmoError(Exception):
    """Base of every error pmo raises on purpose."""

    http_status = 400
    code = "error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def as_dict(self) -> dict[str, object]:
        return {"code": self.code, "message": self.message}


class NotFound(PmoError):
    """The object does not exist, or the user may not see it (never tell which)."""

    http_status = 404
    code = "not_found"


class PermissionDenied(PmoError):
    """The user may see the object but not change it."""

    http_status = 403
    code = "forbidden"


class NotAuthenticated(PmoError):
    http_status = 401
    code = "not_authenticated"


class StaleVersion(PmoError):
    """The write was based on an older version of the object than the stored one."""

    http_status = 412
    code = "stale_version"

    def __init__(self, message: str, *, current_version: int | None = None) -> None:
        super().__init__(message)
        self.current_version = current_version

    def as_dict(self) -> dict[str, object]:
        return {**super().as_dict(), "current_version": self.current_version}


class VersionRequired(PmoError):
    """A write that does not say which version it was based on (no If-Match / version)."""

    http_status = 428
    code = "version_required"


@dataclass(frozen=True)
class FieldError:
    """One invalid value: ``path`` locates it (e.g. ``("tasks", 3, "duration")``)."""

    path: tuple[str | int, ...]
    message: str

    def as_dict(self) -> dict[str, object]:
        return {"path": list(self.path), "message": self.message}


class ValidationFailed(PmoError):
    """Input that is well-formed but invalid; lists every bad field with its path."""

    http_status = 422
    code = "validation_failed"

    def __init__(self, errors: Sequence[FieldError] | str, message: str | None = None) -> None:
        if isinstance(errors, str):
            errors = [FieldError((), errors)]
        self.errors = list(errors)
        summary = message or "; ".join(
            f"{'.'.join(str(p) for p in e.path) or '(input)'}: {e.message}" for e in self.errors
        )
        super().__init__(summary)

    @classmethod
    def field(cls, path: str | Sequence[str | int], message: str) -> ValidationFailed:
        p = (path,) if isinstance(path, str) else tuple(path)
        return cls([FieldError(p, message)])

    def as_dict(self) -> dict[str, object]:
        return {**super().as_dict(), "errors": [e.as_dict() for e in self.errors]}


class Conflict(PmoError):
    """The change is valid in itself but clashes with stored state (duplicate code, ...)."""

    http_status = 409
    code = "conflict"


class PayloadTooLarge(PmoError):
    http_status = 413
    code = "payload_too_large"


class SchedulingError(PmoError):
    """A plan that cannot be scheduled at all."""

    http_status = 422
    code = "scheduling_error"


class CircularDependency(SchedulingError):
    """The links form a cycle; ``cycle`` names the tasks in it, in order."""

    code = "circular_dependency"

    def __init__(self, cycle: Sequence[str]) -> None:
        self.cycle = list(cycle)
        super().__init__(
            "Circular dependency: " + " → ".join([*self.cycle, self.cycle[0]])
            if self.cycle
            else "Circular dependency"
        )

    def as_dict(self) -> dict[str, object]:
        return {**super().as_dict(), "cycle": self.cycle}


@dataclass
class FileLocation:
    """Where in a file a problem is: line or record, and field."""

    file: str = ""
    line: int | None = None
    record: str | None = None
    column: str | None = None
    extra: dict[str, object] = field(default_factory=dict)

    def __str__(self) -> str:
        parts = [self.file or "input"]
        if self.line is not None:
            parts.append(f"line {self.line}")
        if self.record:
            parts.append(f"record {self.record}")
        if self.column:
            parts.append(f"field {self.column}")
        return ", ".join(parts)


class FileFormatError(PmoError):
    """A file that cannot be read: says where (line or record, and field) and what."""

    http_status = 422
    code = "file_format_error"

    def __init__(self, message: str, location: FileLocation | None = None) -> None:
        self.location = location or FileLocation()
        super().__init__(f"{self.location}: {message}")

    def as_dict(self) -> dict[str, object]:
        return {
            **super().as_dict(),
            "file": self.location.file,
            "line": self.location.line,
            "record": self.location.record,
            "field": self.location.column,
        }


class UnsupportedFormat(FileFormatError):
    http_status = 415
    code = "unsupported_format"


class SolverError(PmoError):
    """An optimisation engine failed or proved the problem infeasible."""

    http_status = 422
    code = "solver_error"
