"""Levelling project documents (``pmo.interop.levelling``): real files and small plans."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from pmo.engine.cpm import schedule
from pmo.engine.level import LevelOptions
from pmo.engine.plan import LinkType
from pmo.errors import ValidationFailed
from pmo.interop.document import (
    Constraint,
    DocAssignment,
    DocLink,
    DocResource,
    DocTask,
    ProjectDocument,
    ProjectProperties,
    ResourceType,
    schedule_options,
    to_plan,
)
from pmo.interop.fidelity import check_fidelity
from pmo.interop.levelling import FileLevelling, level_document, levelled_document
from pmo.interop.mspdi import read_mspdi, write_mspdi

EXACT = LevelOptions(engine="exact", time_limit=20)
MON = datetime(2026, 3, 2, 8)


def overlaps(doc: ProjectDocument, outcome: FileLevelling, proposed: bool) -> int:
    """Independent check: moments where a resource works on more units than it has, with
    every work task as the interval [start, finish) of the schedule."""
    parents = {t.parent for t in doc.tasks}
    cap = {r.id: r.max_units or 1.0 for r in doc.resources}
    events: dict[str, list[tuple[datetime, float]]] = {}
    for a in doc.assignments:
        start, finish = outcome.dates(a.task, proposed)
        if a.task in parents or start is None or finish is None or start >= finish:
            continue
        events.setdefault(a.resource, []).extend([(start, a.units), (finish, -a.units)])
    count = 0
    for rid, evs in events.items():
        used = 0.0
        for _, delta in sorted(evs):
            used += delta
            count += used > cap[rid] + 1e-9
    return count


def test_software_development_plan_has_no_over_allocation_left(
    shared_dir: Path, tmp_path: Path
) -> None:
    path = shared_dir / "samples" / "mspdi" / "aspose__Software-Development-Plan.mspdi.xml"
    doc = read_mspdi(path)
    # MPXJ wrote CanLevel 0 ("can level: no") on every resource of this file
    with pytest.raises(ValidationFailed, match=r"can level: no.*--all-resources"):
        level_document(doc, EXACT)
    out = level_document(doc, EXACT, all_resources=True)
    assert out.built.slots_per_day > 1  # the template's tasks start and end at noon
    assert overlaps(doc, out, proposed=False) > 0
    assert overlaps(doc, out, proposed=True) == 0
    assert out.peak_before is not None and out.peak_after is None
    # every link of the file still holds in the levelled schedule
    checked = 0
    for lk in doc.links:
        a_start, a_finish = out.dates(lk.predecessor, True)
        b_start, b_finish = out.dates(lk.successor, True)
        if None in (a_start, a_finish, b_start, b_finish) or lk.lag:
            continue
        first, then = {
            LinkType.FS: (a_finish, b_start), LinkType.SS: (a_start, b_start),
            LinkType.FF: (a_finish, b_finish), LinkType.SF: (a_start, b_finish),
        }[lk.type]  # fmt: skip
        assert then >= first, lk  # type: ignore[operator]
        checked += 1
    assert checked > 50
    assert out.proposed.project_finish >= out.unlevelled.project_finish
    # written back: the moved tasks' new dates and their levelling delay
    levelled = levelled_document(doc, out)
    waited = next(m for m in out.moves if m.resource_delay_days)
    task = next(t for t in levelled.tasks if t.id == waited.task)
    assert (task.start, task.finish) == out.dates(str(waited.task), True)
    assert task.levelling_delay > 0
    # read back, pmo's scheduler gives every task its levelled dates again (MS Project's
    # leveling delays), and the file's stored schedule is that one
    write_mspdi(levelled, tmp_path / "levelled.xml")
    back = read_mspdi(tmp_path / "levelled.xml")
    assert sum(t.levelling_delay > 0 for t in back.tasks) == sum(
        1 for m in out.moves if m.resource_delay_days
    )
    result = schedule(to_plan(back), schedule_options(back))
    for i, tid in enumerate(result.task_id.tolist()):
        assert (result.start[i], result.finish[i]) == (
            out.proposed.start[i],
            out.proposed.finish[i],
        ), tid
    assert check_fidelity(back).percent_identical == 100.0


def two_on_alice(levelling_delay: int = 0, **first: str) -> ProjectDocument:
    """Two one-day tasks for Alice (1 unit), both free to start on Monday 2 March 2026."""
    return ProjectDocument(
        project=ProjectProperties(start=MON),
        tasks=(
            DocTask(
                id="1",
                name="First",
                duration=480,
                levelling_delay=levelling_delay,
                levelling_delay_format="d" if levelling_delay else "",
                extra=first,
            ),
            DocTask(id="2", name="Second", duration=480),
        ),
        resources=(
            DocResource("A", "Alice"),
            DocResource("S", "Sand", type=ResourceType.MATERIAL, max_units=None),
        ),
        assignments=(
            DocAssignment("a", "1", "A"),
            DocAssignment("b", "2", "A"),
            DocAssignment("c", "1", "S", 5.0),
        ),
        source_format="mspdi",
    )


def test_ms_project_priority_1000_is_never_levelled_and_old_delays_are_cleared(
    tmp_path: Path,
) -> None:
    doc = two_on_alice(480, **{"msp.Priority": "1000"})
    out = level_document(doc, EXACT)
    # First may not move: Second waits one day for Alice, from Monday to Tuesday
    assert [(m.task, m.delay_days, m.resource_name) for m in out.moves] == [("2", 1, "Alice")]
    assert out.dates("2", True) == (datetime(2026, 3, 3, 8), datetime(2026, 3, 3, 17))
    write_mspdi(levelled_document(doc, out), tmp_path / "out.xml")
    back = {t.id: t for t in read_mspdi(tmp_path / "out.xml").tasks}
    assert back["1"].levelling_delay == 0  # the file's old delay is cleared
    assert back["2"].levelling_delay == 480  # 1 day of 480 minutes
    assert back["2"].start == datetime(2026, 3, 3, 8)
    # the material resource (5 units of sand on a 1-unit max) is not levelled
    assert out.built.resource_ids == ["A"]


def test_only_material_resources_means_nothing_to_level() -> None:
    doc = two_on_alice()
    doc = ProjectDocument(
        project=doc.project,
        tasks=doc.tasks,
        resources=doc.resources,
        assignments=(DocAssignment("c", "1", "S", 5.0),),
        links=(DocLink("1", "2"),),
    )
    with pytest.raises(ValidationFailed, match="nothing to level"):
        level_document(doc, EXACT)


def test_a_chain_of_leveling_delays_counts_each_from_its_moved_predecessor(
    tmp_path: Path,
) -> None:
    """Alice: Excavate (3 d, MS Project priority 1000: never levelled) and Yard (1 d); Bob:
    Zinc (1 d) after Yard, and Walls (3 d, priority 1000, start no earlier than Friday 6).
    Unlevelled everything starts Monday 2 March (Walls Friday, Zinc Tuesday). By hand: Yard
    waits for Alice until Thursday 5; Zinc could then start Friday 6 but Bob builds Walls on
    Friday, Monday and Tuesday, so Zinc starts Wednesday 11. MS Project counts a leveling
    delay from the early start the predecessors give: Yard 3 days (from Monday), Zinc 3 days
    (from Friday, after the moved Yard), not its 6-day shift."""
    never = {"msp.Priority": "1000"}
    doc = ProjectDocument(
        project=ProjectProperties(start=MON),
        tasks=(
            DocTask(id="1", name="Excavate", duration=3 * 480, extra=never),
            DocTask(id="2", name="Yard", duration=480),
            DocTask(id="3", name="Zinc", duration=480),
            DocTask(
                id="4",
                name="Walls",
                duration=3 * 480,
                constraint_type=Constraint.SNET,
                constraint_date=datetime(2026, 3, 6, 8),
                extra=never,
            ),
        ),
        links=(DocLink("2", "3"),),
        resources=(DocResource("A", "Alice"), DocResource("B", "Bob")),
        assignments=(
            DocAssignment("a1", "1", "A"),
            DocAssignment("a2", "2", "A"),
            DocAssignment("b3", "3", "B"),
            DocAssignment("b4", "4", "B"),
        ),
        source_format="mspdi",
    )
    out = level_document(doc, EXACT)
    assert {str(m.task): out.shift_days(str(m.task)) for m in out.moves} == {"2": 3, "3": 6}
    assert out.dates("2", True)[0] == datetime(2026, 3, 5, 8)
    assert out.dates("3", True)[0] == datetime(2026, 3, 11, 8)
    write_mspdi(levelled_document(doc, out), tmp_path / "levelled.xml")
    back = read_mspdi(tmp_path / "levelled.xml")
    delays = {t.id: (t.levelling_delay, t.levelling_delay_format) for t in back.tasks}
    assert delays == {"1": (0, ""), "2": (3 * 480, "d"), "3": (3 * 480, "d"), "4": (0, "")}
    # pmo's scheduler applies them: the proposal's dates, links and constraints as they were
    result = schedule(to_plan(back), schedule_options(back))
    for tid in ("1", "2", "3", "4"):
        assert (result.task(tid).early_start, result.task(tid).early_finish) == out.dates(tid, True)
    assert check_fidelity(back).percent_identical == 100.0
