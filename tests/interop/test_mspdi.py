"""MS Project XML (MSPDI): golden values of real files, lossless export, schema order, errors."""

from __future__ import annotations

import csv
import io
import re
from datetime import date, datetime
from pathlib import Path
from typing import Any

import defusedxml.ElementTree as DET
import pytest

from pmo.engine.cpm import schedule
from pmo.engine.plan import LagUnit, LinkType
from pmo.errors import FileFormatError, PayloadTooLarge, UnsupportedFormat
from pmo.interop.document import (
    Constraint,
    DocLink,
    DocTask,
    ProjectDocument,
    schedule_options,
    to_plan,
)
from pmo.interop.mspdi import (
    NAMESPACE,
    mspdi_bytes,
    read_mspdi,
    recurrence_dates,
    write_mspdi,
)
from pmo.interop.xer import read_xer

SAMPLES = Path(__file__).resolve().parents[2].parent / "shared" / "samples"
MSPDI_FILES = sorted((SAMPLES / "mspdi").glob("*.xml")) if SAMPLES.is_dir() else []
NS = f"{{{NAMESPACE}}}"

needs_samples = pytest.mark.skipif(not MSPDI_FILES, reason="../shared/samples is not present")

MPXJ_CONSTRAINTS = {
    Constraint.ASAP: "AS_SOON_AS_POSSIBLE",
    Constraint.ALAP: "AS_LATE_AS_POSSIBLE",
    Constraint.SNET: "START_NO_EARLIER_THAN",
    Constraint.SNLT: "START_NO_LATER_THAN",
    Constraint.FNET: "FINISH_NO_EARLIER_THAN",
    Constraint.FNLT: "FINISH_NO_LATER_THAN",
    Constraint.MSO: "MUST_START_ON",
    Constraint.MFO: "MUST_FINISH_ON",
}


def expected_rows(sample: Path, kind: str) -> list[dict[str, str]]:
    """``expected/<file>.tasks.csv`` (the MSPDI of an .mpp is listed under the .mpp name)."""
    name = sample.name.replace(".mspdi.xml", ".mpp")
    with (SAMPLES / "expected" / f"{name}.{kind}.csv").open(encoding="utf-8") as f:
        return list(csv.DictReader(f))


def minutes(text: str, mpd: int = 480, mpw: int = 2400) -> float:
    """``4.5d``, ``1.4285w``, ``4800m``, ``-75%`` (percent returned as is) -> minutes."""
    m = re.fullmatch(r"(-?[\d.]+(?:E-?\d+)?)(m|h|d|w|mo|em|eh|ed|ew|%)\??", text)
    assert m, text
    factor = {"m": 1, "h": 60, "d": mpd, "w": mpw, "mo": mpd * 20, "em": 1, "eh": 60,
              "ed": 1440, "ew": 10080, "%": 1}[m[2]]  # fmt: skip
    return float(m[1]) * factor


def when(text: str) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


# ----------------------------------------------------------------------------------------------
# golden values
# ----------------------------------------------------------------------------------------------


@needs_samples
@pytest.mark.parametrize("sample", MSPDI_FILES, ids=lambda p: p.name)
def test_every_task_matches_the_expected_values(sample: Path) -> None:
    doc = read_mspdi(sample)
    mpd, mpw = doc.project.minutes_per_day, doc.project.minutes_per_week
    tasks = {t.id: t for t in doc.tasks}
    rows = expected_rows(sample, "tasks")
    assert len(rows) == len(doc.tasks)
    for r in rows:
        t = tasks[r["unique_id"]]
        where = f"task {t.id}"
        assert str(t.display_id) == r["id"], where
        assert t.name == r["name"], where
        assert t.outline_level == int(r["outline_level"]), where
        assert t.summary == (r["summary"] == "True"), where
        assert t.milestone == (r["milestone"] == "True"), where
        assert t.duration is not None and abs(t.duration - minutes(r["duration"], mpd, mpw)) <= 1
        if t.remaining is not None:  # stored (MPXJ derives the missing ones)
            assert abs(t.remaining - minutes(r["remaining_duration"], mpd, mpw)) <= 1, where
        dates = ("start", "finish", "early_start", "early_finish", "late_start", "late_finish",
                 "actual_start", "actual_finish", "constraint_date")  # fmt: skip
        for field in dates:
            assert getattr(t, field) == when(r[field]), (where, field)
        for field in ("total_slack", "free_slack"):
            stored = getattr(t, field)
            if stored is not None:  # the file stores it (MPXJ fills in the ones it does not)
                assert abs(stored - minutes(r[field], mpd, mpw)) <= 1, (where, field)
        assert MPXJ_CONSTRAINTS[t.constraint_type or Constraint.ASAP] == (
            r["constraint_type"] or "AS_SOON_AS_POSSIBLE"
        ), where
        assert t.percent_complete == float(r["percent_complete"]), where
        assert t.critical == (r["critical"] == "True"), where
        if r["baseline_start"]:
            b = t.baselines[0]
            assert (b.start, b.finish) == (when(r["baseline_start"]), when(r["baseline_finish"]))


@needs_samples
@pytest.mark.parametrize("sample", MSPDI_FILES, ids=lambda p: p.name)
def test_every_relation_matches_the_expected_values(sample: Path) -> None:
    doc = read_mspdi(sample)
    links = {(lk.predecessor, lk.successor): lk for lk in doc.links}
    rows = expected_rows(sample, "relations")
    assert len(rows) == len(doc.links)
    for r in rows:
        lk = links[(r["predecessor_unique_id"], r["successor_unique_id"])]
        assert lk.type.name == r["type"]
        expected = minutes(r["lag"], doc.project.minutes_per_day, doc.project.minutes_per_week)
        assert lk.lag == pytest.approx(expected)
        assert (lk.lag_unit == LagUnit.PERCENT) == r["lag"].endswith("%")


@needs_samples
def test_link_lags_and_formats_of_the_task_links_sample() -> None:
    doc = read_mspdi(SAMPLES / "mspdi" / "mpxj__task-links-project2003-mspdi.xml")
    by_pred = {lk.predecessor: lk for lk in doc.links}
    assert (by_pred["3"].lag, by_pred["3"].lag_format) == (480.0, "d")  # LinkLag 4800 tenths
    assert (by_pred["7"].lag, by_pred["7"].lag_format) == (2400.0, "w")
    assert by_pred["11"].type == LinkType.SF and by_pred["13"].type == LinkType.SS
    assert by_pred["15"].type == LinkType.FF


@needs_samples
def test_percent_lags_are_percentages() -> None:
    doc = read_mspdi(SAMPLES / "mspdi" / "aspose__Software-Development-Plan.mspdi.xml")
    lk = next(lk for lk in doc.links if lk.successor == "30")
    assert (lk.lag, lk.lag_unit, lk.lag_format) == (-75.0, LagUnit.PERCENT, "%")


@needs_samples
def test_recurring_exceptions_expand_like_ms_project() -> None:
    """Project 2007+ writes each recurring exception twice: as a recurrence (``Exceptions``)
    and expanded (``WeekDay`` ``DayType`` 0). Our expansion must give the same days."""
    sample = SAMPLES / "mspdi" / "mpxj__calendar-recurring-exceptions-project2016-mspdi.xml"
    cal = read_mspdi(sample).calendars[0]
    ours = {d for e in cal.exceptions for d in _days(e.start, e.finish)}
    legacy: set[date] = set()
    root = DET.parse(sample).getroot()
    for wd in root.iter(f"{NS}WeekDay"):
        if wd.findtext(f"{NS}DayType") == "0":
            tp = wd.find(f"{NS}TimePeriod")
            assert tp is not None
            a = datetime.fromisoformat(tp.findtext(f"{NS}FromDate") or "").date()
            b = datetime.fromisoformat(tp.findtext(f"{NS}ToDate") or "").date()
            legacy |= set(_days(a, b))
    assert ours == legacy
    assert len(ours) == 140
    working = [e for e in cal.exceptions if e.name == "Recurring Working"]
    assert [e.start for e in working] == [date(2010, 1, 2), date(2010, 2, 6), date(2010, 3, 6)]
    assert working[0].working_times == ((540, 780), (840, 1020))


def _days(a: date, b: date) -> list[date]:
    return [date.fromordinal(k) for k in range(a.toordinal(), b.toordinal() + 1)]


def test_recurrence_rules() -> None:
    # every 2nd Tuesday, weeks counted from Sunday
    got = list(recurrence_dates(6, date(2001, 1, 1), date(2001, 2, 13), period=2, days_of_week=4))
    assert got == [date(2001, 1, 2), date(2001, 1, 16), date(2001, 1, 30), date(2001, 2, 13)]
    # last Friday of every month (MonthItem 8 = Friday, MonthPosition 4 = last)
    got = list(recurrence_dates(5, date(2024, 1, 1), date(2024, 3, 31), month_item=8,
                                month_position=4))  # fmt: skip
    assert got == [date(2024, 1, 26), date(2024, 2, 23), date(2024, 3, 29)]
    # 31st of each month clamps to the month's last day; yearly on 29 Feb (Month 1 = Feb)
    got = list(recurrence_dates(4, date(2023, 1, 1), date(2023, 4, 30), month_day=31))
    assert got == [date(2023, 1, 31), date(2023, 2, 28), date(2023, 3, 31), date(2023, 4, 30)]
    got = list(recurrence_dates(2, date(2023, 1, 1), date(2025, 12, 31), month=1, month_day=29))
    assert got == [date(2023, 2, 28), date(2024, 2, 29), date(2025, 2, 28)]
    # by count
    got = list(recurrence_dates(7, date(2000, 2, 1), date(2000, 12, 31), period=3, limit=4))
    assert got == [date(2000, 2, 1), date(2000, 2, 4), date(2000, 2, 7), date(2000, 2, 10)]


@needs_samples
def test_resource_calendars_and_assignments() -> None:
    doc = read_mspdi(SAMPLES / "mspdi" / "mpxj__mspdiresource.xml")
    cal = {c.id: c for c in doc.calendars}
    brian = next(r for r in doc.resources if r.name == "Brian Leach")
    night = cal[brian.calendar or ""]
    assert night.base == "6" and night.week == cal["6"].week  # inherited from "Night Shift"
    assert night.week[0] == ((1380, 1440),)  # Monday 23:00-24:00 (ToTime 00:00:00)
    concrete = next(r for r in doc.resources if r.name == "Concrete")
    assert str(concrete.type) == "material" and concrete.cost_per_use == 500
    a = next(a for a in doc.assignments if a.id == "5")
    assert (a.task, a.resource, a.units, a.work, a.cost) == ("2", "1", 1.0, 1440, 1200)
    assert doc.tasks[1].cost == 5400  # Cost is stored in hundredths


# ----------------------------------------------------------------------------------------------
# writing
# ----------------------------------------------------------------------------------------------


@needs_samples
@pytest.mark.parametrize("sample", MSPDI_FILES, ids=lambda p: p.name)
def test_export_then_import_is_lossless(sample: Path, tmp_path: Path) -> None:
    doc = read_mspdi(sample)
    out = tmp_path / "out.xml"
    write_mspdi(doc, out)
    again = read_mspdi(out)
    for field in ("project", "calendars", "tasks", "links", "resources", "assignments",
                  "tag_definitions"):  # fmt: skip
        assert getattr(again, field) == getattr(doc, field), field
    assert again == doc
    assert mspdi_bytes(again) == out.read_bytes()  # stable


def _orders(root: Any, tag: str) -> list[list[str]]:
    return [[c.tag.rpartition("}")[2] for c in e] for e in root.iter(f"{NS}{tag}")]


@needs_samples
@pytest.mark.parametrize("tag", ["Project", "Task", "Resource", "Assignment", "Calendar",
                                 "Exception", "PredecessorLink"])  # fmt: skip
def test_written_elements_follow_the_schema_order_ms_project_uses(tag: str) -> None:
    """MSPDI is an xsd:sequence: any two elements we write must come in the order MS Project
    wrote them in the sample files."""
    before: set[tuple[str, str]] = set()
    for sample in MSPDI_FILES:
        for kids in _orders(DET.parse(sample).getroot(), tag):
            for i, a in enumerate(kids):
                for b in kids[i + 1 :]:
                    if a != b:
                        before.add((a, b))
    for sample in MSPDI_FILES:
        ours = DET.fromstring(mspdi_bytes(read_mspdi(sample)))
        for kids in _orders(ours, tag):
            for i, a in enumerate(kids):
                for b in kids[i + 1 :]:
                    assert (b, a) not in before or a == b, f"<{a}> written before <{b}>"


@needs_samples
@pytest.mark.parametrize("sample", MSPDI_FILES, ids=lambda p: p.name)
def test_written_file_has_what_ms_project_requires(sample: Path) -> None:
    root = DET.fromstring(mspdi_bytes(read_mspdi(sample)))
    assert root.tag == f"{NS}Project"
    assert root.findtext(f"{NS}SaveVersion") == "14"
    cal_uids = {int(c.findtext(f"{NS}UID") or "") for c in root.iter(f"{NS}Calendar")}
    assert int(root.findtext(f"{NS}CalendarUID") or "") in cal_uids
    for c in root.iter(f"{NS}Calendar"):
        base = int(c.findtext(f"{NS}BaseCalendarUID") or "")
        assert base == -1 or base in cal_uids
    task_uids = [int(t.findtext(f"{NS}UID") or "") for t in root.iter(f"{NS}Task")]
    assert len(task_uids) == len(set(task_uids))
    for t in root.iter(f"{NS}Task"):
        cal = int(t.findtext(f"{NS}CalendarUID") or "-1")
        assert cal == -1 or cal in cal_uids
        for pl in t.iter(f"{NS}PredecessorLink"):
            assert int(pl.findtext(f"{NS}PredecessorUID") or "") in task_uids


@needs_samples
def test_a_p6_project_exports_to_mspdi() -> None:
    [doc] = read_xer(SAMPLES / "xer" / "pyp6xer__SP10_cost_loaded.xer")
    again = read_mspdi(mspdi_bytes(doc))
    assert len(again.tasks) == len(doc.tasks) and len(again.links) == len(doc.links)
    assert [t.name for t in again.tasks] == [t.name for t in doc.tasks]  # outline order kept
    for t, original in zip(again.tasks, doc.tasks, strict=True):
        assert t.summary == original.wbs_node  # WBS elements become summary tasks
        assert t.outline_level == original.outline_level
        if not t.summary:
            assert (t.duration, t.remaining) == (original.duration, original.remaining)
            assert (t.actual_start, t.early_start) == (original.actual_start, original.early_start)


def test_a_document_built_in_code_writes_and_reads_back() -> None:
    doc = ProjectDocument(
        tasks=(
            DocTask(id="a", name="Design", duration=960, outline_level=1),
            DocTask(
                id="b",
                name="Build & <test>",
                duration=0,
                milestone=True,
                constraint_type=Constraint.SNET,
                constraint_date=datetime(2026, 1, 7, 8),
                tags={"Owner": "Ann"},
            ),
        ),
        links=(DocLink("a", "b", LinkType.FS, lag=-30.0, lag_unit=LagUnit.ELAPSED),),
    )
    again = read_mspdi(mspdi_bytes(doc))
    assert [t.name for t in again.tasks] == ["Design", "Build & <test>"]
    assert [t.id for t in again.tasks] == ["1", "2"]  # non-numeric ids get UIDs
    (lk,) = again.links
    assert (lk.predecessor, lk.lag, lk.lag_unit) == ("1", -30.0, LagUnit.ELAPSED)
    assert lk.lag_format == "ed"
    assert again.tasks[1].tags == {"Owner": "Ann"}
    assert again.tasks[1].constraint_type == Constraint.SNET


LEVELLED = (
    f'<?xml version="1.0"?><Project xmlns="{NAMESPACE}"><Name>x</Name>'
    "<StartDate>2026-03-02T08:00:00</StartDate><Tasks>"
    "<Task><UID>1</UID><ID>1</ID><Name>A</Name><Duration>PT32H0M0S</Duration></Task>"
    "<Task><UID>2</UID><ID>2</ID><Name>B</Name><Duration>PT8H0M0S</Duration>"
    "<LevelingDelay>{delay}</LevelingDelay><LevelingDelayFormat>{fmt}</LevelingDelayFormat>"
    "<PredecessorLink><PredecessorUID>1</PredecessorUID><Type>1</Type></PredecessorLink>"
    "</Task></Tasks></Project>"
)


@pytest.mark.parametrize(
    ("delay", "fmt", "unit", "start"),
    [
        # 2 elapsed days from Friday 6 March 08:00 (A ends Thursday): Sunday, so Monday 9
        (28800, 8, "ed", datetime(2026, 3, 9, 8)),
        # 2 working days: Friday and Monday, so Tuesday 10
        (9600, 7, "d", datetime(2026, 3, 10, 8)),
        (0, 8, "ed", datetime(2026, 3, 6, 8)),
    ],
)
def test_a_leveling_delay_is_read_scheduled_and_written_back(
    delay: int, fmt: int, unit: str, start: datetime
) -> None:
    doc = read_mspdi(LEVELLED.format(delay=delay, fmt=fmt).encode())
    b = doc.task("2")
    assert (b.levelling_delay, b.levelling_delay_format) == (delay // 10, unit)  # tenths of min
    assert "msp.LevelingDelay" not in b.extra
    assert schedule(to_plan(doc), schedule_options(doc)).task("2").early_start == start
    unlevelled = schedule(to_plan(doc, levelling_delays=False), schedule_options(doc))
    assert unlevelled.task("2").early_start == datetime(2026, 3, 6, 8)
    written = mspdi_bytes(doc).decode()
    assert (
        f"<LevelingDelay>{delay}</LevelingDelay><LevelingDelayFormat>{fmt}</LevelingDelayFormat>"
        in written
    )
    again = read_mspdi(written.encode()).task("2")
    assert (again.levelling_delay, again.levelling_delay_format) == (delay // 10, unit)


# ----------------------------------------------------------------------------------------------
# errors
# ----------------------------------------------------------------------------------------------

MINIMAL = (
    f'<?xml version="1.0"?><Project xmlns="{NAMESPACE}"><Name>x</Name>'
    "<Tasks><Task><UID>1</UID><ID>1</ID><Name>A</Name><Duration>{duration}</Duration></Task>"
    "</Tasks></Project>"
)


def test_a_truncated_file_names_the_line() -> None:
    text = MINIMAL.format(duration="PT8H0M0S").replace("><", ">\n<")
    with pytest.raises(FileFormatError) as err:
        read_mspdi(text[: len(text) // 2].encode(), name="cut.xml")
    assert err.value.location.line is not None and err.value.location.file == "cut.xml"


def test_a_bad_value_names_the_element_and_field() -> None:
    with pytest.raises(FileFormatError) as err:
        read_mspdi(MINIMAL.format(duration="eight hours").encode())
    assert err.value.location.record == "Tasks/Task[1] (UID 1)"
    assert err.value.location.column == "Duration"


def test_other_xml_is_unsupported() -> None:
    with pytest.raises(UnsupportedFormat):
        read_mspdi(b"<?xml version='1.0'?><html><body/></html>")


def test_input_larger_than_max_bytes_is_refused() -> None:
    data = MINIMAL.format(duration="PT8H0M0S").encode()
    with pytest.raises(PayloadTooLarge):
        read_mspdi(data, max_bytes=100)
    with pytest.raises(PayloadTooLarge):
        read_mspdi(io.BytesIO(data), max_bytes=100)
    assert read_mspdi(io.BytesIO(data), max_bytes=len(data)).tasks[0].duration == 480


def test_a_file_without_namespace_is_read() -> None:
    doc = read_mspdi(
        MINIMAL.format(duration="PT8H30M0S").replace(f' xmlns="{NAMESPACE}"', "").encode()
    )
    assert doc.tasks[0].duration == 510
