"""MPXJ, the library ProjectLibre and most project tools use to read MS Project and P6
files, reads back what pmo writes.

Each sample is read with pmo's reader and written with pmo's writer; MPXJ's own converter
(``MpxjConvert``, run in Java exactly as the ``.mpp`` import runs it) reads that file and
writes it out as MSPDI, which pmo reads again. What MPXJ understood must be what pmo wrote:
the same tasks (ids, names, durations, milestones, constraints) and the same links (ends,
type, lag). Skipped where the ``mpxj`` package or Java is missing (``pip install 'pmo[mpp]'``).
"""

from __future__ import annotations

import subprocess
from collections import Counter
from pathlib import Path

import pytest

from pmo.interop import mpp
from pmo.interop.mspdi import read_mspdi, write_mspdi
from pmo.interop.xer import read_xer, write_xer

SAMPLES = Path(__file__).resolve().parents[2].parent / "shared" / "samples"
AVAILABLE, WHY = mpp.mpxj_status()

pytestmark = [
    pytest.mark.skipif(not SAMPLES.is_dir(), reason="../shared/samples is not present"),
    pytest.mark.skipif(not AVAILABLE, reason=WHY),
]


def mpxj_convert(source: Path, target: Path) -> None:
    """Let MPXJ read ``source`` (format by its content) and write MSPDI to ``target``."""
    lib = mpp._jar_folder()
    assert lib is not None
    converter = mpp._converter(lib)
    java = mpp._java()
    assert converter is not None and java is not None
    done = subprocess.run(
        [
            java,
            "-Djava.awt.headless=true",
            "-Dlog4j2.loggerContextFactory=org.apache.logging.log4j.simple.SimpleLoggerContextFactory",
            "-cp",
            str(lib / "*"),
            converter,
            str(source),
            str(target),
        ],
        capture_output=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0 and target.is_file(), done.stderr.decode()[-2000:]


def mspdi_samples() -> list[Path]:
    return sorted((SAMPLES / "mspdi").glob("*.xml")) if SAMPLES.is_dir() else []


def xer_samples() -> list[Path]:
    return sorted((SAMPLES / "xer").glob("*.xer")) if SAMPLES.is_dir() else []


@pytest.mark.parametrize("sample", mspdi_samples(), ids=lambda p: p.name)
def test_mpxj_reads_back_our_mspdi(sample: Path, tmp_path: Path) -> None:
    ours = read_mspdi(sample)
    written = tmp_path / "pmo.xml"
    write_mspdi(ours, written)
    mpxj_convert(written, tmp_path / "mpxj.xml")
    back = read_mspdi(tmp_path / "mpxj.xml")

    def tasks(doc: object) -> dict[str, tuple[object, ...]]:
        # UID 0 is the project summary row: MPXJ recomputes its summary flag from children
        return {
            t.id: (t.name, t.duration, t.milestone, t.summary, t.constraint_type)
            for t in doc.tasks  # type: ignore[attr-defined]
            if t.id != "0"
        }

    def links(doc: object) -> Counter[tuple[object, ...]]:
        return Counter(
            (k.predecessor, k.successor, k.type, round(k.lag, 3))
            for k in doc.links  # type: ignore[attr-defined]
        )

    assert tasks(back) == tasks(ours)
    assert links(back) == links(ours)
    assert len(back.calendars) >= len({t.calendar for t in ours.tasks if t.calendar})


@pytest.mark.parametrize("sample", xer_samples(), ids=lambda p: p.name)
def test_mpxj_reads_back_our_xer(sample: Path, tmp_path: Path) -> None:
    projects = read_xer(sample)
    written = tmp_path / "pmo.xer"
    write_xer(projects, written)
    mpxj_convert(written, tmp_path / "mpxj.xml")
    back = read_mspdi(tmp_path / "mpxj.xml")
    back_names = Counter(t.name for t in back.tasks if t.name)
    # MPXJ reads one project of a multi-project XER: the one whose activities it shows.
    project = max(projects, key=lambda d: sum(t.name in back_names for t in d.tasks))
    activities = Counter(t.name for t in project.tasks if not t.wbs_node)
    # every activity, under its own name (so in the right encoding); MPXJ adds the WBS
    # elements as tasks of their own
    assert not activities - back_names
    assert len(back.links) == len([k for k in project.links if not k.external])
