"""PSPLIB single-mode ``.sm`` files (Kolisch & Sprecher 1997, EJOR 96(1):205-216).

An instance is a project of ``n`` jobs (job 1 and job n are dummy source and sink) with
finish-to-start precedence, integer durations in periods, per-period requests for renewable
resources and their capacities. Jobs are numbered from 1 in the file; arrays here are
0-based, so job ``j`` of the file is row ``j - 1``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from pmo.errors import FileFormatError, FileLocation

_SECTION_RULE = re.compile(r"^\*+\s*$")


@dataclass(frozen=True)
class PsplibInstance:
    name: str
    horizon: int
    durations: npt.NDArray[np.int64]  # (n,)
    successors: tuple[tuple[int, ...], ...]  # 0-based job indices
    demands: npt.NDArray[np.int64]  # (n, resources)
    capacities: npt.NDArray[np.int64]  # (resources,)

    @property
    def n_jobs(self) -> int:
        return int(self.durations.shape[0])

    @property
    def n_resources(self) -> int:
        return int(self.capacities.shape[0])

    def links(self) -> npt.NDArray[np.int64]:
        """Finish-to-start links as an (m, 2) array of (predecessor, successor)."""
        pairs = [(i, s) for i, succ in enumerate(self.successors) for s in succ]
        return np.array(pairs, dtype=np.int64).reshape(-1, 2)


def read_sm(path: str | Path) -> PsplibInstance:
    p = Path(path)
    try:
        text = p.read_text(encoding="ascii", errors="strict")
    except UnicodeDecodeError as exc:
        raise FileFormatError("not an ASCII PSPLIB file", FileLocation(p.name)) from exc
    return parse_sm(text, name=p.stem)


def parse_sm(text: str, name: str = "instance") -> PsplibInstance:
    lines = text.splitlines()

    def fail(
        message: str, line_no: int | None = None, column: str | None = None
    ) -> FileFormatError:
        return FileFormatError(message, FileLocation(name, line=line_no, column=column))

    def find(prefix: str) -> int:
        for i, line in enumerate(lines):
            if line.strip().upper().startswith(prefix):
                return i
        raise fail(f"section {prefix!r} is missing")

    def header_int(prefix: str) -> int:
        i = find(prefix)
        try:
            return int(lines[i].split(":", 1)[1].split()[0])
        except (IndexError, ValueError) as exc:
            raise fail(f"{prefix!r} has no whole number", i + 1, prefix) from exc

    n_jobs = header_int("JOBS (INCL. SUPERSOURCE/SINK )")
    horizon = header_int("HORIZON")
    renewable_line = find("- RENEWABLE")
    try:
        n_res = int(lines[renewable_line].split(":", 1)[1].split()[0])
    except (IndexError, ValueError) as exc:
        raise fail("renewable resource count is not a number", renewable_line + 1) from exc

    def rows_after(title: str, skip: int) -> list[tuple[int, list[int]]]:
        start = find(title) + 1 + skip
        out: list[tuple[int, list[int]]] = []
        for k in range(start, len(lines)):
            line = lines[k]
            if _SECTION_RULE.match(line.strip()) or not line.strip():
                if out:
                    break
                continue
            try:
                out.append((k + 1, [int(t) for t in line.split()]))
            except ValueError as exc:
                raise fail(f"expected numbers, got {line.strip()!r}", k + 1) from exc
        return out

    successors: list[tuple[int, ...]] = [()] * n_jobs
    prec = rows_after("PRECEDENCE RELATIONS:", 1)
    if len(prec) != n_jobs:
        raise fail(f"{len(prec)} precedence rows for {n_jobs} jobs")
    for line_no, nums in prec:
        if len(nums) < 3 or len(nums) != 3 + nums[2]:
            raise fail("successor count does not match the successors listed", line_no)
        job = nums[0]
        if not 1 <= job <= n_jobs:
            raise fail(f"job {job} out of range 1..{n_jobs}", line_no, "jobnr.")
        for s in nums[3:]:
            if not 1 <= s <= n_jobs:
                raise fail(f"successor {s} out of range 1..{n_jobs}", line_no, "successors")
        successors[job - 1] = tuple(s - 1 for s in nums[3:])

    durations = np.zeros(n_jobs, dtype=np.int64)
    demands = np.zeros((n_jobs, n_res), dtype=np.int64)
    req = rows_after("REQUESTS/DURATIONS:", 2)
    if len(req) != n_jobs:
        raise fail(f"{len(req)} request rows for {n_jobs} jobs")
    for line_no, nums in req:
        if len(nums) != 3 + n_res:
            raise fail(f"expected {3 + n_res} numbers", line_no)
        job = nums[0]
        if not 1 <= job <= n_jobs:
            raise fail(f"job {job} out of range 1..{n_jobs}", line_no, "jobnr.")
        if nums[2] < 0:
            raise fail("negative duration", line_no, "duration")
        durations[job - 1] = nums[2]
        demands[job - 1] = nums[3:]

    avail = rows_after("RESOURCEAVAILABILITIES:", 1)
    if not avail or len(avail[0][1]) != n_res:
        raise fail("resource availabilities missing or incomplete")
    capacities = np.array(avail[0][1], dtype=np.int64)

    return PsplibInstance(
        name=name,
        horizon=horizon,
        durations=durations,
        successors=tuple(successors),
        demands=demands,
        capacities=capacities,
    )
