"""What an import tells its caller: counts and every error, in the JSON shape of INTERFACES.md."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class RowError:
    """One problem in an input file. ``row`` counts data rows from 1 (0 = the file or its header)."""

    row: int
    field: str
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {"row": self.row, "field": self.field, "message": self.message}


@dataclass
class ImportReport:
    """Counts of one import; ``errors`` holds every error found (rejections name all, not the first)."""

    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    unassigned: int | None = None
    errors: list[RowError] = field(default_factory=list)
    error_count: int = 0
    dry_run: bool = False
    import_run_id: int | None = None
    notes: list[str] = field(default_factory=list)

    def add_error(self, row: int, field_name: str, message: str) -> None:
        self.error_count += 1
        self.errors.append(RowError(row, field_name, message))

    @property
    def ok(self) -> bool:
        return self.error_count == 0

    @property
    def status(self) -> str:
        return "ok" if self.ok else "rejected"

    def as_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "status": self.status,
            "rows": self.rows,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "error_count": self.error_count,
            "errors": [error.as_dict() for error in self.errors],
        }
        if self.unassigned is not None:
            data["unassigned"] = self.unassigned
        if self.dry_run:
            data["dry_run"] = True
        if self.notes:
            data["notes"] = list(self.notes)
        if self.import_run_id is not None:
            data["import_run"] = self.import_run_id
        return data

    def summary(self) -> str:
        """One human line for the command line and the web."""
        if not self.ok:
            return f"Rejected: {self.error_count} error(s) in {self.rows} row(s); nothing was written."
        verb = "Checked (dry run, nothing written)" if self.dry_run else "Imported"
        text = (
            f"{verb}: {self.rows} row(s) — {self.created} created, {self.updated} updated, {self.unchanged} unchanged"
        )
        if self.unassigned is not None:
            text += f", {self.unassigned} outside every area"
        return text + "."


class ImportRejected(Exception):
    """Raised inside a write to abandon it: the transaction rolls back and the report says why."""

    def __init__(self, report: ImportReport) -> None:
        super().__init__(report.summary())
        self.report = report
