"""All PSPLIB single-mode instances: precedence-only length = the published CPM bound."""

from __future__ import annotations

import csv
from datetime import datetime
from pathlib import Path

import numpy as np
import pytest

from pmo.engine.calendar import Calendar
from pmo.engine.cpm import schedule
from pmo.engine.plan import LinkTable, Plan, TaskTable
from pmo.interop.psplib import read_sm

PSPLIB = Path(__file__).resolve().parents[2] / ".." / "shared" / "benchmarks" / "psplib"
NOT_INSTANCES = {"j30opt.sm", "j60hrs.sm", "j60lb.sm"}


@pytest.mark.skipif(not (PSPLIB / "bounds.csv").is_file(), reason="shared PSPLIB data absent")
def test_all_psplib_instances_match_mpm_time_critical_path() -> None:
    with (PSPLIB / "bounds.csv").open(newline="") as fh:
        rows = [r for r in csv.DictReader(fh) if Path(r["file"]).name not in NOT_INSTANCES]
    assert len(rows) >= 1000
    cal = (Calendar.continuous(),)  # one period = one 24 h day
    start = datetime(2026, 1, 1)
    wrong = []
    for row in rows:
        inst = read_sm(PSPLIB / row["file"])
        pairs = inst.links()
        plan = Plan(
            TaskTable(id=np.arange(inst.n_jobs).astype(str), duration=inst.durations * 1440),
            LinkTable(
                predecessor=pairs[:, 0].copy(),
                successor=pairs[:, 1].copy(),
                type=np.zeros(len(pairs), np.int8),
                lag=np.zeros(len(pairs)),
                lag_unit=np.zeros(len(pairs), np.int8),
            ),
            cal,
            start,
        )
        length = schedule(plan).project_duration // 1440
        if length != int(row["mpm_time_critical_path"]):
            wrong.append((row["file"], length, row["mpm_time_critical_path"]))
    assert not wrong, wrong[:10]
