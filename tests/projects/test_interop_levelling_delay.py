"""An MSPDI ``LevelingDelay`` through the database: imported, rescheduled from the stored rows
to the dates the file itself schedules to (late dates and floats included), exported back."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from pmo.engine.cpm import schedule
from pmo.interop.document import schedule_options, to_plan
from pmo.interop.mspdi import NAMESPACE, read_mspdi

pytestmark = pytest.mark.django_db


def _task(uid: int, name: str, hours: int, delay: str = "", preds: tuple[int, ...] = ()) -> str:
    links = "".join(
        f"<PredecessorLink><PredecessorUID>{p}</PredecessorUID><Type>1</Type></PredecessorLink>"
        for p in preds
    )
    return (
        f"<Task><UID>{uid}</UID><ID>{uid}</ID><Name>{name}</Name>"
        f"<Duration>PT{hours}H0M0S</Duration>{delay}{links}</Task>"
    )


def _delay(tenths: int, fmt: int) -> str:
    """MSPDI keeps the delay in tenths of minutes; ``fmt`` 7 = days, 8 = elapsed days."""
    return (
        f"<LevelingDelay>{tenths}</LevelingDelay><LevelingDelayFormat>{fmt}</LevelingDelayFormat>"
    )


# Monday 2 March 2026: A (4 days) then B (1 day) held 2 working days, C (1 day) held 2 elapsed
# days after A, and D (10 days) alongside, which sets the project finish (Friday 13), so the
# late dates and floats depend on how the delays bound A
FILE = (
    f'<?xml version="1.0"?><Project xmlns="{NAMESPACE}"><Name>Levelled</Name>'
    "<StartDate>2026-03-02T08:00:00</StartDate><Tasks>"
    + _task(1, "A", 32)
    + _task(2, "B", 8, _delay(9600, 7), (1,))
    + _task(3, "C", 8, _delay(28800, 8), (1,))
    + _task(4, "D", 80)
    + "</Tasks></Project>"
).encode()


@pytest.fixture
def acme(two_orgs: dict[str, Any], make_user: Any) -> dict[str, Any]:
    from pmo.core.access import Access

    data = two_orgs["acme"]
    user = make_user("importer", data["org"], "pmo_admin")
    return {**data, "access": Access(user)}


def _naive(value: dt.datetime | None) -> dt.datetime | None:
    """A stored date as the plan's wall-clock reading (pmo stores it as that reading in UTC)."""
    return value.replace(tzinfo=None) if value is not None else None


def test_a_leveling_delay_is_stored_rescheduled_as_the_file_and_exported(
    acme: dict[str, Any],
) -> None:
    from pmo.projects.interop_export import export_project
    from pmo.projects.interop_import import do_import_project_file
    from pmo.projects.models import Project, Task

    doc = read_mspdi(FILE)
    in_file = schedule(to_plan(doc), schedule_options(doc))
    # the file's delays hold B and C: B starts Tuesday 10 (Friday and Monday of delay), C
    # Monday 9 (two elapsed days from Friday 6: Sunday, so Monday)
    assert in_file.task("2").early_start == dt.datetime(2026, 3, 10, 8)
    assert in_file.task("3").early_start == dt.datetime(2026, 3, 9, 8)

    result = do_import_project_file(acme["access"], acme["portfolio"], FILE, "levelled.xml")
    project = Project.objects.get(pk=result.project_ids[0])
    tasks = {t.name: t for t in Task.objects.filter(project=project)}
    assert (tasks["B"].levelling_delay_minutes, tasks["B"].levelling_delay_format) == (960, "d")
    assert (tasks["C"].levelling_delay_minutes, tasks["C"].levelling_delay_format) == (2880, "ed")
    assert tasks["A"].levelling_delay_minutes == 0

    # the import rescheduled the stored rows: the file's dates, late ones and floats too (a
    # start-no-earlier-than date would give A the delays as extra float: B and C may start
    # on Friday 13, so A could finish on Thursday 12, 5 days of float instead of 3)
    for uid, name in [("1", "A"), ("2", "B"), ("3", "C"), ("4", "D")]:
        want = in_file.task(uid)
        got = tasks[name]
        assert (
            _naive(got.early_start),
            _naive(got.early_finish),
            _naive(got.late_start),
            _naive(got.late_finish),
            got.total_float_minutes,
            got.free_float_minutes,
        ) == (
            want.early_start,
            want.early_finish,
            want.late_start,
            want.late_finish,
            want.total_float,
            want.free_float,
        ), name
    assert tasks["A"].total_float_minutes == 3 * 480

    # the export writes the delays back (tenths of minutes, their display units)
    xml = export_project(project, "mspdi").content.decode()
    assert _delay(9600, 7) in xml and _delay(28800, 8) in xml
    back = read_mspdi(xml.encode())
    delays = {t.name: (t.levelling_delay, t.levelling_delay_format) for t in back.tasks}
    assert delays["B"] == (960, "d") and delays["C"] == (2880, "ed")
    assert delays["A"] == (0, "")
