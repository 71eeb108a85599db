"""The demo: a PMO consultancy's three client organisations, generated from a seed.

Everything comes from one ``random.Random(seed)``, so two loads with the same seed hold the
same data (ids aside). The whole demo is built in memory, then written with ``bulk_create``
in one transaction, with one ``AuditEvent`` (action ``create``, username ``demo``) per row.

Schedule results (early/late dates, float, criticality) are left empty: the scheduling
service computes them. Progress and actuals are set as of ``catalogue.STATUS_DATE`` from a
rough forward pass over working days, so started projects look plausible.
"""

from __future__ import annotations

import bisect
import datetime as dt
import itertools
import random
import time
import unicodedata
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, TypeVar

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import Argon2PasswordHasher, check_password
from django.db import transaction
from django.db.models import Model

from pmo.core.models import AuditEvent, Role
from pmo.core.services import snapshot
from pmo.demo import catalogue as cat
from pmo.errors import Conflict
from pmo.finance.models import BudgetLine, CostCategory, CostLine, ExchangeRate, TimesheetEntry
from pmo.governance.models import (
    RAG,
    ChangeRequest,
    Decision,
    LessonLearned,
    StageGate,
    StatusReport,
)
from pmo.orgs.holidays import holiday_exceptions, public_holidays
from pmo.orgs.models import Calendar, CalendarException, Membership, Organisation, standard_week
from pmo.portfolio.models import Portfolio, Program, StrategicObjective
from pmo.projects.models import (
    Baseline,
    BaselineTask,
    ConstraintType,
    Dependency,
    LagUnit,
    LinkType,
    Phase,
    Project,
    Status,
    Task,
)
from pmo.resources.models import Assignment, CostRate, Resource, ResourceSkill, Skill
from pmo.risks.models import Issue, Risk

DEFAULT_SEED = 2026
DAY = 480  # working minutes in a demo day (the Standard calendar)
UTC = dt.UTC
FIRST_START = dt.date(2025, 1, 6)
CENT = Decimal("0.01")

Progress = Callable[[str, int, int], None]
M_ = TypeVar("M_", bound=Model)


def password_for(username: str) -> str:
    """The fixed demo password of a demo user (the demo is public: so are its passwords)."""
    return f"demo-{username}"


@dataclass(frozen=True)
class DemoLogin:
    username: str
    password: str
    name: str
    organisation: str
    role: str
    scope: str


def demo_logins() -> list[DemoLogin]:
    """The demo's users, in display order (the superuser first)."""
    out = [
        DemoLogin(
            "admin", password_for("admin"), "Demo Administrator", "", "Superuser", "everything"
        )
    ]
    for org in cat.ORGS:
        for u in org.users:
            username = f"{org.code}.{u.key}"
            scope = {
                "portfolio": "1 portfolio",
                "delivery": "3 projects",
            }.get(u.key, "whole organisation")
            out.append(
                DemoLogin(
                    username,
                    password_for(username),
                    f"{u.first_name} {u.last_name}",
                    org.code,
                    Role(u.role).label,
                    scope,
                )
            )
    return out


def login_status(logins: Sequence[DemoLogin] | None = None) -> list[tuple[DemoLogin, str]]:
    """Each demo login with its state: ``ok``, ``changed`` (password changed) or ``missing``."""
    logins = list(logins or demo_logins())
    users = {
        u.username: u
        for u in get_user_model().objects.filter(username__in=[x.username for x in logins])
    }
    out = []
    for login in logins:
        user = users.get(login.username)
        if user is None:
            out.append((login, "missing"))
        elif check_password(login.password, user.password):
            out.append((login, "ok"))
        else:
            out.append((login, "changed"))
    return out


def demo_loaded() -> bool:
    return Organisation.objects.filter(code__in=[o.code for o in cat.ORGS]).exists()


class _DemoHasher(Argon2PasswordHasher):
    """Argon2 with light parameters for the public demo passwords.

    The hashes verify with the standard Argon2 hasher, which re-hashes them with its full
    parameters at the first login (Django upgrades outdated hashes).
    """

    time_cost = 1
    memory_cost = 1024
    parallelism = 1


@dataclass
class DemoSummary:
    seed: int
    seconds: float
    counts: dict[str, int]
    logins: list[DemoLogin]


# ---------------------------------------------------------------------------------------
# One project's WBS, links and rough schedule (working minutes from the project start)


@dataclass
class _Node:
    name: str
    kind: str  # "summary", "task" or "milestone"
    parent: int | None
    disc: str = ""
    dur: int = 0
    lag_after: tuple[int, str] | None = None
    children: list[int] = field(default_factory=list)
    es: int = 0
    ef: int = 0
    pct: int = 0
    task: Task | None = None


@dataclass
class _Link:
    pred: int
    succ: int
    type: str
    lag: int
    unit: str


def _lag_in_working_minutes(link: _Link, pred: _Node) -> int:
    if link.unit == LagUnit.PERCENT:
        return pred.dur * link.lag // 100
    if link.unit == LagUnit.ELAPSED:
        return link.lag * 5 * DAY // (7 * 1440)
    return link.lag


class _Wbs:
    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.nodes: list[_Node] = []
        self.links: list[_Link] = []
        self._pairs: set[tuple[int, int]] = set()

    def add(self, node: _Node) -> int:
        self.nodes.append(node)
        index = len(self.nodes) - 1
        if node.parent is not None:
            self.nodes[node.parent].children.append(index)
        return index

    def add_leaf(self, item: cat.T | cat.M, parent: int) -> int:
        if isinstance(item, cat.M):
            return self.add(_Node(item.name, "milestone", parent))
        days = item.days * self.rng.uniform(0.7, 1.4)
        minutes = max(DAY // 2, round(days * 2) * DAY // 2)
        return self.add(_Node(item.name, "task", parent, item.disc, minutes, item.lag_after))

    def link(self, pred: int, succ: int, kind: str, lag: int = 0, unit: str = "working") -> None:
        assert pred < succ, "links go forward in outline order, so the graph is acyclic"
        if (pred, succ) in self._pairs:
            return
        self._pairs.add((pred, succ))
        self.links.append(_Link(pred, succ, kind, lag, unit))

    def random_link(self, pred: int, succ: int) -> None:
        p, s, rng = self.nodes[pred], self.nodes[succ], self.rng
        if p.lag_after:
            self.link(pred, succ, LinkType.FS, *p.lag_after)
            return
        if p.kind == "milestone" or s.kind == "milestone":
            self.link(pred, succ, LinkType.FS)
            return
        r = rng.random()
        if r < 0.76:
            self.link(pred, succ, LinkType.FS)
        elif r < 0.83:
            self.link(pred, succ, LinkType.FS, rng.randint(1, 5) * DAY)
        elif r < 0.88:
            lead = min(rng.randint(1, 3) * DAY, p.dur // 2) // 60 * 60
            self.link(pred, succ, LinkType.FS, -lead)
        elif r < 0.95:
            if rng.random() < 0.25:
                self.link(pred, succ, LinkType.SS, 50, LagUnit.PERCENT)
            else:
                self.link(pred, succ, LinkType.SS, min(rng.randint(1, 4) * DAY, p.dur))
        elif r < 0.985:
            self.link(pred, succ, LinkType.FF, rng.randint(0, 2) * DAY)
        else:
            self.link(pred, succ, LinkType.SF, rng.randint(0, 1) * DAY)

    def chain(self, leaves: list[int], entry: Iterable[int]) -> None:
        for e in entry:
            lag = self.nodes[e].lag_after
            if lag:
                self.link(e, leaves[0], LinkType.FS, *lag)
            elif self.rng.random() < 0.1:
                self.link(e, leaves[0], LinkType.FS, self.rng.randint(1, 3) * DAY)
            else:
                self.link(e, leaves[0], LinkType.FS)
        for a, b in itertools.pairwise(leaves):
            self.random_link(a, b)

    def forward_pass(self) -> int:
        preds: dict[int, list[_Link]] = defaultdict(list)
        for link in self.links:
            preds[link.succ].append(link)
        for i, n in enumerate(self.nodes):
            if n.kind == "summary":
                continue
            es = 0
            for link in preds[i]:
                p = self.nodes[link.pred]
                lag = _lag_in_working_minutes(link, p)
                if link.type == LinkType.FS:
                    es = max(es, p.ef + lag)
                elif link.type == LinkType.SS:
                    es = max(es, p.es + lag)
                elif link.type == LinkType.FF:
                    es = max(es, p.ef + lag - n.dur)
                else:
                    es = max(es, p.es + lag - n.dur)
            n.es, n.ef = es, es + n.dur
        for n in reversed(self.nodes):
            if n.kind == "summary" and n.children:
                n.es = min(self.nodes[c].es for c in n.children)
                n.ef = max(self.nodes[c].ef for c in n.children)
        return max(n.ef for n in self.nodes)


def _build_wbs(
    ptype: cat.ProjectType, units: Sequence[str], n_extra: int, rng: random.Random
) -> _Wbs:
    wbs = _Wbs(rng)
    s_groups = [i for i, g in enumerate(ptype.groups) if isinstance(g, cat.S)]
    extra_by_group: dict[int, list[cat.T]] = defaultdict(list)
    for picked in rng.sample(list(ptype.extras), n_extra):
        extra_by_group[rng.choice(s_groups)].append(picked)
    exits_of: dict[str, list[int]] = {}
    open_groups: list[str] = []
    for gi, group in enumerate(ptype.groups):
        if group.after:
            entry = list(exits_of[group.after])
            if group.after in open_groups:
                open_groups.remove(group.after)
        else:
            entry = [x for name in open_groups for x in exits_of[name]]
            open_groups = []
        top = wbs.add(_Node(group.name, "summary", None))
        if isinstance(group, cat.S):
            items: list[cat.T | cat.M] = list(group.children)
            extra = extra_by_group.get(gi, [])
            at = len(items) - 1 if isinstance(items[-1], cat.M) else len(items)
            items[at:at] = extra
            leaves = [wbs.add_leaf(item, top) for item in items]
            wbs.chain(leaves, entry)
            exits = [leaves[-1]]
        else:
            exits = []
            previous_first: int | None = None
            for unit in units:
                unit_top = wbs.add(_Node(group.unit_name.format(unit=unit), "summary", top))
                leaves = [wbs.add_leaf(item, unit_top) for item in group.children]
                if previous_first is None:
                    wbs.chain(leaves, entry)
                else:
                    stagger = rng.randint(*group.stagger_days) * DAY
                    wbs.link(previous_first, leaves[0], LinkType.SS, stagger)
                    wbs.chain(leaves, [])
                previous_first = leaves[0]
                exits.append(leaves[-1])
        exits_of[group.name] = exits
        open_groups.append(group.name)
    return wbs


def _split_total(
    rng: random.Random, mins: Sequence[int], maxs: Sequence[int], total: int
) -> list[int]:
    """Random sizes within [min, max] that add up to ``total`` exactly."""
    weights = [rng.uniform(0.6, 1.5) for _ in mins]
    scale = total / sum(weights)
    sizes = [min(maxs[i], max(mins[i], round(w * scale))) for i, w in enumerate(weights)]
    order = list(range(len(sizes)))
    while (diff := total - sum(sizes)) != 0:
        rng.shuffle(order)
        step = 1 if diff > 0 else -1
        moved = False
        for i in order:
            if mins[i] <= sizes[i] + step <= maxs[i]:
                sizes[i] += step
                moved = True
                if sum(sizes) == total:
                    break
        if not moved:
            raise ValueError("the task total cannot be split within the limits")
    return sizes


def _ascii(text: str) -> str:
    return (
        (unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower())
        .replace(" ", "")
        .replace("'", "")
    )


def _money(value: float | Decimal) -> Decimal:
    return Decimal(str(value)).quantize(CENT)


def _month_end(day: dt.date) -> dt.date:
    first_next = (day.replace(day=1) + dt.timedelta(days=32)).replace(day=1)
    return first_next - dt.timedelta(days=1)


def _months(start: dt.date, end: dt.date) -> list[dt.date]:
    """First days of the months from ``start``'s to ``end``'s."""
    out = []
    day = start.replace(day=1)
    while day <= end:
        out.append(day)
        day = (day + dt.timedelta(days=32)).replace(day=1)
    return out


# ---------------------------------------------------------------------------------------
# The organisation-level builder


@dataclass
class _ProjectPlan:
    spec_name: str
    ptype: cat.ProjectType
    program: Program | None
    units: list[str]
    wbs: _Wbs | None = None
    project: Project | None = None
    phase: str = ""
    status: str = ""
    start_index: int = 0
    progress: float = 0.0
    labour_cost: Decimal = Decimal(0)


class _Workdays:
    """The working days of an organisation's Standard calendar, by index."""

    def __init__(self, holidays: set[dt.date]) -> None:
        day, end = dt.date(2024, 12, 2), dt.date(2030, 12, 31)
        self.days: list[dt.date] = []
        while day <= end:
            if day.weekday() < 5 and day not in holidays:
                self.days.append(day)
            day += dt.timedelta(days=1)

    def index(self, day: dt.date) -> int:
        return bisect.bisect_left(self.days, day)

    def at(self, index: int) -> dt.date:
        return self.days[min(max(index, 0), len(self.days) - 1)]

    def start_of(self, start_index: int, minute: int) -> dt.datetime:
        day = self.at(start_index + minute // DAY)
        hour = 8 if minute % DAY < DAY // 2 else 13
        return dt.datetime.combine(day, dt.time(hour), tzinfo=UTC)

    def finish_of(self, start_index: int, minute: int) -> dt.datetime:
        if minute <= 0:
            return self.start_of(start_index, 0)
        day = self.at(start_index + (minute - 1) // DAY)
        hour = 17 if minute % DAY == 0 or minute % DAY > DAY // 2 else 12
        return dt.datetime.combine(day, dt.time(hour), tzinfo=UTC)


class _Demo:
    def __init__(self, seed: int) -> None:
        self.seed = seed
        self.rng = random.Random(seed)
        self.rows: dict[type[Model], list[Model]] = defaultdict(list)
        self.users: dict[str, Any] = {}
        self.user_org: dict[str, Organisation] = {}
        self.m2m: list[tuple[Model, list[StrategicObjective]]] = []
        self.baseline_saved_at: list[tuple[Baseline, dt.datetime]] = []
        # Unsaved model instances are unhashable: these maps are keyed by id(instance).
        self.task_depth: dict[int, int] = {}
        self.assignments_of: dict[int, list[Assignment]] = defaultdict(list)
        self.cancelled_done = False

    def add(self, obj: M_) -> M_:
        self.rows[type(obj)].append(obj)
        return obj

    # -- users ---------------------------------------------------------------------------
    def make_users(self) -> None:
        User = get_user_model()
        hasher = _DemoHasher()
        existing = {u.username: u for u in User.objects.filter(username__in=self._usernames())}
        admin = existing.get("admin")
        if admin is None:
            admin = User(
                username="admin",
                first_name="Demo",
                last_name="Administrator",
                email="admin@pmo.example",
                is_staff=True,
                is_superuser=True,
                password=hasher.encode(password_for("admin"), hasher.salt()),
            )
            self.add(admin)
        self.users["admin"] = admin
        for org in cat.ORGS:
            for u in org.users:
                username = f"{org.code}.{u.key}"
                user = existing.get(username)
                if user is None:
                    user = User(
                        username=username,
                        first_name=u.first_name,
                        last_name=u.last_name,
                        email=f"{_ascii(u.first_name)}.{_ascii(u.last_name)}@{org.domain}",
                        password=hasher.encode(password_for(username), hasher.salt()),
                    )
                    self.add(user)
                self.users[username] = user

    @staticmethod
    def _usernames() -> list[str]:
        return ["admin"] + [f"{o.code}.{u.key}" for o in cat.ORGS for u in o.users]

    # -- one organisation ------------------------------------------------------------------
    def build_org(self, spec: cat.OrgSpec, plans: list[_ProjectPlan]) -> None:
        rng = self.rng
        org = self.add(
            Organisation(
                code=spec.code, name=spec.name, country=spec.country, currency=spec.currency
            )
        )
        self.org = org
        self.spec = spec
        for u in spec.users:
            self.user_org[f"{spec.code}.{u.key}"] = org
        standard = self.add(Calendar(organisation=org, name="Standard", country=spec.country))
        self.calendars = {"standard": standard}
        if spec.site_calendar:
            site_week = standard_week()
            site_week[5] = [[480, 720], [780, 1020]]
            self.calendars["site"] = self.add(
                Calendar(
                    organisation=org,
                    name="Site works (Mon–Sat)",
                    country=spec.country,
                    working_week=site_week,
                    minutes_per_week=2880,
                )
            )
        holidays = {d for d, _ in public_holidays(spec.country, cat.HOLIDAY_YEARS)}
        self.workdays = _Workdays(holidays)

        # Strategy and structure
        objectives: dict[str, StrategicObjective] = {}
        for i, (code, name, parent) in enumerate(spec.objectives):
            objectives[code] = self.add(
                StrategicObjective(
                    organisation=org,
                    code=code,
                    name=name,
                    description=f"{name}. Owned by the executive committee.",
                    weight=Decimal(rng.choice([10, 15, 20, 25, 30])),
                    parent=objectives[parent] if parent else None,
                    target_date=dt.date(2027 + i % 3, 12, 31),
                )
            )
        self.objectives = list(objectives.values())
        top_objectives = [o for o in self.objectives if o.parent is None]
        users = self.users
        pf_code, pf_name, pf_description = spec.portfolio
        portfolio = self.add(
            Portfolio(
                organisation=org,
                code=pf_code,
                name=pf_name,
                description=pf_description,
                manager=users[f"{spec.code}.portfolio"],
                currency=spec.currency,
            )
        )
        self.portfolio = portfolio
        self.m2m.append((portfolio, top_objectives))
        plan_specs: list[tuple[str, str, Program | None]] = []
        self.programs: list[Program] = []
        for pg in spec.programs:
            program = self.add(
                Program(
                    organisation=org,
                    portfolio=portfolio,
                    code=pg.code,
                    name=pg.name,
                    description=pg.description,
                    manager=users[f"{spec.code}.portfolio"],
                )
            )
            self.programs.append(program)
            self.m2m.append((program, rng.sample(self.objectives, rng.randint(1, 2))))
            plan_specs.extend((name, kind, program) for name, kind in pg.projects)
        plan_specs.extend((name, kind, None) for name, kind in spec.standalone)
        for project_name, kind, in_program in plan_specs:
            plans.append(_ProjectPlan(project_name, cat.PROJECT_TYPES[kind], in_program, []))

    def build_resources(self, spec: cat.OrgSpec) -> None:
        rng, org = self.rng, self.org
        skills = {
            disc: self.add(
                Skill(organisation=org, name=name, description=f"{name} skills and experience.")
            )
            for disc, name in cat.DISCIPLINES.items()
        }
        self.people: dict[str, list[Resource]] = defaultdict(list)
        self.pools: dict[str, list[Resource]] = defaultdict(list)
        self.equipment: dict[str, list[Resource]] = defaultdict(list)
        self.rate: dict[int, Decimal] = {}  # by id(resource)
        self.user_resource: dict[str, Resource] = {}
        calendar = self.calendars["standard"]
        user_by_disc: dict[str, list[cat.UserSpec]] = defaultdict(list)
        for us in spec.users:
            if us.discipline:
                user_by_disc[us.discipline].append(us)
        used_names: set[str] = set()
        n = 0

        def rates(base: float) -> tuple[Decimal, Decimal]:
            r0 = Decimal(round(base * spec.rate_factor * rng.uniform(0.9, 1.15)))
            return r0, (r0 * Decimal("1.03")).quantize(Decimal(1))

        for disc, count in cat.PEOPLE_MIX.items():
            for k in range(count):
                n += 1
                user = None
                if k < len(user_by_disc[disc]):
                    us = user_by_disc[disc][k]
                    first, last = us.first_name, us.last_name
                    user = self.users[f"{spec.code}.{us.key}"]
                else:
                    while True:
                        first = rng.choice(spec.first_names)
                        last = rng.choice(spec.last_names)
                        if f"{first} {last}" not in used_names:
                            break
                used_names.add(f"{first} {last}")
                r0, r1 = rates(cat.HOURLY_RATE[disc])
                res = self.add(
                    Resource(
                        organisation=org,
                        code=f"P-{n:03d}",
                        name=f"{first} {last}",
                        kind=Resource.Kind.PERSON,
                        user=user,
                        email=f"{_ascii(first)}.{_ascii(last)}@{spec.domain}",
                        calendar=calendar,
                        max_units=Decimal(rng.choices(["1.00", "0.80", "0.50"], [7, 2, 1])[0]),
                        standard_rate=r1,
                        currency=spec.currency,
                    )
                )
                if user is not None:
                    self.user_resource[user.username] = res
                self.people[disc].append(res)
                self._rates(res, r0, r1, Decimal(0))
                self.add(
                    ResourceSkill(resource=res, skill=skills[disc], proficiency=rng.randint(3, 5))
                )
                others = [d for d in cat.DISCIPLINES if d != disc]
                for other in rng.sample(others, rng.randint(0, 3)):
                    self.add(
                        ResourceSkill(
                            resource=res, skill=skills[other], proficiency=rng.randint(1, 4)
                        )
                    )
        for i, (name, disc, units, rate) in enumerate(cat.ROLES, 1):
            r0, r1 = rates(rate)
            res = self.add(
                Resource(
                    organisation=org,
                    code=f"ROLE-{i:02d}",
                    name=name,
                    kind=Resource.Kind.ROLE,
                    calendar=calendar,
                    max_units=Decimal(units),
                    standard_rate=r1,
                    currency=spec.currency,
                )
            )
            self.pools[disc].append(res)
            self._rates(res, r0, r1, Decimal(0))
            self.add(ResourceSkill(resource=res, skill=skills[disc], proficiency=3))
        for i, (name, disc, units, rate, per_use) in enumerate(cat.EQUIPMENT, 1):
            r0, r1 = rates(rate)
            res = self.add(
                Resource(
                    organisation=org,
                    code=f"EQ-{i:02d}",
                    name=name,
                    kind=Resource.Kind.EQUIPMENT,
                    max_units=Decimal(units),
                    standard_rate=r1,
                    currency=spec.currency,
                )
            )
            self.equipment[disc].append(res)
            self._rates(res, r0, r1, Decimal(per_use))

    def _rates(self, res: Resource, r0: Decimal, r1: Decimal, per_use: Decimal) -> None:
        self.rate[id(res)] = r1
        for day, rate in ((dt.date(2025, 1, 1), r0), (dt.date(2026, 1, 1), r1)):
            self.add(
                CostRate(
                    organisation=self.org,
                    resource=res,
                    effective_from=day,
                    standard_rate=_money(rate),
                    overtime_rate=_money(rate * Decimal("1.5")),
                    cost_per_use=_money(per_use),
                )
            )

    # -- projects ----------------------------------------------------------------------------
    def plan_projects(self, plans: list[_ProjectPlan], targets: list[int]) -> None:
        """WBS and links of every project, then phases and planned starts."""
        rng = self.rng
        for plan, target in zip(plans, targets, strict=True):
            block = plan.ptype.block()
            size = 1 + len(block.children)
            n_units, n_extra = divmod(target - plan.ptype.count_base(), size)
            plan.units = self._units(plan.ptype.unit_kind, n_units)
            plan.wbs = _build_wbs(plan.ptype, plan.units, n_extra, rng)
            assert len(plan.wbs.nodes) == target
            plan.wbs.forward_pass()

    def _units(self, kind: str, n: int) -> list[str]:
        if kind == "levels":
            names = ["Basement", "Ground floor"] + [f"Level {i}" for i in range(1, n)]
            return names[:n]
        if kind == "waves":
            return [f"Migration wave {i}" for i in range(1, n + 1)]
        pool = list(cat.ERP_MODULES if kind == "modules" else self.spec_units(kind))
        picked = self.rng.sample(pool, min(n, len(pool)))
        while len(picked) < n:
            picked.append(f"{pool[len(picked) % len(pool)]} (phase 2)")
        return picked

    def spec_units(self, kind: str) -> tuple[str, ...]:
        return self.spec.units[kind]


def _phase_dates(rng: random.Random, workdays: _Workdays, phase: str, duration_minutes: int) -> int:
    """The start (a workday index) of a project in ``phase`` as of the status date."""
    days = duration_minutes // DAY + 1
    today = workdays.index(cat.STATUS_DATE)
    first = workdays.index(FIRST_START)
    if phase == Phase.CLOSED:
        latest = today - 22 - days
        start = rng.randint(first, max(first, latest))
    elif phase == Phase.CLOSING:
        start = today - round(days * rng.uniform(0.9, 0.97))
    elif phase == Phase.EXECUTION:
        start = today - round(days * rng.uniform(0.15, 0.8))
    elif phase == Phase.PLANNING:
        start = today + rng.randint(15, 80)
    elif phase == Phase.INITIATION:
        start = today + rng.randint(65, 180)
    else:
        start = today + rng.randint(140, 280)
    start = max(first, start)
    while workdays.at(start).weekday() != 0:  # projects start on a Monday
        start += 1
    return start


_STATUS_WEIGHTS: dict[str, tuple[list[str], list[int]]] = {
    Phase.EXECUTION: (
        [Status.ON_TRACK, Status.AT_RISK, Status.OFF_TRACK, Status.ON_HOLD],
        [50, 30, 15, 5],
    ),
    Phase.CLOSING: ([Status.ON_TRACK, Status.AT_RISK], [70, 30]),
}
_PROGRESS_FACTOR: dict[str, float] = {
    Status.ON_TRACK: 1.0,
    Status.AT_RISK: 0.88,
    Status.OFF_TRACK: 0.74,
    Status.ON_HOLD: 0.6,
}
_PHASE_ORDER = [p.value for p in Phase]
_COST_VARIANCE: dict[str, float] = {
    Status.AT_RISK: 1.08,
    Status.OFF_TRACK: 1.18,
    Status.CANCELLED: 1.05,
}
_SEVERITY: dict[str, int] = {
    Status.ON_TRACK: 0,
    Status.AT_RISK: 1,
    Status.OFF_TRACK: 2,
    Status.ON_HOLD: 1,
    Status.COMPLETED: 0,
    Status.CANCELLED: 2,
}


def _build(seed: int, progress: Progress | None) -> _Demo:
    demo = _Demo(seed)
    rng = demo.rng
    demo.make_users()
    # Task counts: TOTAL_TASKS in all, split over the 40 projects; phases shuffled.
    kinds = [
        cat.PROJECT_TYPES[kind]
        for spec in cat.ORGS
        for _, kind in [*(p for pg in spec.programs for p in pg.projects), *spec.standalone]
    ]
    mins = [t.count_base() + 2 * (1 + len(t.block().children)) for t in kinds]
    sizes = _split_total(rng, mins, [150] * len(kinds), cat.TOTAL_TASKS)
    phases = [phase for phase, n in cat.PHASE_MIX.items() for _ in range(n)]
    rng.shuffle(phases)
    assert len(phases) == len(kinds) == 40
    k = 0
    for spec in cat.ORGS:
        plans: list[_ProjectPlan] = []
        demo.build_org(spec, plans)
        demo.build_resources(spec)
        demo.plan_projects(plans, sizes[k : k + len(plans)])
        for plan in plans:
            plan.phase = phases[k]
            k += 1
        _build_projects(demo, spec, plans)
        if progress:
            progress("Generating", k, len(kinds))
    return demo


def _build_projects(demo: _Demo, spec: cat.OrgSpec, plans: list[_ProjectPlan]) -> None:
    rng, org, wd = demo.rng, demo.org, demo.workdays
    u = demo.users
    prefix = spec.code[:3].upper()
    delivery_projects = set(rng.sample(range(len(plans)), 3))
    counters: dict[str, int] = defaultdict(int)

    def code(kind: str) -> str:
        counters[kind] += 1
        return f"{kind}-{counters[kind]:03d}"

    for i, plan in enumerate(plans):
        assert plan.wbs is not None
        wbs, ptype = plan.wbs, plan.ptype
        duration = max(n.ef for n in wbs.nodes)
        plan.start_index = _phase_dates(rng, wd, plan.phase, duration)
        if plan.phase in _STATUS_WEIGHTS:
            names, weights = _STATUS_WEIGHTS[plan.phase]
            plan.status = rng.choices(names, weights)[0]
        elif plan.phase == Phase.CLOSED:
            plan.status = Status.COMPLETED
            if not demo.cancelled_done:
                plan.status = Status.CANCELLED
                demo.cancelled_done = True
        else:
            plan.status = Status.ON_HOLD if rng.random() < 0.08 else Status.ON_TRACK
        today = wd.index(cat.STATUS_DATE)
        elapsed = (today - plan.start_index) * DAY
        if plan.status == Status.COMPLETED:
            plan.progress = float("inf")
        elif plan.status == Status.CANCELLED:
            plan.progress = duration * 0.45
        elif elapsed <= 0:
            plan.progress = 0
        else:
            plan.progress = elapsed * _PROGRESS_FACTOR.get(plan.status, 1.0)
        start_day = wd.at(plan.start_index)
        finish = wd.finish_of(plan.start_index, duration).date()
        manager = u[f"{spec.code}.delivery" if i in delivery_projects else f"{spec.code}.pm"]
        calendar = demo.calendars["standard"]
        if ptype.key == "construction" and "site" in demo.calendars:
            calendar = demo.calendars["site"]
        program_name = plan.program.name if plan.program else "no program"
        unit_list = ", ".join(plan.units[:4]) + ("…" if len(plan.units) > 4 else "")
        project = demo.add(
            Project(
                organisation=org,
                portfolio=demo.portfolio,
                program=plan.program,
                code=f"{prefix}-{i + 1:03d}",
                name=plan.spec_name,
                description=(
                    f"{ptype.label} ({program_name}). {len(plan.units)} "
                    f"{ptype.unit_kind}: {unit_list}."
                ),
                sponsor=rng.choice(spec.sponsors),
                manager=manager,
                phase=plan.phase,
                status=plan.status,
                priority=rng.choice(range(300, 951, 50)),
                planned_start=start_day,
                planned_finish=finish,
                status_date=(
                    cat.STATUS_DATE
                    if plan.phase in (Phase.EXECUTION, Phase.CLOSING)
                    or plan.status == Status.CANCELLED
                    else (finish if plan.phase == Phase.CLOSED else None)
                ),
                currency=spec.currency,
                calendar=calendar,
            )
        )
        plan.project = project
        demo.m2m.append((project, rng.sample(demo.objectives, rng.randint(1, 2))))
        if i in delivery_projects:
            demo.add(
                Membership(
                    user=manager,
                    organisation=org,
                    role=Role.PROJECT_MANAGER,
                    project=project,
                )
            )
        _make_tasks(demo, plan)
        _assign(demo, plan, manager)
        _project_money(demo, plan)
        _governance(demo, plan, code, manager)
    _cross_project_links(demo, plans)
    _timesheets(demo, plans)
    _org_level(demo, spec, plans, code)


def _make_tasks(demo: _Demo, plan: _ProjectPlan) -> None:
    assert plan.wbs is not None and plan.project is not None
    rng, wd, org = demo.rng, demo.workdays, demo.org
    nodes = plan.wbs.nodes
    done_by = plan.progress
    counters: dict[int | None, int] = defaultdict(int)
    wbs_code: dict[int, str] = {}
    depth: dict[int, int] = {}
    for i, n in enumerate(nodes):
        counters[n.parent] += 1
        prefix = f"{wbs_code[n.parent]}." if n.parent is not None else ""
        wbs_code[i] = f"{prefix}{counters[n.parent]}"
        depth[i] = 0 if n.parent is None else depth[n.parent] + 1
        if n.kind != "summary":
            if n.ef <= done_by and (n.dur > 0 or n.es < done_by):
                n.pct = 100
            elif n.es < done_by:
                n.pct = min(99, max(1, int((done_by - n.es) * 100 / max(n.dur, 1))))
    for n in reversed(nodes):  # roll progress up, weighted by duration
        if n.kind == "summary" and n.children:
            kids = [nodes[c] for c in n.children]
            total = sum(max(k.dur, 1) for k in kids)
            n.pct = round(sum(k.pct * max(k.dur, 1) for k in kids) / total)
            if any(k.pct > 0 for k in kids) and n.pct == 0:
                n.pct = 1
    last_milestone = max(i for i, n in enumerate(nodes) if n.kind == "milestone")
    not_started = [i for i, n in enumerate(nodes) if n.kind == "task" and n.pct == 0]
    snet = set(rng.sample(not_started, min(len(not_started), rng.randint(0, 2))))
    for i, n in enumerate(nodes):
        start_dt = wd.start_of(plan.start_index, n.es)
        finish_dt = wd.finish_of(plan.start_index, n.ef) if n.dur else start_dt
        actual_start = actual_finish = None
        remaining = None
        if n.pct > 0 and n.kind != "summary":  # summaries: from their children, below
            actual_start = start_dt
            if n.pct == 100:
                actual_finish = finish_dt
                remaining = 0
            else:
                remaining = n.dur * (100 - n.pct) // 100 // 60 * 60
        constraint, constraint_date, deadline = ConstraintType.ASAP, None, None
        if i in snet:
            constraint, constraint_date = ConstraintType.SNET, start_dt
        if n.name == "Planning permission granted":
            constraint, constraint_date = ConstraintType.SNET, start_dt
        if n.name == "Regulatory deadline met":
            constraint = ConstraintType.FNLT
            constraint_date = finish_dt + dt.timedelta(days=14)
            deadline = finish_dt + dt.timedelta(days=7)
        if i == last_milestone and rng.random() < 0.5:
            deadline = dt.datetime.combine(
                finish_dt.date() + dt.timedelta(days=rng.randint(0, 20)), dt.time(17), tzinfo=UTC
            )
        if n.name == "Lessons learned workshop" and rng.random() < 0.5:
            constraint = ConstraintType.ALAP
        task = Task(
            organisation=org,
            project=plan.project,
            parent=nodes[n.parent].task if n.parent is not None else None,
            position=i + 1,
            wbs=wbs_code[i],
            name=n.name,
            is_milestone=n.kind == "milestone",
            is_summary=n.kind == "summary",
            duration_minutes=n.dur,
            constraint_type=constraint,
            constraint_date=constraint_date,
            deadline=deadline,
            percent_complete=n.pct,
            actual_start=actual_start,
            actual_finish=actual_finish,
            remaining_minutes=remaining,
            notes="",
        )
        n.task = demo.add(task)
        demo.task_depth[id(task)] = depth[i]
    for n in reversed(nodes):  # summaries' actual dates from their children
        if n.kind == "summary" and n.task is not None and n.pct > 0:
            child_tasks = [nodes[c].task for c in n.children]
            starts = [k.actual_start for k in child_tasks if k is not None and k.actual_start]
            n.task.actual_start = min(starts) if starts else None
            if n.pct == 100:
                finishes = [
                    k.actual_finish for k in child_tasks if k is not None and k.actual_finish
                ]
                n.task.actual_finish = max(finishes) if finishes else None
    for link in plan.wbs.links:
        pred, succ = nodes[link.pred].task, nodes[link.succ].task
        demo.add(
            Dependency(
                organisation=org,
                predecessor=pred,
                successor=succ,
                type=link.type,
                lag=link.lag,
                lag_unit=link.unit,
            )
        )


_FALLBACK_DISC = {"legal": "comp"}


def _assign(demo: _Demo, plan: _ProjectPlan, manager: Any) -> None:
    assert plan.wbs is not None
    rng, org = demo.rng, demo.org
    manager_resource = demo.user_resource.get(manager.username)
    labour = Decimal(0)
    for n in plan.wbs.nodes:
        if n.kind != "task" or n.task is None:
            continue
        disc = n.disc if demo.people.get(n.disc) else _FALLBACK_DISC.get(n.disc, "pm")
        chosen: list[tuple[Resource, Decimal]] = []
        if disc == "pm" and manager_resource is not None:
            chosen.append((manager_resource, Decimal("0.50")))
        elif demo.pools.get(disc) and rng.random() < 0.25:
            chosen.append((demo.pools[disc][0], Decimal(rng.choice(["1.00", "2.00", "3.00"]))))
        else:
            units = Decimal("1.00") if rng.random() < 0.75 else Decimal("0.50")
            chosen.append((rng.choice(demo.people[disc]), units))
        if rng.random() < 0.25 and len(demo.people[disc]) > 1:
            other = rng.choice(demo.people[disc])
            if all(other is not r for r, _ in chosen):
                chosen.append((other, Decimal("0.50")))
        if demo.equipment.get(disc) and rng.random() < 0.3:
            chosen.append((demo.equipment[disc][0], Decimal("1.00")))
        for res, units in chosen:
            work = int(n.dur * units)
            labour += demo.rate[id(res)] * Decimal(work) / 60
            assignment = demo.add(
                Assignment(
                    organisation=org,
                    task=n.task,
                    resource=res,
                    units=units,
                    work_minutes=work,
                    actual_work_minutes=work * n.pct // 100,
                )
            )
            demo.assignments_of[id(n.task)].append(assignment)
    plan.labour_cost = labour.quantize(CENT)


def _project_money(demo: _Demo, plan: _ProjectPlan) -> None:
    """Budget and budget lines, planned and actual cost lines, the baseline."""
    assert plan.wbs is not None and plan.project is not None
    rng, org, wd, project = demo.rng, demo.org, demo.workdays, plan.project
    ptype, nodes = plan.ptype, plan.wbs.nodes
    labour = plan.labour_cost
    material = _money(float(labour) * ptype.material_factor * rng.uniform(0.8, 1.2))
    services = _money(float(labour) * ptype.services_factor * rng.uniform(0.8, 1.2))
    contingency = _money((labour + material + services) * Decimal("0.10"))
    total = labour + material + services + contingency
    budget = (total / 1000).quantize(Decimal(1)) * 1000
    contingency += budget - total
    project.budget = _money(budget)
    start = project.planned_start
    finish = project.planned_finish
    assert start is not None and finish is not None
    quarters = [m for m in _months(start, finish) if m.month in (1, 4, 7, 10)] or [
        start.replace(day=1)
    ]
    for category, amount in (
        (CostCategory.LABOUR, labour),
        (CostCategory.MATERIAL, material),
        (CostCategory.SERVICES, services),
        (CostCategory.CONTINGENCY, contingency),
    ):
        share = _money(amount / len(quarters))
        for qi, month in enumerate(quarters):
            value = share if qi < len(quarters) - 1 else amount - share * (len(quarters) - 1)
            demo.add(
                BudgetLine(
                    organisation=org,
                    project=project,
                    category=category,
                    month=month,
                    amount=value,
                    currency=project.currency,
                )
            )
    # Planned fixed costs at milestones; the ones before the status date were incurred.
    milestones = [n for n in nodes if n.kind == "milestone" and n.task is not None]
    purchases = rng.sample(milestones, min(len(milestones), rng.randint(2, 4)))
    purchases.sort(key=lambda n: n.es)
    fixed = material + services
    variance = _COST_VARIANCE.get(plan.status, 1.0)
    for pi, n in enumerate(purchases):
        amount = _money(fixed / len(purchases))
        category = CostCategory.MATERIAL if pi % 2 == 0 else CostCategory.SERVICES
        day = wd.finish_of(plan.start_index, n.ef).date()
        description = {
            "construction": "Construction materials and subcontract package",
            "it_rollout": "Hardware and software licences",
            "erp_migration": "Implementation partner services",
            "cloud_migration": "Cloud consumption and migration services",
            "product_launch": "Agency fees and production",
            "compliance": "Advisory and audit services",
        }[ptype.key]
        demo.add(
            CostLine(
                organisation=org,
                project=project,
                task=n.task,
                kind=CostLine.Kind.PLANNED,
                category=category,
                date=day,
                amount=amount,
                currency=project.currency,
                description=f"{description} ({pi + 1}/{len(purchases)})",
                source="plan",
            )
        )
        if n.pct == 100 and day <= cat.STATUS_DATE:
            demo.add(
                CostLine(
                    organisation=org,
                    project=project,
                    task=n.task,
                    kind=CostLine.Kind.ACTUAL,
                    category=category,
                    date=day + dt.timedelta(days=rng.randint(5, 25)),
                    amount=_money(float(amount) * variance * rng.uniform(0.95, 1.05)),
                    currency=project.currency,
                    description=description,
                    source="finance import",
                    reference=f"AP-{rng.randint(100000, 999999)}",
                )
            )
    # Actual labour by month, from approved timesheets.
    done = [n for n in nodes if n.kind == "task" and n.pct > 0]
    if done:
        earned = sum(
            (
                demo.rate[id(a.resource)] * Decimal(a.work_minutes) / 60 * Decimal(n.pct) / 100
                for n in done
                for a in _assignments_of(demo, n.task)
            ),
            Decimal(0),
        )
        last = min(cat.STATUS_DATE, finish)
        months = _months(start, last)
        share = earned / len(months)
        for month in months:
            demo.add(
                CostLine(
                    organisation=org,
                    project=project,
                    kind=CostLine.Kind.ACTUAL,
                    category=CostCategory.LABOUR,
                    date=min(_month_end(month), last),
                    amount=_money(float(share) * variance * rng.uniform(0.9, 1.1)),
                    currency=project.currency,
                    description=f"Labour {month:%B %Y}",
                    source="timesheets",
                    reference=f"JV-{month:%Y%m}-{project.code}",
                )
            )
    # The baseline, saved when the plan was approved.
    if plan.phase in (Phase.EXECUTION, Phase.CLOSING, Phase.CLOSED):
        baseline = demo.add(
            Baseline(
                organisation=org,
                project=project,
                number=0,
                name="Baseline",
                saved_by=project.manager,
            )
        )
        saved = dt.datetime.combine(start - dt.timedelta(days=7), dt.time(10), tzinfo=UTC)
        demo.baseline_saved_at.append((baseline, saved))
        work: dict[int, int] = defaultdict(int)
        cost: dict[int, Decimal] = defaultdict(Decimal)
        for i in range(len(nodes) - 1, -1, -1):
            n = nodes[i]
            if n.kind != "summary":
                for a in _assignments_of(demo, n.task):
                    work[i] += a.work_minutes
                    cost[i] += demo.rate[id(a.resource)] * Decimal(a.work_minutes) / 60
            if n.parent is not None:
                work[n.parent] += work[i]
                cost[n.parent] += cost[i]
        for i, n in enumerate(nodes):
            demo.add(
                BaselineTask(
                    baseline=baseline,
                    task=n.task,
                    start=wd.start_of(plan.start_index, n.es),
                    finish=wd.finish_of(plan.start_index, n.ef)
                    if n.ef > n.es
                    else wd.start_of(plan.start_index, n.es),
                    duration_minutes=n.dur if n.kind != "summary" else n.ef - n.es,
                    work_minutes=work[i],
                    cost=_money(cost[i]),
                )
            )


def _assignments_of(demo: _Demo, task: Task | None) -> list[Assignment]:
    return demo.assignments_of.get(id(task), [])


def _governance(demo: _Demo, plan: _ProjectPlan, code: Callable[[str], str], manager: Any) -> None:
    """Risks, issues, change requests, decisions, gates, status reports, lessons."""
    assert plan.wbs is not None and plan.project is not None
    rng, org, wd, project = demo.rng, demo.org, demo.workdays, plan.project
    nodes, status, phase = plan.wbs.nodes, plan.status, plan.phase
    start, finish = project.planned_start, project.planned_finish
    assert start is not None and finish is not None
    budget = float(project.budget)
    started = phase in (Phase.EXECUTION, Phase.CLOSING, Phase.CLOSED)
    leaves = [n for n in nodes if n.kind == "task"]

    catalogue = list(plan.ptype.risks) + list(cat.GENERIC_RISKS)
    for title, category, plan_text in rng.sample(catalogue, rng.randint(3, 7)):
        likely = budget * rng.uniform(0.005, 0.05)
        days = rng.randint(3, 30)
        if phase == Phase.CLOSED:
            state = Risk.State.CLOSED
        elif started:
            state = rng.choices(
                [Risk.State.OPEN, Risk.State.MITIGATING, Risk.State.OCCURRED, Risk.State.CLOSED],
                [40, 35, 10, 15],
            )[0]
        else:
            state = Risk.State.OPEN
        opportunity = category == "Opportunity"
        response = (
            Risk.Response.EXPLOIT
            if opportunity
            else rng.choices(
                [
                    Risk.Response.MITIGATE,
                    Risk.Response.AVOID,
                    Risk.Response.TRANSFER,
                    Risk.Response.ACCEPT,
                    Risk.Response.ESCALATE,
                ],
                [55, 10, 10, 20, 5],
            )[0]
        )
        low, high = likely * rng.uniform(0.3, 0.7), likely * rng.uniform(1.5, 3.0)
        d_low, d_high = max(0, days - rng.randint(2, days)), days + rng.randint(5, 30)
        if opportunity:  # savings: negative impacts, still min <= likely <= max
            low, likely, high = -high, -likely, -low
            d_low, days, d_high = -d_high, -days, -d_low
        demo.add(
            Risk(
                organisation=org,
                project=project,
                task=rng.choice(leaves).task if rng.random() < 0.3 else None,
                code=code("R"),
                title=title,
                description=f"{title} on {project.name}.",
                category=category,
                probability=rng.randint(1, 5),
                impact=rng.randint(1, 5),
                state=state,
                response=response,
                response_plan=plan_text,
                owner=manager,
                due_date=cat.STATUS_DATE + dt.timedelta(days=rng.randint(10, 90))
                if state in (Risk.State.OPEN, Risk.State.MITIGATING)
                else None,
                cost_impact_min=_money(low),
                cost_impact_likely=_money(likely),
                cost_impact_max=_money(high),
                schedule_impact_days_min=d_low,
                schedule_impact_days_likely=days,
                schedule_impact_days_max=d_high,
            )
        )
    if not started:
        _early_decisions(demo, plan, code)
        _gates(demo, plan)
        return
    today = min(cat.STATUS_DATE, finish)
    span = max(1, (today - start).days)
    for title, resolution in rng.sample(list(cat.ISSUES), rng.randint(1, 4)):
        raised = start + dt.timedelta(days=rng.randint(0, span))
        if phase == Phase.CLOSED:
            issue_state = Issue.State.CLOSED
        else:
            issue_state = rng.choices(
                [
                    Issue.State.OPEN,
                    Issue.State.IN_PROGRESS,
                    Issue.State.ESCALATED,
                    Issue.State.RESOLVED,
                    Issue.State.CLOSED,
                ],
                [25, 30, 10, 20, 15],
            )[0]
        demo.add(
            Issue(
                organisation=org,
                project=project,
                task=rng.choice(leaves).task if rng.random() < 0.4 else None,
                code=code("I"),
                title=title,
                description=f"{title}.",
                priority=rng.choice(list(Issue.Priority.values)),
                state=issue_state,
                owner=manager,
                raised_on=raised,
                due_date=raised + dt.timedelta(days=rng.randint(14, 45)),
                resolution=resolution
                if issue_state in (Issue.State.RESOLVED, Issue.State.CLOSED)
                else "",
            )
        )
    for title, scope in rng.sample(list(cat.CHANGES), rng.randint(0, 3)):
        requested = start + dt.timedelta(days=rng.randint(0, span))
        cr_state = rng.choice(
            [
                ChangeRequest.State.APPROVED,
                ChangeRequest.State.IMPLEMENTED,
                ChangeRequest.State.REJECTED,
                ChangeRequest.State.SUBMITTED,
                ChangeRequest.State.DRAFT,
            ]
        )
        decided = cr_state in (
            ChangeRequest.State.APPROVED,
            ChangeRequest.State.IMPLEMENTED,
            ChangeRequest.State.REJECTED,
        )
        demo.add(
            ChangeRequest(
                organisation=org,
                project=project,
                code=code("CR"),
                title=title,
                description=f"{title} for {project.name}.",
                state=cr_state,
                cost_impact=_money(budget * rng.uniform(0.01, 0.08)),
                schedule_impact_days=rng.randint(0, 30),
                scope_impact=scope,
                requested_by=project.sponsor,
                requested_on=requested,
                decided_on=min(today, requested + dt.timedelta(days=rng.randint(7, 21)))
                if decided
                else None,
            )
        )
    _early_decisions(demo, plan, code)
    _gates(demo, plan)
    # Monthly status reports (the last four months), a final one for closed projects.
    achieved = [n for n in nodes if n.kind == "task" and n.pct == 100]
    upcoming = [n for n in nodes if n.kind == "task" and n.pct < 100]
    severity = _SEVERITY[status]
    rag = [RAG.GREEN, RAG.AMBER, RAG.RED]
    if phase == Phase.CLOSED:
        period_ends = [_month_end(finish)]
    else:
        ends = [_month_end(m) for m in _months(start, cat.STATUS_DATE)]
        period_ends = [e for e in ends if e <= cat.STATUS_DATE][-4:] or [cat.STATUS_DATE]
    for k, period_end in enumerate(period_ends):
        level = severity if k == len(period_ends) - 1 else max(0, severity - rng.randint(0, 1))
        planned_pct = min(
            100,
            round(
                100
                * max(0, wd.index(period_end) - plan.start_index)
                * DAY
                / max(1, max(n.ef for n in nodes))
            ),
        )
        actual_pct = round(planned_pct * _PROGRESS_FACTOR.get(status, 1.0))
        demo.add(
            StatusReport(
                organisation=org,
                project=project,
                period_end=period_end,
                overall=rag[level],
                schedule=rag[level],
                cost=rag[max(0, level - rng.randint(0, 1))],
                scope_rag=rag[max(0, level - 1)],
                risk=rag[min(2, level + rng.randint(0, 1))],
                summary=(
                    f"{actual_pct}% complete against {planned_pct}% planned. "
                    f"{rng.choice(cat.STATUS_HIGHLIGHTS[rag[level].value])}"
                ),
                achievements="; ".join(n.name for n in achieved[-3:]),
                next_steps="; ".join(n.name for n in upcoming[:3]),
                author=manager,
            )
        )
    if phase in (Phase.CLOSED, Phase.CLOSING):
        for title, category, what, recommendation in rng.sample(list(cat.LESSONS), 2):
            demo.add(
                LessonLearned(
                    organisation=org,
                    project=project,
                    title=title,
                    category=category,
                    what_happened=what,
                    recommendation=recommendation,
                    tags=f"{plan.ptype.key}, {category.lower()}",
                )
            )


def _early_decisions(demo: _Demo, plan: _ProjectPlan, code: Callable[[str], str]) -> None:
    assert plan.project is not None
    rng, project = demo.rng, plan.project
    start = project.planned_start
    assert start is not None
    if plan.phase == Phase.PROPOSAL:
        return
    for title, rationale in rng.sample(list(cat.DECISIONS), rng.randint(1, 2)):
        day = start - dt.timedelta(days=rng.randint(10, 60))
        made = day <= cat.STATUS_DATE
        demo.add(
            Decision(
                organisation=demo.org,
                project=project,
                code=code("D"),
                title=title,
                description=f"{title} for {project.name}.",
                rationale=rationale,
                state=Decision.State.MADE if made else Decision.State.PROPOSED,
                decided_on=day if made else None,
                decided_by="Project steering committee" if made else "",
            )
        )


_GATES = [
    ("Gate 0 — Idea approval", Phase.PROPOSAL, "Strategic fit; sponsor named."),
    ("Gate 1 — Business case", Phase.INITIATION, "Business case approved; funding released."),
    ("Gate 2 — Plan approval", Phase.PLANNING, "Baseline plan, budget and risks approved."),
    ("Gate 3 — Readiness", Phase.EXECUTION, "Acceptance criteria met; operations ready."),
    ("Gate 4 — Closure", Phase.CLOSING, "Benefits handed over; lessons recorded."),
]


def _gates(demo: _Demo, plan: _ProjectPlan) -> None:
    assert plan.project is not None and plan.wbs is not None
    rng, project, wd = demo.rng, plan.project, demo.workdays
    start, finish = project.planned_start, project.planned_finish
    assert start is not None and finish is not None
    duration = max(n.ef for n in plan.wbs.nodes)
    ready = wd.finish_of(plan.start_index, int(duration * 0.8)).date()
    planned = [
        start - dt.timedelta(days=120),
        start - dt.timedelta(days=60),
        start - dt.timedelta(days=10),
        ready,
        finish + dt.timedelta(days=10),
    ]
    current = _PHASE_ORDER.index(plan.phase)
    for (name, phase, criteria), day in zip(_GATES, planned, strict=True):
        passed = _PHASE_ORDER.index(phase) < current
        if plan.status == Status.CANCELLED and phase in (Phase.EXECUTION, Phase.CLOSING):
            state, actual = StageGate.State.FAILED, None
            if phase == Phase.EXECUTION:
                actual = min(cat.STATUS_DATE, day)
            else:
                state = StageGate.State.WAIVED
        elif passed:
            waived = phase == Phase.PROPOSAL and rng.random() < 0.15
            state = StageGate.State.WAIVED if waived else StageGate.State.PASSED
            actual = min(cat.STATUS_DATE, day + dt.timedelta(days=rng.randint(-3, 7)))
        else:
            state, actual = StageGate.State.PENDING, None
        demo.add(
            StageGate(
                organisation=demo.org,
                project=project,
                name=name,
                phase=phase,
                planned_date=day,
                actual_date=actual,
                state=state,
                criteria=criteria,
            )
        )


def _cross_project_links(demo: _Demo, plans: list[_ProjectPlan]) -> None:
    """FS links from a milestone of a program's project to a later project's task."""
    rng, wd = demo.rng, demo.workdays
    by_program: dict[int, list[_ProjectPlan]] = defaultdict(list)
    for plan in plans:
        if plan.program is not None:
            by_program[id(plan.program)].append(plan)
    for group in by_program.values():
        group.sort(key=lambda p: (p.start_index, p.spec_name))
        for a, b in itertools.pairwise(group):
            assert a.wbs is not None and b.wbs is not None
            milestones = [
                n for n in a.wbs.nodes if n.kind == "milestone" and n is not a.wbs.nodes[-1]
            ]
            entries = [
                b.wbs.nodes[node.children[0]]
                for node in b.wbs.nodes
                if node.parent is None
                and node.children
                and b.wbs.nodes[node.children[0]].kind == "task"
            ]
            pairs = [
                (m, t)
                for m in milestones
                for t in entries
                if wd.finish_of(a.start_index, m.ef) <= wd.start_of(b.start_index, t.es)
            ]
            if not pairs:
                continue
            m, t = rng.choice(pairs)
            demo.add(
                Dependency(
                    organisation=demo.org,
                    predecessor=m.task,
                    successor=t.task,
                    type=LinkType.FS,
                    lag=rng.choice([0, 0, 5 * DAY]),
                    lag_unit=LagUnit.WORKING,
                )
            )


def _timesheets(demo: _Demo, plans: list[_ProjectPlan]) -> None:
    """Weekly timesheets of the team member and a few colleagues, the last ten weeks."""
    rng, org = demo.rng, demo.org
    spec = demo.spec
    team = demo.user_resource.get(f"{spec.code}.team")
    people = [r for rs in demo.people.values() for r in rs if r is not team]
    chosen = ([team] if team else []) + rng.sample(people, 4)
    reviewer = demo.users[f"{spec.code}.pm"]
    active = {
        id(n.task): n
        for plan in plans
        if plan.wbs is not None and plan.phase in (Phase.EXECUTION, Phase.CLOSING)
        for n in plan.wbs.nodes
        if n.kind == "task" and n.pct > 0
    }
    monday = cat.STATUS_DATE - dt.timedelta(days=cat.STATUS_DATE.weekday())
    weeks = [monday - dt.timedelta(weeks=k) for k in range(9, -1, -1)]
    for res in chosen:
        work = [a for a in demo.rows[Assignment] if isinstance(a, Assignment) and a.resource is res]
        work = [a for a in work if id(a.task) in active]
        for week in weeks:
            hours_left = 40
            for a in work:
                task = a.task
                if task.actual_start is None or task.actual_start.date() > week + dt.timedelta(4):
                    continue
                if task.actual_finish is not None and task.actual_finish.date() < week:
                    continue
                hours = min(hours_left, rng.choice([4, 8, 12, 16, 24]))
                if hours <= 0:
                    break
                hours_left -= hours
                age = (monday - week).days // 7
                state = (
                    TimesheetEntry.State.DRAFT
                    if age == 0
                    else TimesheetEntry.State.SUBMITTED
                    if age == 1
                    else TimesheetEntry.State.APPROVED
                )
                demo.add(
                    TimesheetEntry(
                        organisation=org,
                        resource=res,
                        task=task,
                        week_start=week,
                        hours=Decimal(hours),
                        state=state,
                        reviewed_by=reviewer if state == TimesheetEntry.State.APPROVED else None,
                    )
                )


def _org_level(
    demo: _Demo, spec: cat.OrgSpec, plans: list[_ProjectPlan], code: Callable[[str], str]
) -> None:
    """Memberships, program and portfolio risks and decisions, reserves, exchange rates."""
    rng, org = demo.rng, demo.org
    u = demo.users
    for us in spec.users:
        user = u[f"{spec.code}.{us.key}"]
        if us.key == "delivery":
            continue  # scoped to its projects (created with them)
        demo.add(
            Membership(
                user=user,
                organisation=org,
                role=us.role,
                portfolio=demo.portfolio if us.key == "portfolio" else None,
            )
        )
    owner = u[f"{spec.code}.portfolio"]
    for program in demo.programs:
        budget = sum(
            (p.project.budget for p in plans if p.program is program and p.project),
            Decimal(0),
        )
        for title, category, plan_text in rng.sample(list(cat.GENERIC_RISKS), 2):
            likely = float(budget) * rng.uniform(0.005, 0.02)
            demo.add(
                Risk(
                    organisation=org,
                    program=program,
                    code=code("R"),
                    title=title,
                    description=f"{title} across the {program.name} program.",
                    category=category,
                    probability=rng.randint(2, 4),
                    impact=rng.randint(3, 5),
                    response=Risk.Response.EXPLOIT
                    if category == "Opportunity"
                    else Risk.Response.MITIGATE,
                    response_plan=plan_text,
                    owner=owner,
                    due_date=cat.STATUS_DATE + dt.timedelta(days=rng.randint(30, 120)),
                    cost_impact_min=_money(likely * 0.5),
                    cost_impact_likely=_money(likely),
                    cost_impact_max=_money(likely * 2.5),
                    schedule_impact_days_min=5,
                    schedule_impact_days_likely=15,
                    schedule_impact_days_max=40,
                )
            )
        demo.add(
            Decision(
                organisation=org,
                program=program,
                code=code("D"),
                title=f"Sequence the {program.name} projects",
                description="Order in which the program's projects start.",
                rationale="Shared resources and dependencies between projects.",
                state=Decision.State.MADE,
                decided_on=dt.date(2025, 1, 20),
                decided_by="Program board",
            )
        )
        demo.add(
            BudgetLine(
                organisation=org,
                program=program,
                category=CostCategory.MANAGEMENT_RESERVE,
                month=dt.date(2026, 1, 1),
                amount=_money(budget * Decimal("0.05")),
                currency=spec.currency,
            )
        )
    total = sum((p.project.budget for p in plans if p.project), Decimal(0))
    demo.add(
        Risk(
            organisation=org,
            portfolio=demo.portfolio,
            code=code("R"),
            title="Economic downturn cuts the change budget",
            description="A recession forces the board to cut the portfolio's funding.",
            category="Strategic",
            probability=2,
            impact=5,
            response=Risk.Response.ACCEPT,
            response_plan="Keep a ranked list of projects to pause first.",
            owner=owner,
            cost_impact_min=_money(float(total) * 0.05),
            cost_impact_likely=_money(float(total) * 0.1),
            cost_impact_max=_money(float(total) * 0.2),
        )
    )
    demo.add(
        Decision(
            organisation=org,
            portfolio=demo.portfolio,
            code=code("D"),
            title="Approve the 2026 portfolio plan",
            description="Funding of the portfolio's projects for 2026.",
            rationale="Ranking by strategic contribution and risk.",
            state=Decision.State.MADE,
            decided_on=dt.date(2025, 12, 10),
            decided_by="Executive committee",
        )
    )
    demo.add(
        BudgetLine(
            organisation=org,
            portfolio=demo.portfolio,
            category=CostCategory.MANAGEMENT_RESERVE,
            month=dt.date(2026, 1, 1),
            amount=_money(total * Decimal("0.03")),
            currency=spec.currency,
        )
    )
    for title, category, what, recommendation in rng.sample(list(cat.LESSONS), 3):
        demo.add(
            LessonLearned(
                organisation=org,
                title=title,
                category=category,
                what_happened=what,
                recommendation=recommendation,
                tags=f"portfolio, {category.lower()}",
            )
        )
    base = {
        ("EUR", "GBP"): 0.85,
        ("EUR", "CAD"): 1.5,
        ("GBP", "EUR"): 1.17,
        ("GBP", "CAD"): 1.75,
        ("CAD", "EUR"): 0.67,
        ("CAD", "GBP"): 0.57,
    }
    for (src, dst), rate in base.items():
        if src != spec.currency:
            continue
        for month in _months(dt.date(2025, 1, 1), cat.STATUS_DATE):
            if month.month not in (1, 4, 7, 10):
                continue
            rate *= rng.uniform(0.97, 1.03)
            demo.add(
                ExchangeRate(
                    organisation=org,
                    currency=src,
                    to_currency=dst,
                    effective_date=month,
                    rate=Decimal(str(round(rate, 4))),
                )
            )


# ---------------------------------------------------------------------------------------
# Writing


_SAVE_ORDER: list[type[Model]] = [
    Organisation,
    Calendar,
    CalendarException,
    StrategicObjective,
    Portfolio,
    Program,
    Project,
    Membership,
    Task,
    Dependency,
    Skill,
    Resource,
    ResourceSkill,
    CostRate,
    Assignment,
    Baseline,
    BaselineTask,
    BudgetLine,
    CostLine,
    ExchangeRate,
    TimesheetEntry,
    Risk,
    Issue,
    ChangeRequest,
    Decision,
    StageGate,
    StatusReport,
    LessonLearned,
]


def _organisation_id(obj: Model) -> int | None:
    if isinstance(obj, Organisation):
        return int(obj.pk)
    if isinstance(obj, ResourceSkill):
        return int(obj.resource.organisation_id)
    if isinstance(obj, BaselineTask):
        return int(obj.baseline.organisation_id)
    org_id = getattr(obj, "organisation_id", None)
    return int(org_id) if org_id is not None else None


def _bulk_create(model: type[Model], rows: list[Model]) -> None:
    manager: Any = model._default_manager
    manager.bulk_create(rows, batch_size=500)


def _save(demo: _Demo, progress: Progress | None) -> dict[str, int]:
    User = get_user_model()
    steps: list[type[Model]] = [User, *_SAVE_ORDER]
    counts: dict[str, int] = {}
    m2m_of: dict[int, list[StrategicObjective]] = {id(o): objs for o, objs in demo.m2m}
    for step, model in enumerate(steps):
        rows = demo.rows.get(model, [])
        if model is CalendarException:
            for cal in demo.rows[Calendar]:
                assert isinstance(cal, Calendar)
                rows.extend(holiday_exceptions(cal, cat.HOLIDAY_YEARS))
            demo.rows[CalendarException] = rows
        if model is StrategicObjective:
            for top in (True, False):  # parents first
                _bulk_create(
                    model, [r for r in rows if (getattr(r, "parent", None) is None) == top]
                )
        elif model is Task:  # parents first: level by level
            for depth in sorted(set(demo.task_depth.values())):
                _bulk_create(model, [r for r in rows if demo.task_depth[id(r)] == depth])
        elif rows:
            _bulk_create(model, rows)
        if model is Calendar:
            orgs: list[Any] = demo.rows[Organisation]
            for organisation in orgs:
                organisation.default_calendar = next(
                    c
                    for c in demo.rows[Calendar]
                    if getattr(c, "organisation", None) is organisation
                )
            Organisation.objects.bulk_update(orgs, ["default_calendar"])
        if model is Project:
            for owner_model in (Portfolio, Program, Project):
                through: Any = owner_model._meta.get_field("objectives").remote_field.through  # type: ignore[union-attr]
                fk = owner_model._meta.model_name
                through.objects.bulk_create(
                    [
                        through(**{f"{fk}_id": o.pk, "strategicobjective_id": t.pk})
                        for o in demo.rows[owner_model]
                        for t in sorted(m2m_of.get(id(o), []), key=lambda x: x.pk)
                    ],
                    batch_size=500,
                )
        if model is Baseline:
            for baseline, saved in demo.baseline_saved_at:
                baseline.saved_at = saved
                Baseline.objects.filter(pk=baseline.pk).update(saved_at=saved)
        counts[model._meta.label_lower] = len(rows)
        if progress:
            progress("Writing", step + 1, len(steps) + 1)
    # One audit event per row created.
    events: list[AuditEvent] = []
    for model in steps:
        for obj in demo.rows.get(model, []):
            if model is User:
                changes: dict[str, list[Any]] = {
                    k: [None, getattr(obj, k)]
                    for k in ("username", "first_name", "last_name", "email", "is_superuser")
                }
                user_org = demo.user_org.get(getattr(obj, "username", ""))
                org_id = int(user_org.pk) if user_org else None
            else:
                changes = {k: [None, v] for k, v in snapshot(obj).items()}
                if id(obj) in m2m_of:
                    changes["objectives"] = [None, sorted(o.pk for o in m2m_of[id(obj)])]
                org_id = _organisation_id(obj)
            events.append(
                AuditEvent(
                    organisation_id=org_id,
                    username="demo",
                    action=AuditEvent.Action.CREATE,
                    object_type=obj._meta.label_lower,
                    object_id=obj.pk,
                    object_repr=str(obj)[:200],
                    changes=changes,
                )
            )
    AuditEvent.objects.bulk_create(events, batch_size=1000)
    counts["core.auditevent"] = len(events)
    if progress:
        progress("Writing", len(steps) + 1, len(steps) + 1)
    return counts


def load_demo(seed: int = DEFAULT_SEED, *, progress: Progress | None = None) -> DemoSummary:
    """Create the demo organisations, their users and everything in them, in one transaction.

    Refuses (``Conflict``) if the demo organisations exist. Demo users that already exist
    (left from an earlier load) are reused as they are.
    """
    began = time.perf_counter()
    with transaction.atomic():
        if demo_loaded():
            raise Conflict(
                "the demo organisations already exist ("
                + ", ".join(o.code for o in cat.ORGS)
                + "); use `pmo demo --logins` to see the logins"
            )
        demo = _build(seed, progress)
        counts = _save(demo, progress)
    return DemoSummary(
        seed=seed,
        seconds=time.perf_counter() - began,
        counts=counts,
        logins=demo_logins(),
    )
