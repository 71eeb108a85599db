"""``pmo level`` and ``pmo bench psplib``: resource levelling of plan files, no database.

::

    pmo level FILE [--time-limit SECONDS] [--engine exact|heuristic|auto] [--format json|table]
                   [--project ID] [--out FILE] [--all-resources]
    pmo bench psplib DIR [--time-limit SECONDS] [--engine ...] [--schedules N] [--every K]
                         [--format csv|table]

``pmo level`` reads an MS Project XML (MSPDI) file, a Primavera P6 XER file, a pmo JSON plan
(with ``resources`` and ``assignments``) or a PSPLIB single-mode instance (``.sm``); the kind
is told by the extension, else by the content.

* ``.sm``: prints the levelled schedule in periods; with ``--format json`` exactly
  ``{"makespan", "lower_bound", "optimal", "engine", "seconds", "starts": {"<job number>":
  <start period>}}`` with the job numbers of the file.
* MSPDI / XER / JSON: the file is scheduled on its own calendars, levelled in working days
  (:mod:`pmo.interop.levelling`, the same bridge as the database's levelling service) and the
  proposal printed: per moved task the file's id (MSPDI UID, XER task_id and task_code, JSON
  id), name, old and new dates, the shift in working days and the resource whose
  over-allocation moved it; then the project finish and the peak over-allocation before and
  after, the engine and its bound. ``--format json`` gives the same as one JSON object (schema
  in the README). ``--out FILE`` writes the levelled plan in the same format. A multi-project
  XER is levelled as one program unless ``--project`` names one (``proj_id`` or short name).

``pmo bench psplib`` levels every instance under DIR (not the solution files ``j30opt.sm``,
``j60hrs.sm``, ``j60lb.sm``, nor anything that does not parse as an instance), checks every
schedule independently (links and per-period capacity), compares it with ``bounds.csv``
(looked for in DIR and its parents) and prints, per instance and in total, the makespan, the
lower bound, the gap to the best known makespan, the deviation from the critical-path bound
and the time. The exit status is 1 if any schedule is infeasible.

Nothing here imports Django; the engine (numpy, numba, OR-Tools) is imported when a command
runs.
"""

from __future__ import annotations

import csv
import io
import json
import statistics
import sys
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.table import Table

from pmo.commands import err_console, fail, run_reporting_errors
from pmo.errors import FileFormatError, FileLocation, PmoError, UnsupportedFormat

if TYPE_CHECKING:
    from pmo.engine.level import LevelOptions, LevelProblem, LevelResult
    from pmo.engine.level_plan import Overallocation
    from pmo.interop.document import ProjectDocument
    from pmo.interop.levelling import FileLevelling
    from pmo.interop.plan_json import PlanFile
    from pmo.interop.psplib import PsplibInstance

#: PSPLIB files in the instance folders that hold solutions or bounds, not instances.
NOT_INSTANCES = frozenset({"j30opt.sm", "j30hrs.sm", "j60hrs.sm", "j60lb.sm", "j120hrs.sm"})

LEVEL_JSON_KEYS = ("makespan", "lower_bound", "optimal", "engine", "seconds", "starts")


class EngineChoice(StrEnum):
    EXACT = "exact"
    HEURISTIC = "heuristic"
    AUTO = "auto"


class LevelFormat(StrEnum):
    JSON = "json"
    TABLE = "table"


class BenchFormat(StrEnum):
    CSV = "csv"
    TABLE = "table"


def _problem(inst: PsplibInstance) -> LevelProblem:
    from pmo.engine.level import LevelProblem

    return LevelProblem.from_successors(
        inst.durations,
        inst.successors,
        inst.demands,
        inst.capacities,
        names=[f"job {j + 1}" for j in range(inst.n_jobs)],
    )


def _read(path: Path) -> PsplibInstance:
    from pmo.interop.psplib import read_sm

    return read_sm(path)


def file_kind(path: Path) -> str:
    """``sm``, ``json`` or one of :data:`pmo.interop.projectfile.FORMATS` for the file."""
    if not path.is_file():
        raise FileFormatError("no such file", FileLocation(str(path)))
    ext = path.suffix.lower()
    if ext in (".sm", ".json"):
        return ext[1:]
    try:
        with path.open("rb") as fh:
            head = fh.read(4096)
    except OSError as exc:
        raise FileFormatError(f"cannot read: {exc.strerror}", FileLocation(path.name)) from exc
    text = head.decode("utf-8", errors="replace").lstrip("\ufeff \r\n\t")
    if text.startswith("{"):
        return "json"
    if "PRECEDENCE RELATIONS" in text.upper() or text.startswith("*****"):
        return "sm"
    from pmo.interop.projectfile import detect_format

    return detect_format(head, path.name)


def _options(engine: EngineChoice, time_limit: float, schedules: int, seed: int) -> LevelOptions:
    from pmo.engine.level import LevelOptions

    return LevelOptions(engine=engine.value, time_limit=time_limit, schedules=schedules, seed=seed)


def level_command(
    file: Annotated[
        Path,
        typer.Argument(help="MS Project XML (MSPDI), P6 XER, pmo JSON plan or PSPLIB .sm file."),
    ],
    time_limit: Annotated[
        float, typer.Option("--time-limit", min=0.01, help="Seconds for the solver.")
    ] = 10.0,
    engine: Annotated[EngineChoice, typer.Option(help="Levelling engine.")] = EngineChoice.AUTO,
    output_format: Annotated[
        LevelFormat, typer.Option("--format", help="json or a readable table.")
    ] = LevelFormat.TABLE,
    schedules: Annotated[
        int, typer.Option(min=1, help="Schedules budget of the heuristic.")
    ] = 5000,
    seed: Annotated[int, typer.Option(help="Random seed.")] = 0,
    project: Annotated[
        str | None,
        typer.Option(help="XER: level this project only (proj_id or short name)."),
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option(help="Write the levelled plan here, in the format of FILE."),
    ] = None,
    all_resources: Annotated[
        bool,
        typer.Option(help="Level resources marked 'can level: no' (MSPDI CanLevel 0) too."),
    ] = False,
) -> None:
    """Level a plan file: dates within resource capacities, shortest project duration."""

    def run() -> None:
        kind = file_kind(file)
        if kind != "sm":
            _level_plan_file(
                file, kind, _options(engine, time_limit, schedules, seed),
                output_format, project, out, all_resources,
            )  # fmt: skip
            return
        if out is not None or project is not None:
            raise UnsupportedFormat(
                "--out and --project are for MSPDI, XER and pmo JSON plans; a PSPLIB .sm "
                "instance is levelled in periods and printed",
                FileLocation(file.name),
            )
        inst = _read(file)
        from pmo.engine.level import level

        problem = _problem(inst)
        result = level(problem, _options(engine, time_limit, schedules, seed))
        if output_format is LevelFormat.JSON:
            sys.stdout.write(json.dumps(level_json(result)) + "\n")
        else:
            _print_level(problem, result)

    run_reporting_errors(run)


# ---------------------------------------------------------------------------------------------
# MSPDI, XER and pmo JSON plans
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Source:
    """A plan file read for levelling: its documents (MSPDI/XER) or its JSON plan."""

    kind: str
    documents: tuple[ProjectDocument, ...] = ()
    chosen: ProjectDocument | None = None
    plan_file: PlanFile | None = None

    def code_of(self, task_id: str) -> str:
        """The P6 Activity ID (task_code) of an XER activity, else ""."""
        if self.chosen is None or self.kind != "xer":
            return ""
        for t in self.chosen.tasks:
            if t.id == task_id:
                return t.code
        return ""


def _read_source(path: Path, kind: str, project: str | None) -> _Source:
    if kind == "json":
        if project is not None:
            raise UnsupportedFormat("--project is for XER files", FileLocation(path.name))
        from pmo.interop.plan_json import read_plan_file

        return _Source(kind, plan_file=read_plan_file(path))
    from pmo.interop.document import combine
    from pmo.interop.projectfile import read_project_file

    try:
        data = path.read_bytes()
    except OSError as exc:
        raise FileFormatError(f"cannot read: {exc.strerror}", FileLocation(path.name)) from exc
    fmt, docs = read_project_file(data, path.name)
    if project is not None:
        hits = [d for d in docs if project in (d.project.id, d.project.code)]
        if not hits:
            known = ", ".join(f"{d.project.id} ({d.project.code})" for d in docs)
            raise FileFormatError(
                f"no project {project!r} in the file; it holds {known}",
                FileLocation(path.name, column="--project"),
            )
        return _Source(fmt, tuple(docs), hits[0])
    chosen = docs[0] if len(docs) == 1 else combine(docs)
    return _Source(fmt, tuple(docs), chosen)


def _level_source(source: _Source, options: LevelOptions, all_resources: bool) -> FileLevelling:
    from pmo.interop.levelling import level_document, level_plan

    if source.plan_file is not None:
        pf = source.plan_file
        cals = {c.id: c for c in pf.plan.calendars}
        return level_plan(
            pf.plan,
            None,
            pf.resources,
            pf.assignments,
            options,
            resource_calendars={r.id: cals[r.calendar] for r in pf.resources if r.calendar in cals},
        )
    assert source.chosen is not None
    return level_document(source.chosen, options, all_resources=all_resources)


def _write_out(source: _Source, outcome: FileLevelling, out: Path) -> None:
    if source.plan_file is not None:
        from dataclasses import replace

        from pmo.interop.plan_json import write_plan_json

        write_plan_json(replace(source.plan_file, levelled=dict(outcome.levelled)), out)
        return
    from pmo.interop.levelling import levelled_document

    if source.kind == "mspdi":
        from pmo.interop.mspdi import write_mspdi

        assert source.chosen is not None
        write_mspdi(levelled_document(source.chosen, outcome), out)
    elif source.kind == "xer":
        from pmo.interop.xer import write_xer

        write_xer([levelled_document(d, outcome) for d in source.documents], out)
    else:
        raise UnsupportedFormat(
            f"--out writes MSPDI, XER or pmo JSON plans, not {source.kind}: "
            "convert the file first (pmo convert FILE --to mspdi)",
            FileLocation(str(out)),
        )


def _level_plan_file(
    path: Path,
    kind: str,
    options: LevelOptions,
    output_format: LevelFormat,
    project: str | None,
    out: Path | None,
    all_resources: bool,
) -> None:
    source = _read_source(path, kind, project)
    try:
        outcome = _level_source(source, options, all_resources)
    except FileFormatError:
        raise  # names the file already
    except PmoError as exc:  # a cycle, nothing to level...: say which file
        fail(f"{path.name}: {exc.message}", code=2)
    if out is not None:
        _write_out(source, outcome, out)
    record = proposal_json(path, source, outcome, out)
    if output_format is LevelFormat.JSON:
        sys.stdout.write(json.dumps(record, indent=2, ensure_ascii=False) + "\n")
    else:
        _print_proposal(record)


def _when(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _peak(peak: Overallocation | None) -> dict[str, object] | None:
    if peak is None:
        return None
    return {
        "resource_id": str(peak.resource),
        "resource": peak.resource_name,
        "day": peak.day.isoformat(),
        "used_units": peak.used,
        "max_units": peak.available,
        "excess_units": peak.excess,
    }


def proposal_json(
    path: Path, source: _Source, outcome: FileLevelling, out: Path | None
) -> dict[str, object]:
    """The ``--format json`` record of a levelled MSPDI/XER/JSON plan (schema: README)."""
    result = outcome.result
    moves = []
    for m in outcome.moves:
        tid = str(m.task)
        old_start, old_finish = outcome.dates(tid, proposed=False)
        new_start, new_finish = outcome.dates(tid, proposed=True)
        moves.append(
            {
                "id": tid,
                "code": source.code_of(tid),
                "name": m.name,
                "old_start": _when(old_start),
                "old_finish": _when(old_finish),
                "new_start": _when(new_start),
                "new_finish": _when(new_finish),
                "shift_days": outcome.shift_days(tid),
                "resource_delay_days": m.resource_delay_days,
                "precedence_delay_days": m.precedence_delay_days,
                "resource_id": None if m.resource is None else str(m.resource),
                "resource": m.resource_name,
                "blocked_on": m.blocked_on.isoformat() if m.blocked_on else None,
                "competing": [{"id": str(k), "name": n} for k, n in m.competing],
                "predecessors": [{"id": str(k), "name": n} for k, n in m.predecessors],
                "reason": m.reason,
            }
        )
    return {
        "file": path.name,
        "format": source.kind,
        "engine": result.engine,
        "optimal": result.optimal,
        "seconds": round(result.seconds, 3),
        "tasks_levelled": len(outcome.built.free_rows),
        "moved": len(moves),
        "makespan_days": outcome.built.in_days(result.makespan),
        "lower_bound_days": outcome.built.in_days(result.lower_bound),
        "project_finish_before": outcome.unlevelled.project_finish.isoformat(),
        "project_finish_after": outcome.proposed.project_finish.isoformat(),
        "peak_overallocation_before": _peak(outcome.peak_before),
        "peak_overallocation_after": _peak(outcome.peak_after),
        "moves": moves,
        "warnings": list(outcome.built.warnings),
        "out": str(out) if out is not None else None,
    }


def _short(value: object) -> str:
    return str(value).replace("T", " ")[:16] if value else ""


def _peak_text(peak: object) -> str:
    if not isinstance(peak, dict):
        return "none"
    return (
        f"{peak['resource']} {peak['used_units']:g} of {peak['max_units']:g} unit(s) "
        f"on {peak['day']}"
    )


def _print_proposal(record: dict[str, object]) -> None:
    out = Console(highlight=False, soft_wrap=True)
    moves = record["moves"]
    assert isinstance(moves, list)
    proof = "optimal" if record["optimal"] else f"lower bound {record['lower_bound_days']} days"
    out.print(
        f"{record['file']} ({record['format']}): {record['moved']} of {record['tasks_levelled']} "
        f"task(s) moved; engine {record['engine']} ({proof}), {record['seconds']} s"
    )
    out.print(
        f"project finish {_short(record['project_finish_before'])} -> "
        f"{_short(record['project_finish_after'])} "
        f"(levelled span {record['makespan_days']} working days from the first task levelled)"
    )
    out.print(
        f"peak over-allocation {_peak_text(record['peak_overallocation_before'])} -> "
        f"{_peak_text(record['peak_overallocation_after'])}"
    )
    warnings = record["warnings"]
    assert isinstance(warnings, list)
    for w in warnings:
        err_console.print(f"warning: {w}", highlight=False, soft_wrap=True)
    for m in moves:
        ident = f"{m['id']} ({m['code']})" if m["code"] else m["id"]
        out.print(f"{ident}  {m['name']}")
        out.print(
            f"    start {_short(m['old_start'])} -> {_short(m['new_start'])}, "
            f"finish {_short(m['old_finish'])} -> {_short(m['new_finish'])}, "
            f"shift {m['shift_days']:+g} working day(s)"
            + (f", resource {m['resource']}" if m["resource"] else "")
        )
        out.print(f"    why: {m['reason']}")
    if record["out"]:
        out.print(f"levelled plan written to {record['out']}")


def level_json(result: LevelResult) -> dict[str, object]:
    """The ``--format json`` record of a levelled PSPLIB instance (job numbers from 1)."""
    return {
        "makespan": result.makespan,
        "lower_bound": result.lower_bound,
        "optimal": result.optimal,
        "engine": result.engine,
        "seconds": round(result.seconds, 3),
        "starts": {str(j + 1): int(s) for j, s in enumerate(result.starts)},
    }


def _print_level(problem: LevelProblem, result: LevelResult) -> None:
    out = Console(highlight=False)
    proof = "optimal" if result.optimal else f"lower bound {result.lower_bound}"
    out.print(
        f"makespan {result.makespan} ({proof}), engine {result.engine}, "
        f"{result.seconds:.2f} s, {result.schedules} heuristic schedules"
    )
    why = {m.task: m.describe(problem) for m in result.moves}
    table = Table("job", "start", "finish", "moved", "why")
    dur = problem.durations
    for j, s in enumerate(result.starts.tolist()):
        delay = s - int(result.early_starts[j])
        table.add_row(
            str(j + 1), str(s), str(s + int(dur[j])), str(delay) if delay else "", why.get(j, "")
        )
    out.print(table)


# ---------------------------------------------------------------------------------------------
# bench
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Bound:
    critical_path: int
    best_known: int
    lower_bound: int
    status: str


@dataclass(frozen=True)
class BenchRow:
    instance: str
    jobs: int
    makespan: int
    lower_bound: int
    optimal: bool
    engine: str
    schedules: int
    seconds: float
    violations: int
    best_known: int | None
    critical_path: int | None

    @property
    def gap(self) -> float | None:
        if self.best_known is None:
            return None
        return 100.0 * (self.makespan - self.best_known) / self.best_known

    @property
    def dev_cp(self) -> float | None:
        if not self.critical_path:
            return None
        return 100.0 * (self.makespan - self.critical_path) / self.critical_path


BENCH_COLUMNS = (
    "instance", "jobs", "makespan", "lower_bound", "optimal", "best_known", "gap_pct",
    "critical_path", "dev_cp_pct", "seconds", "schedules", "engine", "feasible",
)  # fmt: skip


def find_bounds(directory: Path) -> dict[str, Bound]:
    """``bounds.csv`` of DIR or the nearest parent that has one, by instance name."""
    for d in (directory, *directory.parents):
        path = d / "bounds.csv"
        if path.is_file():
            out: dict[str, Bound] = {}
            with path.open(newline="", encoding="utf-8") as fh:
                for row in csv.DictReader(fh):
                    try:
                        out[row["instance"]] = Bound(
                            int(row["mpm_time_critical_path"]),
                            int(row["best_known_ub"]),
                            int(row["lower_bound"]),
                            row.get("status", ""),
                        )
                    except (KeyError, ValueError):
                        continue
            return out
    return {}


def _natural(path: Path) -> tuple[object, ...]:
    import re

    return tuple(int(t) if t.isdigit() else t for t in re.split(r"(\d+)", str(path)))


def instance_files(directory: Path) -> list[Path]:
    return sorted(
        (p for p in directory.rglob("*.sm") if p.name.lower() not in NOT_INSTANCES),
        key=_natural,
    )


def bench_psplib(
    directory: Annotated[
        Path, typer.Argument(help="Folder of PSPLIB .sm instances (searched recursively).")
    ],
    time_limit: Annotated[
        float, typer.Option("--time-limit", min=0.01, help="Seconds per instance.")
    ] = 10.0,
    engine: Annotated[EngineChoice, typer.Option(help="Levelling engine.")] = EngineChoice.AUTO,
    schedules: Annotated[
        int, typer.Option(min=1, help="Schedules budget of the heuristic per instance.")
    ] = 5000,
    every: Annotated[
        int, typer.Option(min=1, help="Only every K-th instance (a subset while developing).")
    ] = 1,
    output_format: Annotated[
        BenchFormat, typer.Option("--format", help="csv or a readable table.")
    ] = BenchFormat.TABLE,
    seed: Annotated[int, typer.Option(help="Random seed.")] = 0,
) -> None:
    """Level PSPLIB instances, check every schedule, compare with the best known makespans."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

    if not directory.is_dir():
        fail(f"{directory} is not a folder", code=2)
    from pmo.engine.level import check_schedule, level
    from pmo.interop.psplib import read_sm

    files = instance_files(directory)[::every]
    bounds = find_bounds(directory.resolve())
    opts = _options(engine, time_limit, schedules, seed)
    rows: list[BenchRow] = []
    skipped = 0
    with Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err_console,
        transient=True,
    ) as progress:
        task = progress.add_task("levelling", total=len(files))
        warmed = False
        for path in files:
            progress.update(task, description=path.stem)
            try:
                inst = read_sm(path)
            except FileFormatError:
                skipped += 1
                progress.advance(task)
                continue
            problem = _problem(inst)
            if not warmed:  # load the compiled kernels outside the timed runs
                from dataclasses import replace

                from pmo.engine.level_bnb import warm_up

                level(problem, replace(opts, time_limit=min(1.0, time_limit), schedules=2000))
                warm_up()
                warmed = True
            result = level(problem, opts)
            violations = check_schedule(problem, result.starts)
            b = bounds.get(inst.name)
            rows.append(
                BenchRow(
                    instance=inst.name,
                    jobs=inst.n_jobs,
                    makespan=result.makespan,
                    lower_bound=result.lower_bound,
                    optimal=result.optimal,
                    engine=result.engine,
                    schedules=result.schedules,
                    seconds=result.seconds,
                    violations=len(violations),
                    best_known=b.best_known if b else None,
                    critical_path=b.critical_path if b else None,
                )
            )
            for v in violations[:5]:
                err_console.print(f"[red]{inst.name}: {v}[/]", highlight=False)
            progress.advance(task)
    if not rows:
        fail(f"no PSPLIB instance under {directory}", code=2)
    if output_format is BenchFormat.CSV:
        sys.stdout.write(bench_csv(rows))
    else:
        _print_bench(rows)
    if skipped:
        err_console.print(f"{skipped} .sm file(s) skipped: not instances", highlight=False)
    if any(r.violations for r in rows):
        raise typer.Exit(1)


def _fmt(v: float | None, digits: int = 2) -> str:
    return "" if v is None else f"{v:.{digits}f}"


def _row_values(r: BenchRow) -> list[str]:
    return [
        r.instance, str(r.jobs), str(r.makespan), str(r.lower_bound), str(r.optimal).lower(),
        "" if r.best_known is None else str(r.best_known), _fmt(r.gap),
        "" if r.critical_path is None else str(r.critical_path), _fmt(r.dev_cp),
        f"{r.seconds:.3f}", str(r.schedules), r.engine, str(r.violations == 0).lower(),
    ]  # fmt: skip


def summary(rows: list[BenchRow]) -> dict[str, float | int | None]:
    gaps = [r.gap for r in rows if r.gap is not None]
    devs = [r.dev_cp for r in rows if r.dev_cp is not None]
    secs = [r.seconds for r in rows]
    return {
        "instances": len(rows),
        "feasible": sum(r.violations == 0 for r in rows),
        "proven_optimal": sum(r.optimal for r in rows),
        "at_best_known": sum(r.best_known is not None and r.makespan <= r.best_known for r in rows),
        "mean_gap_pct": statistics.fmean(gaps) if gaps else None,
        "max_gap_pct": max(gaps) if gaps else None,
        "mean_dev_cp_pct": statistics.fmean(devs) if devs else None,
        "median_seconds": statistics.median(secs),
        "mean_seconds": statistics.fmean(secs),
        "max_seconds": max(secs),
        "mean_schedules": statistics.fmean(r.schedules for r in rows),
    }


def bench_csv(rows: list[BenchRow]) -> str:
    """Per-instance rows, then one ``ALL`` row: sums of counts, means of gap/deviation/time."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(BENCH_COLUMNS)
    for r in rows:
        w.writerow(_row_values(r))
    s = summary(rows)
    w.writerow(
        [
            "ALL",
            s["instances"],
            "",
            "",
            s["proven_optimal"],
            s["at_best_known"],
            _fmt(s["mean_gap_pct"], 3),
            "",
            _fmt(s["mean_dev_cp_pct"], 3),
            f"{s['mean_seconds']:.3f}",
            f"{s['mean_schedules']:.0f}",
            "",
            s["feasible"],
        ]
    )
    return buf.getvalue()


def _print_bench(rows: list[BenchRow]) -> None:
    out = Console(highlight=False)
    table = Table(*BENCH_COLUMNS)
    for r in rows:
        table.add_row(*_row_values(r))
    out.print(table)
    s = summary(rows)
    out.print(
        f"{s['instances']} instances: {s['feasible']} feasible, "
        f"{s['proven_optimal']} proven optimal, {s['at_best_known']} at or below best known; "
        f"mean gap to best known {_fmt(s['mean_gap_pct'], 3)} % "
        f"(max {_fmt(s['max_gap_pct'], 2)} %), "
        f"mean deviation from critical path {_fmt(s['mean_dev_cp_pct'], 3)} %; "
        f"time median {s['median_seconds']:.3f} s, mean {s['mean_seconds']:.3f} s, "
        f"max {s['max_seconds']:.3f} s; mean schedules {s['mean_schedules']:.0f}"
    )


def register(app: typer.Typer) -> None:
    app.command("level")(level_command)
    bench = typer.Typer(
        name="bench", help="Benchmarks on public instance sets.", no_args_is_help=True
    )
    bench.command("psplib")(bench_psplib)
    app.add_typer(bench, name="bench")
