"""Any project file pmo reads, told apart by its content: MSPDI, XER, .mpp, CSV or XLSX.

:func:`detect_format` looks at the first bytes (the extension only breaks ties), so a file
named wrongly still reads, and a file of another kind is refused with
:class:`~pmo.errors.UnsupportedFormat` before any parser sees it. :func:`read_project_file`
returns one document per project (an XER may hold several; the others hold one).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from pmo.engine.calendar import DEFAULT_MINUTES_PER_DAY
from pmo.errors import FileLocation, UnsupportedFormat
from pmo.interop.document import DEFAULT_MAX_BYTES, ProjectDocument
from pmo.interop.fidelity import FidelityReport

__all__ = [
    "FORMATS",
    "ReadOptions",
    "detect_format",
    "fidelity_dict",
    "is_organisation_json",
    "read_project_file",
]

FORMATS = ("mspdi", "xer", "mpp", "csv", "xlsx")
_EXTENSIONS = {
    ".xml": "mspdi",
    ".mspdi": "mspdi",
    ".xer": "xer",
    ".mpp": "mpp",
    ".mpt": "mpp",
    ".csv": "csv",
    ".txt": "csv",
    ".tsv": "csv",
    ".xlsx": "xlsx",
    ".xlsm": "xlsx",
}


@dataclass(frozen=True)
class ReadOptions:
    """How to read: ``format`` forces one of :data:`FORMATS`; the others are for task lists
    (:func:`pmo.interop.tabular.read_tasklist`)."""

    format: str | None = None
    mapping: Mapping[str, str] | None = None
    sheet: str | None = None
    minutes_per_day: int = DEFAULT_MINUTES_PER_DAY
    date_format: str | None = None
    start: datetime | None = None
    project_name: str = ""


def _head(data: bytes) -> bytes:
    head = data[:4096]
    for bom in (b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff"):
        if head.startswith(bom):
            head = head[len(bom) :]
            break
    return head.lstrip()


def is_organisation_json(data: bytes, name: str = "") -> bool:
    """A pmo organisation document (``pmo export ORG``): JSON, told by content or ``.json``."""
    return _head(data).startswith(b"{") or (
        Path(name).suffix.lower() == ".json" and not _head(data).startswith(b"<")
    )


def detect_format(data: bytes, name: str = "") -> str:
    """One of :data:`FORMATS` for the file's content (raises ``UnsupportedFormat``)."""
    ext = Path(name).suffix.lower()
    head = _head(data)
    where = FileLocation(name or "input")
    if data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        if ext in (".xls", ".doc"):
            raise UnsupportedFormat("an old Excel/Office file: save it as .xlsx or .csv", where)
        return "mpp"
    if data[:4] == b"PK\x03\x04":
        return "xlsx"
    if head.startswith(b"ERMHDR"):
        return "xer"
    if head.startswith(b"<"):
        return "mspdi"
    if head.startswith(b"{") or head.startswith(b"["):
        raise UnsupportedFormat(
            "a JSON file: import pmo organisation documents with `pmo import FILE.json`", where
        )
    if not head:
        raise UnsupportedFormat("the file is empty", where)
    if b"\x00" in head:
        raise UnsupportedFormat(
            "a binary file that is not a project file (MSPDI .xml, XER, .mpp, CSV or .xlsx)",
            where,
        )
    known = _EXTENSIONS.get(ext)
    if known in ("csv", None):
        return "csv"
    raise UnsupportedFormat(f"the content does not look like a {ext} file", where)


def read_project_file(
    data: bytes,
    name: str = "input",
    options: ReadOptions | None = None,
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> tuple[str, list[ProjectDocument]]:
    """(format, documents) of a project file held in memory."""
    opts = options or ReadOptions()
    fmt = opts.format or detect_format(data, name)
    if fmt not in FORMATS:
        raise UnsupportedFormat(
            f"unknown format {fmt!r} (one of {', '.join(FORMATS)})", FileLocation(name)
        )
    if fmt == "mspdi":
        from pmo.interop.mspdi import read_mspdi

        return fmt, [read_mspdi(data, name=name, max_bytes=max_bytes)]
    if fmt == "xer":
        from pmo.interop.xer import read_xer

        return fmt, read_xer(data, name=name, max_bytes=max_bytes)
    if fmt == "mpp":
        from pmo.interop.mpp import read_mpp

        return fmt, [read_mpp(data, name=name, max_bytes=max_bytes)]
    from pmo.interop.tabular import read_tasklist

    doc = read_tasklist(
        data,
        name,
        opts.mapping,
        minutes_per_day=opts.minutes_per_day,
        project_name=opts.project_name,
        start=opts.start,
        sheet=opts.sheet,
        date_format=opts.date_format,
        max_bytes=max_bytes,
    )
    return doc.source_format, [doc]


def fidelity_dict(report: FidelityReport, limit: int = 200) -> dict[str, Any]:
    """A fidelity report as plain JSON: totals, per field, and the first ``limit`` tasks
    that differ with each difference (expected = the file, got = pmo)."""

    def value(v: Any) -> Any:
        return v.isoformat() if isinstance(v, datetime) else v

    return {
        "compared": report.compared,
        "identical": report.identical,
        "equivalent": report.equivalent,
        "percent_identical": round(report.percent_identical, 2),
        "percent_equivalent": round(report.percent_equivalent, 2),
        "skipped": dict(report.skipped),
        "fields": {
            name: {"compared": n, "mismatches": report.field_mismatches.get(name, 0)}
            for name, n in report.field_compared.items()
        },
        "differing_tasks": len(report.tasks),
        "tasks": [
            {
                "task_id": t.task_id,
                "name": t.name,
                "equivalent": t.equivalent,
                "differences": [
                    {
                        "field": d.field,
                        "expected": value(d.expected),
                        "got": value(d.got),
                        "delta_minutes": d.delta,
                        "working_delta_minutes": d.working_delta,
                    }
                    for d in t.differences
                ],
            }
            for t in report.tasks[:limit]
        ],
    }
