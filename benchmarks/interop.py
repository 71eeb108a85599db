"""Benchmark of the MSPDI and XER readers and writers.

    .venv/bin/python benchmarks/interop.py [--tasks 50000] [--seed 1] [--keep DIR]

Builds a project document of ``--tasks`` tasks (one summary per 100 tasks, ~1.5 links per
task of all four types with lags, 4 calendars with a year of holidays each, 500 resources and
one assignment per second task), then times

* export: ``mspdi_bytes`` / ``xer_bytes`` (document -> file bytes), and writing to disk;
* import: ``read_mspdi`` / ``read_xer`` of the file on disk, with a check that the read
  document equals the written one (the export -> import round trip is lossless);
* the 6,260-activity P6 sample ``xer/pyp6xer__SP10_cost_loaded.xer`` (when ``../shared``
  is present);
* with ``--database``: that sample imported into a database through the import service
  (``do_import_project_file``: read, map, write the rows and their audit events, reschedule
  from the database, compare with P6's dates), phase by phase, in a transaction rolled back
  at the end. SQLite in a temporary folder, or the database of ``PMO_DATABASE_URL``. Also
  ``--cli``: ``pmo import`` of the sample in a fresh process (Python, Django and the engine's
  compiled kernels loaded too) into a fresh SQLite database.

Targets: import <= 10 s and export <= 5 s for 50,000 tasks, the P6 sample <= 3 s. Figures
only: nothing here asserts a time.
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from dataclasses import replace
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import numpy as np

from pmo.engine.calendar import STANDARD_WEEK, CalendarException
from pmo.engine.plan import LagUnit, LinkType
from pmo.interop.document import (
    DocAssignment,
    DocCalendar,
    DocLink,
    DocResource,
    DocTask,
    ProjectDocument,
    ProjectProperties,
)
from pmo.interop.mspdi import mspdi_bytes, read_mspdi
from pmo.interop.xer import read_xer, xer_bytes

START = datetime(2026, 1, 5, 8)
SAMPLE = Path(__file__).resolve().parents[1].parent / "shared" / "samples" / "xer"


def make_document(n: int, seed: int) -> ProjectDocument:
    rng = np.random.default_rng(seed)
    holidays = tuple(
        CalendarException(
            date(2026, 1, 1) + timedelta(days=int(d)),
            date(2026, 1, 1) + timedelta(days=int(d)),
            (),
            "holiday",
        )
        for d in sorted(set(rng.integers(0, 365, 12).tolist()))
    )
    calendars = (
        DocCalendar("1", "Standard", STANDARD_WEEK, holidays, is_default=True),
        DocCalendar("2", "Six days", (((480, 960),),) * 6 + ((),), holidays),
        DocCalendar("3", "24 hours", (((0, 1440),),) * 7, ()),
        DocCalendar(
            "4",
            "Night shift",
            (
                ((1320, 1440),),
                ((0, 360), (1320, 1440)),
                ((0, 360), (1320, 1440)),
                ((0, 360), (1320, 1440)),
                ((0, 360), (1320, 1440)),
                ((0, 360),),
                (),
            ),
            holidays,
            base="1",
            kind="resource",
        ),
    )
    tasks: list[DocTask] = []
    leaves: list[str] = []
    n_sum = max(1, n // 100)
    per = (n - n_sum) // n_sum + 1
    durations = rng.integers(0, 20, n) * 480
    k = 0
    for s in range(n_sum):
        sid = str(k + 1)
        tasks.append(
            DocTask(id=sid, name=f"Work package {s + 1}", outline_level=1, summary=True, duration=0)
        )
        k += 1
        for _ in range(per):
            if k >= n:
                break
            tid = str(k + 1)
            d = int(durations[k])
            cal = None if rng.random() < 0.8 else str(int(rng.integers(1, 4)))
            tasks.append(
                DocTask(
                    id=tid,
                    name=f"Task {k + 1} of package {s + 1}",
                    parent=sid,
                    outline_level=2,
                    duration=d,
                    remaining=d,
                    milestone=d == 0,
                    calendar=cal,
                    early_start=START + timedelta(days=k % 400),
                    early_finish=START + timedelta(days=k % 400 + 3),
                    total_slack=int(rng.integers(0, 5000)),
                    tags={"Phase": f"P{s % 7}"} if k % 3 == 0 else {},
                )
            )
            leaves.append(tid)
            k += 1
    links: list[DocLink] = []
    types = (LinkType.FS, LinkType.FS, LinkType.FS, LinkType.SS, LinkType.FF, LinkType.SF)
    idx = np.arange(1, len(leaves))
    for j in idx:
        if rng.random() < 0.9:
            links.append(DocLink(leaves[j - 1], leaves[j], LinkType.FS))
        if rng.random() < 0.6:
            back = int(rng.integers(2, 60))
            if j - back >= 0:
                lag = float(int(rng.integers(-2, 5)) * 480) if rng.random() < 0.4 else 0.0
                links.append(
                    DocLink(
                        leaves[j - back],
                        leaves[j],
                        types[int(rng.integers(0, 6))],
                        lag=lag,
                        lag_unit=LagUnit.WORKING,
                    )
                )
    resources = tuple(
        DocResource(
            id=str(r + 1),
            name=f"Resource {r + 1}",
            code=f"R{r + 1}",
            max_units=1.0,
            standard_rate=Decimal(50 + r % 40),
            calendar="4" if r % 10 == 0 else "1",
        )
        for r in range(500)
    )
    assignments = tuple(
        DocAssignment(
            id=str(a + 1),
            task=leaves[2 * a],
            resource=str(a % 500 + 1),
            units=1.0,
            work=tasks[int(leaves[2 * a]) - 1].duration,
        )
        for a in range(len(leaves) // 2)
    )
    return ProjectDocument(
        project=ProjectProperties(
            id="1",
            name="Benchmark",
            code="BENCH",
            start=START,
            default_calendar="1",
            currency="EUR",
        ),
        calendars=calendars,
        tasks=tuple(tasks),
        links=tuple(links),
        resources=resources,
        assignments=assignments,
    )


def timed(label: str, fn, *args, **kw):  # type: ignore[no-untyped-def]
    t0 = time.perf_counter()
    out = fn(*args, **kw)
    dt = time.perf_counter() - t0
    print(f"  {label:<44} {dt:7.2f} s")
    return out, dt


def database_import(sample: Path) -> None:
    """The sample through the import service, phase by phase (rolled back at the end)."""
    import os

    if not os.environ.get("PMO_DATABASE_URL"):
        os.environ["PMO_DATA_DIR"] = tempfile.mkdtemp(prefix="pmo-import-db-")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pmo.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection, transaction

    from pmo.engine import cpm
    from pmo.orgs.models import Calendar, Organisation
    from pmo.portfolio.models import Portfolio
    from pmo.projects import interop_import as service

    call_command("migrate", verbosity=0)
    print(f"P6 sample into the database ({connection.vendor}), through the import service")
    timed("engine kernels (first use in a process)", cpm.warm_up)
    data = sample.read_bytes()
    started = time.perf_counter()
    with transaction.atomic():
        code = f"bench{time.time_ns() % 10**9}"
        org = Organisation.objects.create(code=code, name=code, country="GB", currency="GBP")
        Calendar.objects.create(organisation=org, name="Standard", country="GB")
        portfolio = Portfolio.objects.create(
            organisation=org, code="bench", name="bench", currency="GBP"
        )
        options = service.ImportOptions()
        (mapper, _, _), _ = timed(
            "read and map", service._mapper, portfolio, data, sample.name, options
        )
        writer = service._Writer(mapper, None)
        _, _ = timed("write rows and audit events", writer.write)
        reports, _ = timed("reschedule from the database, compare", service._schedule, mapper, None)
        total = time.perf_counter() - started
        transaction.set_rollback(True)
    print(f"  {'total':<44} {total:7.2f} s")
    for project_code, report in reports:
        print(f"  {project_code}: {report.summary().splitlines()[0]}")


def cli_import(sample: Path) -> None:
    """``pmo import`` of the sample in a fresh process, into a fresh SQLite database."""
    import os
    import subprocess

    env = {**os.environ, "PMO_DATA_DIR": tempfile.mkdtemp(prefix="pmo-import-cli-")}
    env.pop("PMO_DATABASE_URL", None)
    pmo = str(Path(sys.executable).with_name("pmo"))
    setup = (
        "from pmo.commands import django_setup; django_setup(); "
        "from django.core.management import call_command; call_command('migrate', verbosity=0); "
        "from pmo.orgs.models import Organisation, Calendar; "
        "from pmo.portfolio.models import Portfolio; "
        "o = Organisation.objects.create(code='bench', name='bench', country='GB', currency='GBP');"
        "Calendar.objects.create(organisation=o, name='Standard', country='GB'); "
        "Portfolio.objects.create(organisation=o, code='bench', name='bench', currency='GBP')"
    )
    subprocess.run([sys.executable, "-c", setup], env=env, check=True)
    print("pmo import of the P6 sample in a fresh process, fresh SQLite database")
    timed(
        "pmo import (whole process)",
        subprocess.run,
        [pmo, "import", str(sample), "--org", "bench", "--json"],
        env=env,
        check=True,
        capture_output=True,
    )


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--tasks", type=int, default=50_000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--keep", type=Path, default=None, help="write the files in this folder")
    ap.add_argument(
        "--database", action="store_true", help="also import the P6 sample into a database"
    )
    ap.add_argument("--cli", action="store_true", help="also time `pmo import` of the sample")
    ap.add_argument("--only-sample", action="store_true", help="skip the 50,000-task files")
    args = ap.parse_args()
    sample = SAMPLE / "pyp6xer__SP10_cost_loaded.xer"
    if args.only_sample:
        if sample.exists():
            if args.database:
                database_import(sample)
            if args.cli:
                cli_import(sample)
        return 0

    t0 = time.perf_counter()
    doc = make_document(args.tasks, args.seed)
    print(
        f"document: {len(doc.tasks):,} tasks, {len(doc.links):,} links, "
        f"{len(doc.calendars)} calendars, {len(doc.resources)} resources, "
        f"{len(doc.assignments):,} assignments (built in {time.perf_counter() - t0:.1f} s)"
    )
    folder = args.keep or Path(tempfile.mkdtemp(prefix="pmo-interop-"))
    folder.mkdir(parents=True, exist_ok=True)
    results: dict[str, float] = {}

    print("MSPDI")
    data, results["mspdi export"] = timed("export (document -> bytes)", mspdi_bytes, doc)
    path = folder / "bench.xml"
    path.write_bytes(data)
    print(f"  {'file size':<44} {len(data) / 1e6:7.1f} MB")
    back, results["mspdi import"] = timed("import (file -> document)", read_mspdi, path)
    assert len(back.tasks) == len(doc.tasks) and len(back.links) == len(doc.links)
    assert read_mspdi(mspdi_bytes(back)) == back, "MSPDI round trip is not lossless"

    print("XER")
    xdoc = replace(doc, source_format="")
    data, results["xer export"] = timed("export (document -> bytes)", xer_bytes, xdoc)
    path = folder / "bench.xer"
    path.write_bytes(data)
    print(f"  {'file size':<44} {len(data) / 1e6:7.1f} MB")
    (xback,), results["xer import"] = timed("import (file -> documents)", read_xer, path)
    assert len(xback.links) == len(doc.links)
    assert read_xer(xer_bytes(xback)) == [xback], "XER round trip is not lossless"

    if sample.exists():
        print("P6 sample (6,260 activities and WBS elements, 5,966 relationships)")
        docs, results["sample import"] = timed(
            "import pyp6xer__SP10_cost_loaded.xer", read_xer, sample
        )
        _, results["sample export"] = timed("export it again", xer_bytes, docs)
        if args.database:
            database_import(sample)
        if args.cli:
            cli_import(sample)

    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory {rss:,.0f} MB; files in {folder}")
    targets = {
        "mspdi import": 10,
        "xer import": 10,
        "mspdi export": 5,
        "xer export": 5,
        "sample import": 3,
    }
    failed = [k for k, limit in targets.items() if k in results and results[k] > limit]
    scale = args.tasks / 50_000
    if scale == 1 and failed:
        print("over target: " + ", ".join(f"{k} {results[k]:.2f} s" for k in failed))
        return 1
    print("all within target" if scale == 1 else "(targets are for 50,000 tasks)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
