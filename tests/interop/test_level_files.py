"""Levelling project documents (``pmo.interop.levelling``): real files and small plans."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from pmo.engine.level import LevelOptions
from pmo.engine.plan import LinkType
from pmo.errors import ValidationFailed
from pmo.interop.document import (
    DocAssignment,
    DocLink,
    DocResource,
    DocTask,
    ProjectDocument,
    ProjectProperties,
    ResourceType,
)
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


def test_software_development_plan_has_no_over_allocation_left(shared_dir: Path) -> None:
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
    assert int(task.extra["msp.LevelingDelay"]) > 0


def two_on_alice(**first: str) -> ProjectDocument:
    """Two one-day tasks for Alice (1 unit), both free to start on Monday 2 March 2026."""
    return ProjectDocument(
        project=ProjectProperties(start=MON),
        tasks=(
            DocTask(id="1", name="First", duration=480, extra=first),
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
    doc = two_on_alice(**{"msp.Priority": "1000", "msp.LevelingDelay": "4800"})
    out = level_document(doc, EXACT)
    # First may not move: Second waits one day for Alice, from Monday to Tuesday
    assert [(m.task, m.delay_days, m.resource_name) for m in out.moves] == [("2", 1, "Alice")]
    assert out.dates("2", True) == (datetime(2026, 3, 3, 8), datetime(2026, 3, 3, 17))
    write_mspdi(levelled_document(doc, out), tmp_path / "out.xml")
    back = {t.id: t for t in read_mspdi(tmp_path / "out.xml").tasks}
    assert back["1"].extra["msp.LevelingDelay"] == "0"  # the file's old delay is cleared
    assert back["2"].extra["msp.LevelingDelay"] == "4800"  # 1 day of 480 min, in tenths
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
