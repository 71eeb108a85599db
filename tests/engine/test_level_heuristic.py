"""Properties of the levelling heuristic on PSPLIB instances: every schedule it returns is
feasible by a check written here from the instance data alone, a seed gives the same schedule
again, and the schedule budget (one per SGS pass, Kolisch & Hartmann 2006) is never exceeded."""

from __future__ import annotations

import csv
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from pmo.engine.level import LevelOptions, LevelProblem, level, prepare
from pmo.engine.level_heuristic import (
    _decode,
    is_mirrorable,
    left_justify,
    mirror_arrays,
    run_heuristic,
    sgs_forward,
)
from pmo.errors import ValidationFailed
from pmo.interop.psplib import PsplibInstance, read_sm

PSPLIB = Path(__file__).resolve().parents[2] / ".." / "shared" / "benchmarks" / "psplib"

pytestmark = pytest.mark.skipif(
    not (PSPLIB / "bounds.csv").is_file(), reason="shared PSPLIB data is not present"
)

# low resource strength (hard) and high (easy) instances of each size; j6013_1's best known
# makespan (112) is far above its lower bound, so no run stops early at the bound
INSTANCES = ("j30/j3013_4.sm", "j30/j301_1.sm", "j60/j6013_1.sm", "j60/j6046_7.sm")
HARD = "j60/j6013_1.sm"


def _instance(rel: str) -> tuple[PsplibInstance, LevelProblem]:
    inst = read_sm(PSPLIB / rel)
    problem = LevelProblem.from_successors(
        inst.durations, inst.successors, inst.demands, inst.capacities
    )
    return inst, problem


def _best_known(rel: str) -> int:
    with (PSPLIB / "bounds.csv").open(newline="") as fh:
        return next(int(r["best_known_ub"]) for r in csv.DictReader(fh) if r["file"] == rel)


def _assert_feasible(inst: PsplibInstance, starts: np.ndarray) -> int:
    """Precedence and per-period capacity from the .sm data, without pmo's checker; returns
    the makespan."""
    dur = np.asarray(inst.durations)
    dem = np.asarray(inst.demands)
    cap = np.asarray(inst.capacities)
    assert starts.shape == dur.shape
    assert (starts >= 0).all()
    for j, succs in enumerate(inst.successors):
        for s in succs:
            assert starts[s] >= starts[j] + dur[j], f"job {j + 1} -> job {s + 1}"
    finish = starts + dur
    makespan = int(finish.max())
    usage = np.zeros((makespan + 1, cap.shape[0]), np.int64)
    for j in range(dur.shape[0]):
        usage[starts[j] : finish[j]] += dem[j]
    over = np.argwhere(usage > cap[None, :])
    assert over.size == 0, f"period {over[0][0]} resource {over[0][1]} over capacity"
    return makespan


@pytest.mark.parametrize("rel", INSTANCES)
@pytest.mark.parametrize("seed", [0, 7])
def test_every_schedule_is_feasible(rel: str, seed: int) -> None:
    inst, problem = _instance(rel)
    for budget in (1, 40, 1000):
        r = level(problem, LevelOptions(engine="heuristic", schedules=budget, seed=seed))
        assert _assert_feasible(inst, r.starts) == r.makespan
        assert r.makespan >= _best_known(rel)


def test_same_seed_gives_the_same_schedule() -> None:
    _, problem = _instance(HARD)
    runs = [
        level(problem, LevelOptions(engine="heuristic", schedules=1500, seed=s)) for s in (3, 3)
    ]
    assert np.array_equal(runs[0].starts, runs[1].starts)
    assert runs[0].makespan == runs[1].makespan
    assert runs[0].schedules == runs[1].schedules
    # and the kernels themselves, called without the interface around them
    prep = prepare(problem)
    outs = [
        run_heuristic(
            prep.arrays,
            schedules=1200,
            time_limit=600.0,
            rng=np.random.default_rng(11),
            lower_bound=prep.lower_bound,
        )
        for _ in range(2)
    ]
    assert np.array_equal(outs[0].starts, outs[1].starts)
    assert outs[0].schedules == outs[1].schedules


@pytest.mark.parametrize("budget", [1, 2, 3, 5, 8, 100, 241, 777, 3000])
def test_schedule_budget_is_respected_and_used(budget: int) -> None:
    inst, problem = _instance(HARD)
    prep = prepare(problem)
    h = run_heuristic(
        prep.arrays, schedules=budget, time_limit=600.0, rng=np.random.default_rng(0),
        lower_bound=prep.lower_bound,
    )  # fmt: skip
    assert 1 <= h.schedules <= budget
    # the instance's bound (102) is out of reach, so only the budget stops the search: it
    # stops when a child (one forward pass and two justification passes) no longer fits
    assert h.schedules > budget - 3 if budget <= 240 else h.schedules > budget - 6
    _assert_feasible(inst, h.starts)


def test_a_forward_pass_counts_one_and_a_justified_one_three_at_most() -> None:
    _, problem = _instance(HARD)
    a = prepare(problem).arrays
    lst = np.ascontiguousarray(a.order_free.copy())
    avail = np.empty_like(a.avail0)
    plain = a.start0.copy()
    mk_plain = sgs_forward(
        lst, a.dur, a.release, a.pred_ptr, a.pred_idx, a.pred_dist, a.req_ptr, a.req_res,
        a.req_amt, a.avail0, avail, plain,
    )  # fmt: skip
    common = (
        a.dur, a.release, a.latest, a.pred_ptr, a.pred_idx, a.pred_dist, a.succ_ptr,
        a.succ_idx, a.succ_dist, a.req_ptr, a.req_res, a.req_amt, a.avail0, avail,
        a.order_free, a.fixed_end,
    )  # fmt: skip
    st = a.start0.copy()
    mk0, g0 = _decode(lst.copy(), st, a.start0, 0, *common)
    assert (mk0, g0) == (mk_plain, 1)
    assert np.array_equal(st, plain)
    mk1, g1 = _decode(lst.copy(), st, a.start0, 1, *common)
    assert g1 in (2, 3) and mk1 <= mk_plain  # justification never lengthens a schedule


def test_a_budget_below_one_is_refused() -> None:
    _, problem = _instance("j30/j301_1.sm")
    with pytest.raises(ValidationFailed):
        level(problem, LevelOptions(engine="heuristic", schedules=0))


def test_the_mirror_of_the_mirror_is_the_plan() -> None:
    _, problem = _instance(HARD)
    a = prepare(problem).arrays
    assert is_mirrorable(a)
    m = mirror_arrays(a)
    assert is_mirrorable(m)
    # the mirror's early starts are the plan's latest finishes read backwards
    assert (m.release == a.lft.max() - a.lft).all()
    b = mirror_arrays(m)
    for name in ("pred_ptr", "pred_idx", "pred_dist", "succ_ptr", "succ_idx", "succ_dist"):
        assert np.array_equal(getattr(a, name), getattr(b, name)), name
    assert np.array_equal(a.release, b.release)
    assert np.array_equal(a.lft, b.lft)
    assert np.array_equal(a.order_free, b.order_free)


@pytest.mark.parametrize("mirror_at", [0.0, 0.7])
def test_a_search_moved_to_the_mirror_keeps_budget_and_feasibility(mirror_at: float) -> None:
    inst, problem = _instance(HARD)
    prep = prepare(problem)
    h = run_heuristic(
        prep.arrays, schedules=1500, time_limit=600.0, rng=np.random.default_rng(5),
        lower_bound=prep.lower_bound, mirror_at=mirror_at,
    )  # fmt: skip
    assert 1500 - 6 < h.schedules <= 1500
    assert _assert_feasible(inst, h.starts) == h.makespan
    # brought back to the plan's time axis left-justified, as the forward search leaves it
    assert np.array_equal(left_justify(prep.arrays, h.starts), h.starts)


def test_plans_with_fixed_tasks_releases_or_calendars_are_not_mirrored() -> None:
    _, problem = _instance("j30/j301_1.sm")
    n = problem.n_tasks
    assert is_mirrorable(prepare(problem).arrays)
    fixed = np.zeros(n, np.bool_)
    fixed[1] = True
    variants = [
        replace(problem, fixed=fixed, fixed_start=np.zeros(n, np.int64)),
        replace(problem, release=np.where(np.arange(n) == 2, 5, 0).astype(np.int64)),
        replace(problem, capacity_profile=np.ones((problem.n_resources, 3), np.int64) * 99),
        replace(problem, deadline=np.where(np.arange(n) == 3, 40, -1).astype(np.int64)),
    ]
    for v in variants:
        assert not is_mirrorable(prepare(v).arrays)
