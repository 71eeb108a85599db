"""Projects, their WBS of tasks, dependencies and baselines."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import connection, models
from django.db.models.fields.json import KeyTextTransform
from django.db.models.lookups import Exact

from pmo.core.models import OrgScopedModel
from pmo.orgs.models import currency_code


class Phase(models.TextChoices):
    """Lifecycle phase (PMBOK process groups, with a proposal stage before initiation)."""

    PROPOSAL = "proposal", "Proposal"
    INITIATION = "initiation", "Initiation"
    PLANNING = "planning", "Planning"
    EXECUTION = "execution", "Execution"
    CLOSING = "closing", "Closing"
    CLOSED = "closed", "Closed"


class Status(models.TextChoices):
    """Overall health as a PMO reports it (RAG), or why a project is not running."""

    ON_TRACK = "on_track", "On track"
    AT_RISK = "at_risk", "At risk"
    OFF_TRACK = "off_track", "Off track"
    ON_HOLD = "on_hold", "On hold"
    COMPLETED = "completed", "Completed"
    CANCELLED = "cancelled", "Cancelled"


class SchedulingConvention(models.TextChoices):
    """Whose rules settle what the critical path method leaves open (``pmo.engine.plan``)."""

    MSPROJECT = "msproject", "Microsoft Project"
    P6 = "p6", "Primavera P6"


class LagCalendar(models.TextChoices):
    """The calendar working-time lags count on (P6 *Calendar for scheduling relationship
    lag*; MS Project counts them on the successor's)."""

    SUCCESSOR = "successor", "Successor's calendar"
    PREDECESSOR = "predecessor", "Predecessor's calendar"
    PROJECT = "project", "Project calendar"
    CONTINUOUS = "continuous", "24 hours a day"


class ProgressMode(models.TextChoices):
    """How the remaining work of a started task is scheduled (P6 scheduling options)."""

    RETAINED_LOGIC = "retained_logic", "Retained logic"
    PROGRESS_OVERRIDE = "progress_override", "Progress override"


class Project(OrgScopedModel):
    portfolio = models.ForeignKey(
        "portfolio.Portfolio", on_delete=models.PROTECT, related_name="projects"
    )
    program = models.ForeignKey(
        "portfolio.Program",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="projects",
    )
    code = models.CharField(max_length=40)
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    sponsor = models.CharField(max_length=200, blank=True)
    manager = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    phase = models.CharField(max_length=20, choices=Phase.choices, default=Phase.PROPOSAL)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.ON_TRACK)
    priority = models.PositiveIntegerField(
        default=500,
        validators=[MinValueValidator(0), MaxValueValidator(1000)],
        help_text="0-1000, higher first (as MS Project)",
    )
    planned_start = models.DateField(null=True, blank=True)
    planned_finish = models.DateField(null=True, blank=True)
    status_date = models.DateField(null=True, blank=True)
    budget = models.DecimalField(
        max_digits=16,
        decimal_places=2,
        default=Decimal(0),
        validators=[MinValueValidator(Decimal(0))],
    )
    currency = models.CharField(max_length=3, validators=[currency_code])
    calendar = models.ForeignKey(
        "orgs.Calendar", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    objectives = models.ManyToManyField(
        "portfolio.StrategicObjective", blank=True, related_name="projects"
    )
    # Scheduling options (``pmo.engine.plan.ScheduleOptions``); an import sets them from the
    # file so pmo reschedules it by the rules of the tool that wrote it.
    scheduling_convention = models.CharField(
        max_length=10, choices=SchedulingConvention.choices, default=SchedulingConvention.MSPROJECT
    )
    lag_calendar = models.CharField(
        max_length=12, choices=LagCalendar.choices, default=LagCalendar.SUCCESSOR
    )
    progress_mode = models.CharField(
        max_length=20, choices=ProgressMode.choices, default=ProgressMode.RETAINED_LOGIC
    )
    critical_float_minutes = models.IntegerField(
        default=0, help_text="a task is critical when its total float is at most this"
    )
    honor_constraint_dates = models.BooleanField(
        default=True,
        help_text="MS Project: late constraints beat the links (P6: they only bound late dates)",
    )
    schedule_from_status_date = models.BooleanField(
        default=True, help_text="remaining work is not scheduled before the status date"
    )
    start_lag_from_early_start = models.BooleanField(
        default=False, help_text="P6: start-to-start lags of a started task count from its resume"
    )
    use_expected_finish = models.BooleanField(
        default=False, help_text="P6: remaining work ends on the task's expected finish"
    )
    must_finish_by = models.DateTimeField(null=True, blank=True)
    # What the task tags of the project are (an imported file's custom fields, P6 activity
    # codes and user-defined fields): [{"name", "kind", "data_type", "source_id",
    # "values"}], so an export writes each back as what it was.
    tag_definitions = models.JSONField(default=list, blank=True)
    # Set by the scheduling service after each reschedule.
    scheduled_start = models.DateTimeField(null=True, blank=True, editable=False)
    scheduled_finish = models.DateTimeField(null=True, blank=True, editable=False)

    scope_parents = ("program", "portfolio")

    class Meta:
        ordering = ["code"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "code"], name="project_code_unique")
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    def scope(self) -> dict[str, int | None]:
        return {
            "organisation": self.organisation_id,
            "portfolio": self.portfolio_id,
            "program": self.program_id,
            "project": self.pk,
        }


class ConstraintType(models.TextChoices):
    ASAP = "ASAP", "As soon as possible"
    ALAP = "ALAP", "As late as possible"
    SNET = "SNET", "Start no earlier than"
    SNLT = "SNLT", "Start no later than"
    FNET = "FNET", "Finish no earlier than"
    FNLT = "FNLT", "Finish no later than"
    MSO = "MSO", "Must start on"
    MFO = "MFO", "Must finish on"
    # Primavera P6's soft "Start On" / "Finish On": links may still push the early date
    # past the date, which bounds the late date
    START_ON = "START_ON", "Start on"
    FINISH_ON = "FINISH_ON", "Finish on"


class ActivityType(models.TextChoices):
    """How a task is scheduled, in Primavera P6's terms (MS Project's tasks are ``task``, or
    ``resource_dependent`` when scheduled on their resources' calendars)."""

    TASK = "task", "Task"
    RESOURCE_DEPENDENT = "resource_dependent", "Resource dependent"
    LEVEL_OF_EFFORT = "level_of_effort", "Level of effort"
    START_MILESTONE = "start_milestone", "Start milestone"
    FINISH_MILESTONE = "finish_milestone", "Finish milestone"
    # a P6 WBS element: a summary that only rolls up (it bounds none of its tasks)
    WBS_ELEMENT = "wbs_element", "WBS element"


class Task(OrgScopedModel):
    """A WBS element: summary task, work task or milestone.

    Durations and lags are stored in working minutes, as MS Project does, so that a day
    means the task calendar's ``minutes_per_day`` and no rounding creeps in.
    """

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="tasks")
    parent = models.ForeignKey(
        "self", on_delete=models.CASCADE, null=True, blank=True, related_name="children"
    )
    position = models.PositiveIntegerField(default=0, help_text="order within the outline")
    wbs = models.CharField(max_length=60, blank=True)
    name = models.CharField(max_length=250)
    is_milestone = models.BooleanField(default=False)
    is_summary = models.BooleanField(default=False, editable=False)
    activity_type = models.CharField(
        max_length=20, choices=ActivityType.choices, default=ActivityType.TASK
    )
    duration_minutes = models.PositiveIntegerField(default=480)
    # the duration (and remaining duration) counts elapsed minutes, 24 h x 7 d (MS Project's
    # "3ed"), not working minutes
    elapsed_duration = models.BooleanField(default=False)
    constraint_type = models.CharField(
        max_length=9, choices=ConstraintType.choices, default=ConstraintType.ASAP
    )
    constraint_date = models.DateTimeField(null=True, blank=True)
    # Primavera P6's secondary constraint (blank: none)
    secondary_constraint_type = models.CharField(
        max_length=9, choices=ConstraintType.choices, blank=True, default=""
    )
    secondary_constraint_date = models.DateTimeField(null=True, blank=True)
    deadline = models.DateTimeField(null=True, blank=True)
    # P6 "expected finish": with the project's use_expected_finish the remaining work ends there
    expected_finish = models.DateTimeField(null=True, blank=True)
    percent_complete = models.PositiveSmallIntegerField(
        default=0, validators=[MaxValueValidator(100)]
    )
    actual_start = models.DateTimeField(null=True, blank=True)
    actual_finish = models.DateTimeField(null=True, blank=True)
    remaining_minutes = models.PositiveIntegerField(null=True, blank=True)
    calendar = models.ForeignKey(
        "orgs.Calendar", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    notes = models.TextField(blank=True)
    # name -> value: an imported file's custom fields (MS Project extended attributes, P6
    # activity codes and user-defined fields) or the user's own labels (value "")
    tags = models.JSONField(default=dict, blank=True)
    # Earned value method (PMI Practice Standard for EVM): how much of the budget is earned.
    ev_method = models.CharField(
        max_length=20,
        choices=[
            ("percent_complete", "Physical % complete"),
            ("zero_hundred", "0/100"),
            ("fifty_fifty", "50/50"),
            ("weighted_milestones", "Weighted milestones"),
        ],
        default="percent_complete",
    )
    # Set by an accepted resource levelling: the task starts no earlier than this (MS
    # Project's "leveling delay", kept as a date so it survives edits of its predecessors).
    levelled_start = models.DateTimeField(null=True, blank=True, editable=False)
    # An imported MS Project "leveling delay" (MSPDI ``LevelingDelay``): the task starts this
    # long after the early start its links and constraints give (working minutes of its
    # calendar, elapsed minutes when the unit is elapsed), and its predecessors' late dates
    # leave room for it (``pmo.engine.plan.Task.levelling_delay``). Kept as a duration, not
    # as a levelled start: a date would give the same early dates but predecessors the delay
    # as extra float, which MS Project does not. ``levelling_delay_format``: the file's display
    # unit (``d``, ``ed``, ``h``, ...), so an export writes it back as it was.
    levelling_delay_minutes = models.PositiveIntegerField(default=0, editable=False)
    levelling_delay_format = models.CharField(max_length=4, blank=True, editable=False)
    # Results of the last schedule (the scheduling service writes them).
    early_start = models.DateTimeField(null=True, blank=True, editable=False)
    early_finish = models.DateTimeField(null=True, blank=True, editable=False)
    late_start = models.DateTimeField(null=True, blank=True, editable=False)
    late_finish = models.DateTimeField(null=True, blank=True, editable=False)
    total_float_minutes = models.IntegerField(null=True, blank=True, editable=False)
    free_float_minutes = models.IntegerField(null=True, blank=True, editable=False)
    is_critical = models.BooleanField(default=False, editable=False)

    scope_parents = ("project",)

    class Meta:
        ordering = ["project", "position", "id"]
        indexes = [models.Index(fields=["project", "position"])]

    def __str__(self) -> str:
        return self.name


def tag_condition(text: str) -> models.Q:
    """Tasks carrying the tag ``name`` (whatever its value), or ``name=value`` exactly (the
    first ``=`` separates them). On PostgreSQL a containment test the GIN index on ``tags``
    serves; elsewhere the JSON path of the name."""
    name, sep, value = text.partition("=")
    name = name.strip()
    if not sep:
        return models.Q(tags__has_key=name)
    value = value.strip()
    if connection.vendor == "postgresql":
        return models.Q(tags__contains={name: value})
    return models.Q(tags__has_key=name) & models.Q(Exact(KeyTextTransform(name, "tags"), value))


class LinkType(models.TextChoices):
    FS = "FS", "Finish-to-start"
    SS = "SS", "Start-to-start"
    FF = "FF", "Finish-to-finish"
    SF = "SF", "Start-to-finish"


class LagUnit(models.TextChoices):
    WORKING = "working", "Working minutes"
    ELAPSED = "elapsed", "Elapsed minutes"
    PERCENT = "percent", "Percent of predecessor duration"


class Dependency(OrgScopedModel):
    """A logical link; predecessor and successor may be in different projects."""

    predecessor = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="successor_links")
    successor = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="predecessor_links")
    type = models.CharField(max_length=2, choices=LinkType.choices, default=LinkType.FS)
    lag = models.IntegerField(default=0, help_text="minutes, or percent when lag_unit=percent")
    lag_unit = models.CharField(max_length=8, choices=LagUnit.choices, default=LagUnit.WORKING)

    scope_parents = ("successor",)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["predecessor", "successor"], name="dependency_unique_pair"
            ),
            models.CheckConstraint(
                condition=~models.Q(predecessor=models.F("successor")),
                name="dependency_not_self",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.predecessor_id}{self.type}{self.lag:+d} → {self.successor_id}"


class Baseline(OrgScopedModel):
    """A saved copy of the plan (MS Project keeps Baseline and Baseline1..10: 11 in all)."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="baselines")
    number = models.PositiveSmallIntegerField(validators=[MaxValueValidator(10)])
    name = models.CharField(max_length=100, blank=True)
    saved_at = models.DateTimeField(auto_now_add=True)
    saved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    scope_parents = ("project",)

    class Meta:
        ordering = ["project", "number"]
        constraints = [
            models.UniqueConstraint(fields=["project", "number"], name="baseline_number_unique")
        ]

    def __str__(self) -> str:
        return self.name or f"Baseline {self.number}"


class BaselineTask(models.Model):
    baseline = models.ForeignKey(Baseline, on_delete=models.CASCADE, related_name="tasks")
    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="baseline_values")
    start = models.DateTimeField(null=True, blank=True)
    finish = models.DateTimeField(null=True, blank=True)
    duration_minutes = models.PositiveIntegerField(default=0)
    work_minutes = models.PositiveIntegerField(default=0)
    cost = models.DecimalField(max_digits=16, decimal_places=2, default=Decimal(0))

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["baseline", "task"], name="baseline_task_unique")
        ]

    def __str__(self) -> str:
        return f"{self.task_id} in baseline {self.baseline_id}"
