"""Microsoft Project XML (MSPDI) read and write.

MSPDI is the XML schema of Microsoft Project (``http://schemas.microsoft.com/project``, the
``mspdi_pj*.xsd`` files): one ``Project`` element with project properties, then
``Calendars``, ``Tasks``, ``Resources`` and ``Assignments``. Every element is an
``xsd:sequence``, so a writer must emit children in schema order (MS Project refuses files
that do not); the ``_*_ORDER`` lists below are that order.

Format specifics handled here:

* **Parsing is safe**: ``defusedxml`` with ``forbid_dtd=True`` (and no entity expansion, no
  external references): a DOCTYPE, an entity declaration (billion laughs) or an external
  entity is refused with :class:`~pmo.errors.FileFormatError`. Input is streamed
  (``iterparse``, each task dropped once converted) and limited to ``max_bytes``.
* Durations are ``xsd:duration`` (``PT8H0M0S``, hours can exceed 24) of working time; an
  elapsed duration (``DurationFormat`` 8 ``ed``) is in elapsed hours.
* ``LinkLag`` is in **tenths of minutes**, except for percent formats (19 ``%``, 20 ``e%``)
  where it is the percentage. A task's ``LevelingDelay`` too (tenths of minutes, elapsed
  ones for an elapsed ``LevelingDelayFormat``; MPXJ reads it so), kept as
  ``DocTask.levelling_delay`` in minutes: the scheduler applies it (see ``to_plan``).
  ``LagFormat``/``DurationFormat`` codes: 3 m, 4 em, 5 h, 6 eh, 7 d, 8 ed, 9 w, 10 ew,
  11 mo, 12 emo, 19 %, 20 e%, 21 (none) and +32 for the estimated variants (35 m? ... 53).
* Link ``Type``: 0 FF, 1 FS, 2 SF, 3 SS. ``ConstraintType``: 0 ASAP, 1 ALAP, 2 MSO, 3 MFO,
  4 SNET, 5 SNLT, 6 FNET, 7 FNLT (the engine numbers them differently: mapped below).
* ``TotalSlack``/``FreeSlack`` are in tenths of minutes; ``Cost``-type fields in hundredths
  of the currency unit (``Cost``, ``ActualCost``, ``CostPerUse``, baseline ``Cost``), rates
  per hour as they are.
* Calendars: ``WeekDay`` ``DayType`` 1-7 = Sunday..Saturday; ``DayType`` 0 with a
  ``TimePeriod`` is a Project 2003 exception; Project 2007+ writes ``Exceptions`` (with
  recurrences: ``Type`` 1 daily, 7 every N days, 6 weekly with a ``DaysOfWeek`` bit mask
  1=Sunday..64=Saturday, 5/4 monthly by position/day, 3/2 yearly by position/day; ``Month``
  0-based, ``MonthItem`` 0 day, 1 weekday, 2 weekend day, 3..9 Sunday..Saturday,
  ``MonthPosition`` 0..3 first..fourth, 4 last) and ``WorkWeeks``. A ``ToTime`` of
  ``00:00:00`` ends at midnight. A derived calendar (``BaseCalendarUID``) lists only the
  days it changes.
* ``ExtendedAttribute`` values (custom fields Text1.., Number1.., outline codes) become
  tags named by the field's alias (or its field name); values are kept as the file's text.
"""

from __future__ import annotations

import calendar as _cal
import re
from collections.abc import Callable, Iterable, Iterator
from datetime import date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, BinaryIO
from xml.etree.ElementTree import Element, ParseError, SubElement
from xml.parsers.expat import ErrorString, ExpatError
from xml.sax.saxutils import escape

import defusedxml
import defusedxml.ElementTree as DET

from pmo.engine.calendar import (
    MINUTES_PER_DAY,
    STANDARD_DAY,
    CalendarException,
    WorkingTimes,
)
from pmo.engine.plan import LagUnit, LinkType
from pmo.errors import FileFormatError, FileLocation, UnsupportedFormat
from pmo.interop.document import (
    DEFAULT_MAX_BYTES,
    Baseline,
    Constraint,
    DocAssignment,
    DocCalendar,
    DocLink,
    DocResource,
    DocTask,
    ProjectDocument,
    ProjectProperties,
    RateEntry,
    ResourceType,
    Source,
    TagDefinition,
    WorkWeek,
    open_limited,
    resolve_calendars,
    source_name,
)

__all__ = ["NAMESPACE", "mspdi_bytes", "read_mspdi", "write_mspdi"]

NAMESPACE = "http://schemas.microsoft.com/project"
SAVE_VERSION = 14  # Project 2010 schema: read by Project 2007..365, ProjectLibre, MPXJ

# LagFormat / DurationFormat codes (MSPDI schema) <-> unit text
DURATION_FORMATS: dict[int, str] = {
    3: "m", 4: "em", 5: "h", 6: "eh", 7: "d", 8: "ed", 9: "w", 10: "ew", 11: "mo", 12: "emo",
    19: "%", 20: "e%", 21: "", 35: "m?", 36: "em?", 37: "h?", 38: "eh?", 39: "d?", 40: "ed?",
    41: "w?", 42: "ew?", 43: "mo?", 44: "emo?", 51: "%?", 52: "e%?", 53: "?",
}  # fmt: skip
FORMAT_CODES = {v: k for k, v in DURATION_FORMATS.items()}

LINK_TYPES = {0: LinkType.FF, 1: LinkType.FS, 2: LinkType.SF, 3: LinkType.SS}
LINK_CODES = {v: k for k, v in LINK_TYPES.items()}
CONSTRAINTS = {
    0: Constraint.ASAP, 1: Constraint.ALAP, 2: Constraint.MSO, 3: Constraint.MFO,
    4: Constraint.SNET, 5: Constraint.SNLT, 6: Constraint.FNET, 7: Constraint.FNLT,
}  # fmt: skip
CONSTRAINT_CODES = {v: k for k, v in CONSTRAINTS.items()}
# P6's soft Start On / Finish On have no MSPDI code: written as Must Start/Finish On
CONSTRAINT_CODES[Constraint.START_ON] = 2
CONSTRAINT_CODES[Constraint.FINISH_ON] = 3
RESOURCE_TYPES = {0: ResourceType.MATERIAL, 1: ResourceType.WORK, 2: ResourceType.COST}

# Custom field ids (FieldID) for task Text1..Text30, used when exporting tags that did not come
# from an MSPDI file (values from MS Project's field table).
TASK_TEXT_FIELDS = (
    188743731, 188743734, 188743737, 188743740, 188743743, 188743746, 188743747, 188743748,
    188743749, 188743750, *range(188743997, 188744017),
)  # fmt: skip
_FIELD_PREFIXES = (
    ("OutlineCode", "code"), ("EnterpriseText", "text"), ("Text", "text"),
    ("Number", "number"), ("Date", "date"), ("Start", "date"), ("Finish", "date"),
    ("Cost", "cost"), ("Duration", "duration"), ("Flag", "flag"),
)  # fmt: skip
_SCOPES = {0xB4: "task", 0xC4: "resource", 0xD4: "assignment"}

# Schema order of the project-level elements (mspdi_pj14.xsd).
_PROJECT_ORDER = (
    "SaveVersion", "UID", "Name", "GUID", "Title", "Subject", "Category", "Company", "Manager",
    "Author", "CreationDate", "Revision", "LastSaved", "ScheduleFromStart", "StartDate",
    "FinishDate", "FYStartDate", "CriticalSlackLimit", "CurrencyDigits", "CurrencySymbol",
    "CurrencyCode", "CurrencySymbolPosition", "CalendarUID", "DefaultStartTime",
    "DefaultFinishTime", "MinutesPerDay", "MinutesPerWeek", "DaysPerMonth", "DefaultTaskType",
    "DefaultFixedCostAccrual", "DefaultStandardRate", "DefaultOvertimeRate", "DurationFormat",
    "WorkFormat", "EditableActualCosts", "HonorConstraints", "EarnedValueMethod",
    "InsertedProjectsLikeSummary", "MultipleCriticalPaths", "NewTasksEffortDriven",
    "NewTasksEstimated", "SplitsInProgressTasks", "SpreadActualCost", "SpreadPercentComplete",
    "TaskUpdatesResource", "FiscalYearStart", "WeekStartDay", "MoveCompletedEndsBack",
    "MoveRemainingStartsBack", "MoveRemainingStartsForward", "MoveCompletedEndsForward",
    "BaselineForEarnedValue", "AutoAddNewResourcesAndTasks", "StatusDate", "CurrentDate",
    "MicrosoftProjectServerURL", "Autolink", "NewTaskStartDate", "NewTasksAreManual",
    "DefaultTaskEVMethod", "ProjectExternallyEdited", "ExtendedCreationDate", "ActualsInSync",
    "RemoveFileProperties", "AdminProject", "UpdateManuallyScheduledTasksWhenEditingLinks",
    "KeepTaskOnNearestWorkingTimeWhenMadeAutoScheduled",
)  # fmt: skip
_PROJECT_MODELLED = frozenset(
    {"SaveVersion", "Name", "GUID", "Title", "Company", "Author", "CreationDate", "LastSaved",
     "ScheduleFromStart", "StartDate", "FinishDate", "CriticalSlackLimit", "CurrencySymbol",
     "CurrencyCode", "CalendarUID", "MinutesPerDay", "MinutesPerWeek", "DaysPerMonth",
     "HonorConstraints", "StatusDate", "CurrentDate"}
)  # fmt: skip

# Schema order of a Task's children; "*" marks repeated elements.
_TASK_ORDER = (
    "UID", "GUID", "ID", "Name", "Active", "Manual", "Type", "IsNull", "CreateDate", "Contact",
    "WBS", "WBSLevel", "OutlineNumber", "OutlineLevel", "Priority", "Start", "Finish",
    "Duration", "ManualStart", "ManualFinish", "ManualDuration", "DurationFormat", "Work",
    "Stop", "Resume", "ResumeValid", "EffortDriven", "Recurring", "OverAllocated", "Estimated",
    "Milestone", "Summary", "DisplayAsSummary", "Critical", "IsSubproject",
    "IsSubprojectReadOnly", "SubprojectName", "ExternalTask", "ExternalTaskProject",
    "EarlyStart", "EarlyFinish", "LateStart", "LateFinish", "StartVariance", "FinishVariance",
    "WorkVariance", "FreeSlack", "TotalSlack", "StartSlack", "FinishSlack", "FixedCost",
    "FixedCostAccrual", "PercentComplete", "PercentWorkComplete", "Cost", "OvertimeCost",
    "OvertimeWork", "ActualStart", "ActualFinish", "ActualDuration", "ActualCost",
    "ActualOvertimeCost", "ActualWork", "ActualOvertimeWork", "RegularWork",
    "RemainingDuration", "RemainingCost", "RemainingWork", "RemainingOvertimeCost",
    "RemainingOvertimeWork", "ACWP", "CV", "ConstraintType", "CalendarUID", "ConstraintDate",
    "Deadline", "LevelAssignments", "LevelingCanSplit", "LevelingDelay", "LevelingDelayFormat",
    "PreLeveledStart", "PreLeveledFinish", "Hyperlink", "HyperlinkAddress",
    "HyperlinkSubAddress", "IgnoreResourceCalendar", "Notes", "HideBar", "Rollup", "BCWS",
    "BCWP", "PhysicalPercentComplete", "EarnedValueMethod", "*PredecessorLink",
    "ActualWorkProtected", "ActualOvertimeWorkProtected", "*ExtendedAttribute", "*Baseline",
    "IsPublished", "StatusManager", "CommitmentStart", "CommitmentFinish", "CommitmentType",
)  # fmt: skip
# Task elements kept verbatim (``extra``) and written back: settings, not schedule results.
_TASK_PASSTHROUGH = frozenset(
    {"GUID", "Type", "CreateDate", "Contact", "Priority", "ManualStart", "ManualFinish",
     "ManualDuration", "EffortDriven", "Recurring", "Estimated", "DisplayAsSummary",
     "IsSubproject", "IsSubprojectReadOnly", "SubprojectName", "ExternalTask",
     "ExternalTaskProject", "FixedCost", "FixedCostAccrual", "LevelAssignments",
     "LevelingCanSplit", "Hyperlink", "HyperlinkAddress", "HyperlinkSubAddress", "HideBar",
     "Rollup", "EarnedValueMethod", "IsPublished", "StatusManager", "CommitmentType"}
)  # fmt: skip
_RESOURCE_ORDER = (
    "UID", "GUID", "ID", "Name", "Type", "IsNull", "Initials", "Phonetics", "NTAccount",
    "MaterialLabel", "Code", "Group", "WorkGroup", "EmailAddress", "Hyperlink",
    "HyperlinkAddress", "HyperlinkSubAddress", "MaxUnits", "PeakUnits", "OverAllocated",
    "AvailableFrom", "AvailableTo", "Start", "Finish", "CanLevel", "AccrueAt", "Work",
    "RegularWork", "OvertimeWork", "ActualWork", "RemainingWork", "ActualOvertimeWork",
    "RemainingOvertimeWork", "PercentWorkComplete", "StandardRate", "StandardRateFormat",
    "Cost", "OvertimeRate", "OvertimeRateFormat", "OvertimeCost", "CostPerUse", "ActualCost",
    "ActualOvertimeCost", "RemainingCost", "RemainingOvertimeCost", "WorkVariance",
    "CostVariance", "SV", "CV", "ACWP", "CalendarUID", "Notes", "BCWS", "BCWP", "IsGeneric",
    "IsInactive", "IsEnterprise", "BookingType", "ActualWorkProtected",
    "ActualOvertimeWorkProtected", "ActiveDirectoryGUID", "CreationDate", "IsCostResource",
    "AssignmentOwner", "AssignmentOwnerGUID", "IsBudget", "*ExtendedAttribute", "*Baseline",
    "*OutlineCode", "AvailabilityPeriods", "Rates",
)  # fmt: skip
_RESOURCE_PASSTHROUGH = frozenset(
    {"GUID", "Phonetics", "NTAccount", "MaterialLabel", "Code", "WorkGroup", "Hyperlink",
     "HyperlinkAddress", "HyperlinkSubAddress", "CanLevel", "AccrueAt", "IsGeneric",
     "IsInactive", "IsEnterprise", "BookingType", "CreationDate", "IsCostResource", "IsBudget"}
)  # fmt: skip
_ASSIGNMENT_ORDER = (
    "UID", "GUID", "TaskUID", "ResourceUID", "PercentWorkComplete", "ActualCost",
    "ActualFinish", "ActualOvertimeCost", "ActualOvertimeWork", "ActualStart", "ActualWork",
    "ACWP", "Confirmed", "Cost", "CostRateTable", "CostVariance", "CV", "Delay", "Finish",
    "FinishVariance", "Hyperlink", "HyperlinkAddress", "HyperlinkSubAddress", "WorkVariance",
    "HasFixedRateUnits", "FixedMaterial", "LevelingDelay", "LevelingDelayFormat",
    "LinkedFields", "Milestone", "Notes", "Overallocated", "OvertimeCost", "OvertimeWork",
    "PeakUnits", "RegularWork", "RemainingCost", "RemainingOvertimeCost",
    "RemainingOvertimeWork", "RemainingWork", "ResponsePending", "Start", "Stop", "Resume",
    "StartVariance", "Units", "UpdateNeeded", "VAC", "Work", "WorkContour", "BCWS", "BCWP",
    "BookingType", "ActualWorkProtected", "ActualOvertimeWorkProtected", "CreationDate",
)  # fmt: skip
_ASSIGNMENT_PASSTHROUGH = frozenset(
    {"GUID", "Confirmed", "CostRateTable", "Delay", "HasFixedRateUnits", "FixedMaterial",
     "LevelingDelay", "LevelingDelayFormat", "LinkedFields", "Milestone", "Notes",
     "ResponsePending", "UpdateNeeded", "WorkContour", "BookingType", "CreationDate"}
)  # fmt: skip

_DURATION = re.compile(
    r"^\s*(-)?P(?:(\d+(?:\.\d*)?)Y)?(?:(\d+(?:\.\d*)?)M)?(?:(\d+(?:\.\d*)?)D)?"
    r"(?:T(?:(\d+(?:\.\d*)?)H)?(?:(\d+(?:\.\d*)?)M)?(?:(\d+(?:\.\d*)?)S)?)?\s*$"
)


# ----------------------------------------------------------------------------------------------
# value parsing
# ----------------------------------------------------------------------------------------------


class _Ctx:
    """Where we are in the file, for error messages (element path and field)."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.record = "Project"
        self.line: int | None = None  # where the item being read starts

    def fail(self, message: str, column: str | None = None) -> FileFormatError:
        return FileFormatError(
            message, FileLocation(self.name, line=self.line, record=self.record, column=column)
        )

    def int_(self, text: str | None, column: str) -> int | None:
        if text is None or not text.strip():
            return None
        try:
            return int(text)
        except ValueError:
            try:
                f = float(text)
            except ValueError:
                raise self.fail(f"not a whole number: {text!r}", column) from None
            if f != int(f):
                raise self.fail(f"not a whole number: {text!r}", column) from None
            return int(f)

    def float_(self, text: str | None, column: str) -> float | None:
        if text is None or not text.strip():
            return None
        try:
            return float(text)
        except ValueError:
            raise self.fail(f"not a number: {text!r}", column) from None

    def money(self, text: str | None, column: str, hundredths: bool = True) -> Decimal | None:
        if text is None or not text.strip():
            return None
        try:
            value = Decimal(text.strip())
        except InvalidOperation:
            raise self.fail(f"not an amount: {text!r}", column) from None
        return (value / 100) if hundredths else value

    def bool_(self, text: str | None, column: str) -> bool | None:
        if text is None or not text.strip():
            return None
        t = text.strip().lower()
        if t in ("1", "true"):
            return True
        if t in ("0", "false"):
            return False
        raise self.fail(f"not a boolean (0/1): {text!r}", column)

    def dt(self, text: str | None, column: str) -> datetime | None:
        if text is None or not text.strip():
            return None
        try:
            value = datetime.fromisoformat(text.strip())
        except ValueError:
            raise self.fail(f"not a date and time: {text!r}", column) from None
        return value.replace(tzinfo=None)

    def duration(self, text: str | None, column: str) -> int | None:
        """``xsd:duration`` -> minutes (rounded to the minute)."""
        if text is None or not text.strip():
            return None
        m = _DURATION.match(text)
        if not m:
            raise self.fail(f"not a duration (PTnHnMnS): {text!r}", column)
        sign, y, mo, d, h, mi, s = m.groups()
        minutes = (
            float(y or 0) * 365 * MINUTES_PER_DAY
            + float(mo or 0) * 30 * MINUTES_PER_DAY
            + float(d or 0) * MINUTES_PER_DAY
            + float(h or 0) * 60
            + float(mi or 0)
            + float(s or 0) / 60
        )
        return -round(minutes) if sign else round(minutes)

    def time_(self, text: str | None, column: str) -> int | None:
        """``08:00:00`` -> minutes from midnight."""
        if text is None or not text.strip():
            return None
        try:
            t = time.fromisoformat(text.strip())
        except ValueError:
            raise self.fail(f"not a time of day: {text!r}", column) from None
        return t.hour * 60 + t.minute


def _tag(element: Element) -> str:
    return element.tag  # the reader builds elements with local names


def _children(element: Element) -> dict[str, str | None]:
    """Scalar children (first occurrence wins) by local name."""
    out: dict[str, str | None] = {}
    for c in element:
        tag = c.tag
        if tag not in out:
            out[tag] = c.text
    return out


# ----------------------------------------------------------------------------------------------
# reading
# ----------------------------------------------------------------------------------------------


def read_mspdi(
    source: Source, *, max_bytes: int = DEFAULT_MAX_BYTES, name: str | None = None
) -> ProjectDocument:
    """Read an MSPDI file (path, bytes or binary stream) into a :class:`ProjectDocument`.

    Raises :class:`~pmo.errors.FileFormatError` (with the line for XML syntax errors, the
    element path and field for bad values), :class:`~pmo.errors.UnsupportedFormat` when the
    root is not an MSPDI ``Project`` and :class:`~pmo.errors.PayloadTooLarge` past
    ``max_bytes``.
    """
    fname = source_name(source, name)
    ctx = _Ctx(fname)
    stream = open_limited(source, max_bytes, fname)
    try:
        return _Reader(ctx).read(stream)
    finally:
        if not isinstance(source, bytes | bytearray) and stream is not source:
            stream.close()


class _Reader:
    def __init__(self, ctx: _Ctx) -> None:
        self.ctx = ctx
        self.props: dict[str, str | None] = {}
        self.field_defs: dict[str, tuple[str, str]] = {}  # FieldID -> (FieldName, Alias)
        self.raw_calendars: list[tuple[DocCalendar, tuple[WorkingTimes | None, ...]]] = []
        self.tasks: list[DocTask] = []
        self.links: list[DocLink] = []
        self.resources: list[DocResource] = []
        self.assignments: list[DocAssignment] = []
        self.counts = {"Calendar": 0, "Task": 0, "Resource": 0, "Assignment": 0}
        self.outline: list[tuple[int, str]] = []
        self.calendar_ids: set[str] = set()
        self.used_fields: dict[str, None] = {}

    def read(self, stream: BinaryIO) -> ProjectDocument:
        """Stream the file through expat (set up by ``defusedxml``, which refuses DTDs,
        entity declarations and external references), building an element only for one
        collection item at a time (a task, a calendar...)."""
        ctx = self.ctx
        handlers: dict[str, Callable[[Element], None]] = {
            "Calendar": self.calendar,
            "Task": self.task,
            "Resource": self.resource,
            "Assignment": self.assignment,
            "ExtendedAttribute": self.field_definition,
        }
        collections = ("Calendars", "Tasks", "Resources", "Assignments", "ExtendedAttributes")
        guard = DET.DefusedXMLParser(forbid_dtd=True, forbid_entities=True, forbid_external=True)
        expat = guard.parser  # pyexpat with defusedxml's handlers for DTDs and entities
        tags: list[str] = []  # open elements (local names)
        items: list[Element] = []  # the collection item being built and its open children
        text: list[str] = []
        has_children = [False]
        props = self.props

        def start(tag: str, attrs: Any) -> None:
            local = tag.rpartition("}")[2]
            depth = len(tags)
            if depth == 0:
                ns = tag.rpartition("}")[0]
                if local != "Project" or ns not in ("", NAMESPACE):
                    raise UnsupportedFormat(
                        f"not an MSPDI file: the root element is <{local}>",
                        FileLocation(ctx.name, line=expat.CurrentLineNumber),
                    )
            elif depth == 2:
                items.append(Element(local))
                ctx.line = expat.CurrentLineNumber
            elif depth > 2:
                items.append(SubElement(items[-1], local))
            has_children[-1] = True
            has_children.append(False)
            tags.append(local)
            text.clear()

        def end(tag: str) -> None:
            local = tags.pop()
            leaf = not has_children.pop()
            depth = len(tags)
            value = "".join(text) if leaf and text else None
            text.clear()
            if depth >= 2:
                elem = items.pop()
                if leaf:
                    elem.text = value
                if depth == 2 and tags[1] in collections:
                    handler = handlers.get(local)
                    if handler is not None:
                        handler(elem)
            elif depth == 1 and leaf:
                props.setdefault(local, value)

        expat.StartElementHandler = start
        expat.EndElementHandler = end
        expat.CharacterDataHandler = text.append
        expat.buffer_text = True
        try:
            while chunk := stream.read(1 << 20):
                expat.Parse(chunk, False)
            expat.Parse(b"", True)
        except ExpatError as exc:
            raise FileFormatError(
                f"not well-formed XML (column {exc.offset + 1}): {ErrorString(exc.code)}",
                FileLocation(ctx.name, line=exc.lineno),
            ) from None
        except ParseError as exc:  # raised by ElementTree's handler for undefined entities
            line, _column = getattr(exc, "position", (None, None))
            raise FileFormatError(
                f"not well-formed XML: {exc}", FileLocation(ctx.name, line=line)
            ) from None
        except defusedxml.DefusedXmlException as exc:
            raise FileFormatError(
                f"refused: {type(exc).__name__} (DTDs, entities and external references are "
                "not allowed in MSPDI files)",
                FileLocation(ctx.name, line=expat.CurrentLineNumber),
            ) from None
        ctx.line = None
        return self.document()

    # -- project -------------------------------------------------------------------------------

    def document(self) -> ProjectDocument:
        ctx = self.ctx
        ctx.record = "Project"
        p = self.props
        mpd = ctx.int_(p.get("MinutesPerDay"), "MinutesPerDay") or 480
        cal_uid = ctx.int_(p.get("CalendarUID"), "CalendarUID")
        extra = {
            f"msp.{k}": v
            for k in _PROJECT_ORDER
            if k not in _PROJECT_MODELLED and (v := p.get(k)) is not None
        }
        move_forward = ctx.bool_(p.get("MoveRemainingStartsForward"), "MoveRemainingStartsForward")
        props = ProjectProperties(
            id=p.get("GUID") or "",
            name=p.get("Name") or "",
            title=p.get("Title") or "",
            start=ctx.dt(p.get("StartDate"), "StartDate"),
            finish=ctx.dt(p.get("FinishDate"), "FinishDate"),
            status_date=ctx.dt(p.get("StatusDate"), "StatusDate"),
            schedule_from_status_date=bool(move_forward),
            current_date=ctx.dt(p.get("CurrentDate"), "CurrentDate"),
            currency=p.get("CurrencyCode") or "",
            currency_symbol=p.get("CurrencySymbol") or "",
            default_calendar=None if cal_uid is None else str(cal_uid),
            minutes_per_day=mpd,
            minutes_per_week=ctx.int_(p.get("MinutesPerWeek"), "MinutesPerWeek") or 2400,
            days_per_month=ctx.int_(p.get("DaysPerMonth"), "DaysPerMonth") or 20,
            schedule_from_start=ctx.bool_(p.get("ScheduleFromStart"), "ScheduleFromStart")
            is not False,
            honor_constraints=ctx.bool_(p.get("HonorConstraints"), "HonorConstraints") is not False,
            # MSPDI CriticalSlackLimit is in days
            critical_slack=(ctx.int_(p.get("CriticalSlackLimit"), "CriticalSlackLimit") or 0) * mpd,
            author=p.get("Author") or "",
            company=p.get("Company") or "",
            created=ctx.dt(p.get("CreationDate"), "CreationDate"),
            last_saved=ctx.dt(p.get("LastSaved"), "LastSaved"),
            extra=extra,
        )
        calendars = resolve_calendars(self.raw_calendars)
        tags = tuple(
            self.tag_definition(fid)
            for fid in {**dict.fromkeys(self.field_defs), **self.used_fields}
        )
        return ProjectDocument(
            project=props,
            calendars=calendars,
            tasks=tuple(self.tasks),
            links=tuple(self.links),
            resources=tuple(self.resources),
            assignments=tuple(self.assignments),
            tag_definitions=tags,
            source_format="mspdi",
        )

    def field_definition(self, elem: Element) -> None:
        f = _children(elem)
        fid = (f.get("FieldID") or "").strip()
        if fid:
            self.field_defs[fid] = ((f.get("FieldName") or "").strip(), (f.get("Alias") or ""))

    def tag_name(self, fid: str) -> str:
        name, alias = self.field_defs.get(fid, ("", ""))
        if alias:
            return alias
        if name:
            return name
        for i, known in enumerate(TASK_TEXT_FIELDS):
            if fid == str(known):
                return f"Text{i + 1}"
        return f"Field{fid}"

    def tag_definition(self, fid: str) -> TagDefinition:
        field_name = self.field_defs.get(fid, ("", ""))[0] or self.tag_name(fid)
        data_type = "text"
        for prefix, kind in _FIELD_PREFIXES:
            if field_name.startswith(prefix):
                data_type = kind
                break
        try:
            scope = _SCOPES.get((int(fid) >> 20) & 0xFF, "task")
        except ValueError:
            scope = "task"
        return TagDefinition(
            name=self.tag_name(fid),
            scope=scope,
            kind="field",
            data_type=data_type,
            source_id=fid,
            values={"field_name": field_name} if field_name else {},
        )

    def tags(self, elem: Element) -> dict[str, str]:
        out: dict[str, str] = {}
        for c in elem:
            if c.tag != "ExtendedAttribute":
                continue
            f = _children(c)
            fid = (f.get("FieldID") or "").strip()
            if not fid:
                continue
            self.used_fields[fid] = None
            out[self.tag_name(fid)] = f.get("Value") or ""
        return out

    # -- calendars -----------------------------------------------------------------------------

    def calendar(self, elem: Element) -> None:
        ctx = self.ctx
        self.counts["Calendar"] += 1
        f = _children(elem)
        uid = ctx.int_(f.get("UID"), "UID")
        ctx.record = f"Calendars/Calendar[{self.counts['Calendar']}] (UID {f.get('UID')})"
        if uid is None:
            raise ctx.fail("a calendar needs a UID", "UID")
        base_uid = ctx.int_(f.get("BaseCalendarUID"), "BaseCalendarUID")
        is_base = ctx.bool_(f.get("IsBaseCalendar"), "IsBaseCalendar")
        week: list[WorkingTimes | None] = [None] * 7
        legacy: list[CalendarException] = []
        exceptions: list[CalendarException] | None = None
        work_weeks: list[WorkWeek] = []
        for c in elem:
            tag = _tag(c)
            if tag == "WeekDays":
                for wd in c:
                    self.week_day(wd, week, legacy)
            elif tag == "Exceptions":
                exceptions = []
                for ex in c:
                    exceptions.extend(self.exception(ex))
            elif tag == "WorkWeeks":
                for ww in c:
                    work_weeks.append(self.work_week(ww))
        derived = base_uid is not None and base_uid >= 0 and is_base is not True
        extra = {f"msp.{k}": v for k in ("GUID", "IsBaselineCalendar") if (v := f.get(k))}
        cal = DocCalendar(
            id=str(uid),
            name=f.get("Name") or "",
            exceptions=tuple(exceptions if exceptions is not None else legacy),
            base=str(base_uid) if derived else None,
            kind="resource" if derived else "base",
            work_weeks=tuple(work_weeks),
            extra=extra,
        )
        self.raw_calendars.append((cal, tuple(week)))
        self.calendar_ids.add(cal.id)

    def working_times(self, elem: Element) -> WorkingTimes:
        ctx = self.ctx
        out: list[tuple[int, int]] = []
        for wt in elem:
            if _tag(wt) != "WorkingTime":
                continue
            f = _children(wt)
            a = ctx.time_(f.get("FromTime"), "FromTime")
            b = ctx.time_(f.get("ToTime"), "ToTime")
            if a is None or b is None:
                continue
            if b <= a and b == 0:
                b = MINUTES_PER_DAY  # ToTime 00:00:00 = midnight at the end of the day
            if b <= a:
                raise ctx.fail(f"working time ends before it starts: {a}-{b}", "ToTime")
            out.append((a, b))
        out.sort()
        merged: list[tuple[int, int]] = []
        for a, b in out:
            if merged and a <= merged[-1][1]:
                merged[-1] = (merged[-1][0], max(b, merged[-1][1]))
            else:
                merged.append((a, b))
        return tuple(merged)

    def day_times(self, elem: Element, working: bool | None) -> WorkingTimes:
        times: WorkingTimes = ()
        for c in elem:
            if _tag(c) == "WorkingTimes":
                times = self.working_times(c)
        if working and not times:
            times = STANDARD_DAY  # a working day without times: MS Project's default hours
        return times if working else ()

    def week_day(
        self, elem: Element, week: list[WorkingTimes | None], legacy: list[CalendarException]
    ) -> None:
        ctx = self.ctx
        f = _children(elem)
        day_type = ctx.int_(f.get("DayType"), "DayType")
        working = ctx.bool_(f.get("DayWorking"), "DayWorking")
        times = self.day_times(elem, working)
        if day_type is None:
            raise ctx.fail("a week day needs a DayType", "DayType")
        if 1 <= day_type <= 7:
            week[(day_type + 5) % 7] = times  # DayType 1 = Sunday -> index 6
        elif day_type == 0:  # Project 2003 exception: a date range
            period = elem.find("TimePeriod")
            if period is not None:
                a, b = self.period(period)
                legacy.append(CalendarException(a, b, times))
        else:
            raise ctx.fail(f"DayType must be 0-7, not {day_type}", "DayType")

    def period(self, elem: Element) -> tuple[date, date]:
        ctx = self.ctx
        f = _children(elem)
        a = ctx.dt(f.get("FromDate"), "FromDate")
        b = ctx.dt(f.get("ToDate"), "ToDate")
        if a is None:
            raise ctx.fail("a time period needs a FromDate", "FromDate")
        if b is None:
            b = a
        end = b.date()
        if b.time() == time(0, 0) and b.date() > a.date():
            end = b.date() - timedelta(days=1)  # ToDate at midnight ends the day before
        return a.date(), max(end, a.date())

    def exception(self, elem: Element) -> list[CalendarException]:
        ctx = self.ctx
        f = _children(elem)
        period = next((c for c in elem if _tag(c) == "TimePeriod"), None)
        if period is None:
            raise ctx.fail("an exception needs a TimePeriod", "TimePeriod")
        start, finish = self.period(period)
        working = ctx.bool_(f.get("DayWorking"), "DayWorking")
        times = self.day_times(elem, working)
        name = f.get("Name") or ""
        kind = ctx.int_(f.get("Type"), "Type") or 1
        by_count = ctx.bool_(f.get("EnteredByOccurrences"), "EnteredByOccurrences")
        occurrences = ctx.int_(f.get("Occurrences"), "Occurrences")
        limit = occurrences if by_count and occurrences else None
        if kind == 1:  # daily: every day of the period
            return [CalendarException(start, finish, times, name)]
        if kind not in (2, 3, 4, 5, 6, 7):
            raise ctx.fail(f"unknown exception recurrence Type {kind}", "Type")
        days = list(
            recurrence_dates(
                kind,
                start,
                finish,
                period=ctx.int_(f.get("Period"), "Period") or 1,
                days_of_week=ctx.int_(f.get("DaysOfWeek"), "DaysOfWeek") or 0,
                month_item=ctx.int_(f.get("MonthItem"), "MonthItem") or 0,
                month_position=ctx.int_(f.get("MonthPosition"), "MonthPosition") or 0,
                month=ctx.int_(f.get("Month"), "Month") or 0,
                month_day=ctx.int_(f.get("MonthDay"), "MonthDay") or 1,
                limit=limit,
            )
        )
        return [CalendarException(d, d, times, name) for d in days]

    def work_week(self, elem: Element) -> WorkWeek:
        period = next((c for c in elem if _tag(c) == "TimePeriod"), None)
        if period is None:
            raise self.ctx.fail("a work week needs a TimePeriod", "TimePeriod")
        start, finish = self.period(period)
        week: list[WorkingTimes | None] = [None] * 7
        for c in elem:
            if _tag(c) == "WeekDays":
                for wd in c:
                    self.week_day(wd, week, [])
        f = _children(elem)
        return WorkWeek(start, finish, tuple(week), f.get("Name") or "")

    # -- tasks ---------------------------------------------------------------------------------

    def task(self, elem: Element) -> None:
        ctx = self.ctx
        self.counts["Task"] += 1
        f = _children(elem)
        uid = f.get("UID")
        ctx.record = f"Tasks/Task[{self.counts['Task']}] (UID {uid})"
        if uid is None or ctx.int_(uid, "UID") is None:
            raise ctx.fail("a task needs a UID", "UID")
        if ctx.bool_(f.get("IsNull"), "IsNull"):
            return  # a blank row
        tid = str(ctx.int_(uid, "UID"))
        level = ctx.int_(f.get("OutlineLevel"), "OutlineLevel")
        if level is None:
            level = 0 if tid == "0" else 1
        fmt_code = ctx.int_(f.get("DurationFormat"), "DurationFormat")
        fmt = DURATION_FORMATS.get(fmt_code, "") if fmt_code is not None else ""
        cal_uid = ctx.int_(f.get("CalendarUID"), "CalendarUID")
        ctype_code = ctx.int_(f.get("ConstraintType"), "ConstraintType")
        if ctype_code is not None and ctype_code not in CONSTRAINTS:
            raise ctx.fail(f"ConstraintType must be 0-7, not {ctype_code}", "ConstraintType")
        baselines: list[Baseline] = []
        for c in elem:
            tag = _tag(c)
            if tag == "PredecessorLink":
                self.predecessor(c, tid)
            elif tag == "Baseline":
                baselines.append(self.baseline(c))
        parent = self.parent_of(level, tid)
        slack_t = ctx.int_(f.get("TotalSlack"), "TotalSlack")
        slack_f = ctx.int_(f.get("FreeSlack"), "FreeSlack")
        delay_code = ctx.int_(f.get("LevelingDelayFormat"), "LevelingDelayFormat")
        delay = ctx.float_(f.get("LevelingDelay"), "LevelingDelay") or 0.0
        extra = {f"msp.{k}": v for k in _TASK_PASSTHROUGH if (v := f.get(k)) is not None}
        self.tasks.append(
            DocTask(
                id=tid,
                name=f.get("Name") or "",
                parent=parent,
                outline_level=level,
                display_id=ctx.int_(f.get("ID"), "ID"),
                wbs=f.get("WBS") or "",
                outline_number=f.get("OutlineNumber") or "",
                summary=bool(ctx.bool_(f.get("Summary"), "Summary")),
                milestone=bool(ctx.bool_(f.get("Milestone"), "Milestone")),
                manual=bool(ctx.bool_(f.get("Manual"), "Manual")),
                active=ctx.bool_(f.get("Active"), "Active") is not False,
                duration=ctx.duration(f.get("Duration"), "Duration"),
                elapsed=fmt.startswith("e"),
                duration_format=fmt,
                remaining=ctx.duration(f.get("RemainingDuration"), "RemainingDuration"),
                actual_duration=ctx.duration(f.get("ActualDuration"), "ActualDuration"),
                constraint_type=None if ctype_code is None else CONSTRAINTS[ctype_code],
                constraint_date=ctx.dt(f.get("ConstraintDate"), "ConstraintDate"),
                deadline=ctx.dt(f.get("Deadline"), "Deadline"),
                percent_complete=ctx.float_(f.get("PercentComplete"), "PercentComplete") or 0.0,
                physical_percent_complete=ctx.float_(
                    f.get("PhysicalPercentComplete"), "PhysicalPercentComplete"
                ),
                actual_start=ctx.dt(f.get("ActualStart"), "ActualStart"),
                actual_finish=ctx.dt(f.get("ActualFinish"), "ActualFinish"),
                start=ctx.dt(f.get("Start"), "Start"),
                finish=ctx.dt(f.get("Finish"), "Finish"),
                early_start=ctx.dt(f.get("EarlyStart"), "EarlyStart"),
                early_finish=ctx.dt(f.get("EarlyFinish"), "EarlyFinish"),
                late_start=ctx.dt(f.get("LateStart"), "LateStart"),
                late_finish=ctx.dt(f.get("LateFinish"), "LateFinish"),
                total_slack=None if slack_t is None else round(slack_t / 10),
                free_slack=None if slack_f is None else round(slack_f / 10),
                critical=ctx.bool_(f.get("Critical"), "Critical"),
                notes=f.get("Notes") or "",
                calendar=self.calendar_ref(cal_uid),
                resource_calendars=not ctx.bool_(
                    f.get("IgnoreResourceCalendar"), "IgnoreResourceCalendar"
                ),
                levelling_delay=round(delay / 10),  # tenths of minutes
                levelling_delay_format=(
                    DURATION_FORMATS.get(delay_code, "") if delay_code is not None else ""
                ),
                work=ctx.duration(f.get("Work"), "Work"),
                actual_work=ctx.duration(f.get("ActualWork"), "ActualWork"),
                cost=ctx.money(f.get("Cost"), "Cost"),
                actual_cost=ctx.money(f.get("ActualCost"), "ActualCost"),
                baselines=tuple(baselines),
                tags=self.tags(elem),
                extra=extra,
            )
        )

    def calendar_ref(self, uid: int | None) -> str | None:
        """A calendar reference; -1 (none) and calendars the file does not define -> None."""
        if uid is None or uid < 0:
            return None
        cid = str(uid)
        return cid if cid in self.calendar_ids else None

    def parent_of(self, level: int, task_id: str) -> str | None:
        """The nearest earlier task with a lower outline level (MSPDI keeps outline order);
        ``self.outline`` holds the open ancestors, deepest last."""
        outline = self.outline
        while outline and outline[-1][0] >= level:
            outline.pop()
        parent = outline[-1][1] if outline else None
        outline.append((level, task_id))
        return parent

    def predecessor(self, elem: Element, successor: str) -> None:
        ctx = self.ctx
        f = _children(elem)
        pred = ctx.int_(f.get("PredecessorUID"), "PredecessorLink/PredecessorUID")
        if pred is None:
            raise ctx.fail("a link needs a PredecessorUID", "PredecessorLink/PredecessorUID")
        code = ctx.int_(f.get("Type"), "PredecessorLink/Type")
        if code is not None and code not in LINK_TYPES:
            raise ctx.fail(f"link Type must be 0-3, not {code}", "PredecessorLink/Type")
        fmt_code = ctx.int_(f.get("LagFormat"), "PredecessorLink/LagFormat")
        fmt = DURATION_FORMATS.get(fmt_code if fmt_code is not None else 7, "d")
        raw = ctx.float_(f.get("LinkLag"), "PredecessorLink/LinkLag") or 0.0
        if "%" in fmt:
            lag, unit = raw, LagUnit.PERCENT  # percent formats store the percentage itself
        else:
            lag = raw / 10.0  # tenths of minutes
            unit = LagUnit.ELAPSED if fmt.startswith("e") else LagUnit.WORKING
        cross = bool(ctx.bool_(f.get("CrossProject"), "PredecessorLink/CrossProject"))
        extra = {}
        if cross and f.get("CrossProjectName"):
            extra["msp.CrossProjectName"] = f.get("CrossProjectName") or ""
        self.links.append(
            DocLink(
                predecessor=str(pred),
                successor=successor,
                type=LINK_TYPES[1 if code is None else code],
                lag=lag,
                lag_unit=unit,
                lag_format=fmt,
                external=cross,
                extra=extra,
            )
        )

    def baseline(self, elem: Element) -> Baseline:
        ctx = self.ctx
        f = _children(elem)
        return Baseline(
            number=ctx.int_(f.get("Number"), "Baseline/Number") or 0,
            start=ctx.dt(f.get("Start"), "Baseline/Start"),
            finish=ctx.dt(f.get("Finish"), "Baseline/Finish"),
            duration=ctx.duration(f.get("Duration"), "Baseline/Duration"),
            cost=ctx.money(f.get("Cost"), "Baseline/Cost"),
            work=ctx.duration(f.get("Work"), "Baseline/Work"),
        )

    # -- resources and assignments -------------------------------------------------------------

    def resource(self, elem: Element) -> None:
        ctx = self.ctx
        self.counts["Resource"] += 1
        f = _children(elem)
        ctx.record = f"Resources/Resource[{self.counts['Resource']}] (UID {f.get('UID')})"
        uid = ctx.int_(f.get("UID"), "UID")
        if uid is None:
            raise ctx.fail("a resource needs a UID", "UID")
        if ctx.bool_(f.get("IsNull"), "IsNull"):
            return
        rtype = ctx.int_(f.get("Type"), "Type")
        rates: list[RateEntry] = []
        for c in elem:
            if _tag(c) == "Rates":
                for r in c:
                    rates.append(self.rate(r))
        cal = ctx.int_(f.get("CalendarUID"), "CalendarUID")
        extra = {f"msp.{k}": v for k in _RESOURCE_PASSTHROUGH if (v := f.get(k)) is not None}
        self.resources.append(
            DocResource(
                id=str(uid),
                name=f.get("Name") or "",
                code=f.get("Initials") or "",
                type=RESOURCE_TYPES.get(rtype if rtype is not None else 1, ResourceType.WORK),
                max_units=ctx.float_(f.get("MaxUnits"), "MaxUnits"),
                standard_rate=ctx.money(f.get("StandardRate"), "StandardRate", hundredths=False),
                overtime_rate=ctx.money(f.get("OvertimeRate"), "OvertimeRate", hundredths=False),
                cost_per_use=ctx.money(f.get("CostPerUse"), "CostPerUse"),
                rates=tuple(rates),
                calendar=self.calendar_ref(cal),
                email=f.get("EmailAddress") or "",
                group=f.get("Group") or "",
                notes=f.get("Notes") or "",
                tags=self.tags(elem),
                extra=extra,
            )
        )

    def rate(self, elem: Element) -> RateEntry:
        ctx = self.ctx
        f = _children(elem)
        start = ctx.dt(f.get("RatesFrom"), "Rate/RatesFrom")
        if start is not None and start.year <= 1984:
            start = None  # MS Project's "NA" start
        return RateEntry(
            start=start,
            standard_rate=ctx.money(f.get("StandardRate"), "Rate/StandardRate", False)
            or Decimal(0),
            overtime_rate=ctx.money(f.get("OvertimeRate"), "Rate/OvertimeRate", False)
            or Decimal(0),
            cost_per_use=ctx.money(f.get("CostPerUse"), "Rate/CostPerUse") or Decimal(0),
            table=ctx.int_(f.get("RateTable"), "Rate/RateTable") or 0,
        )

    def assignment(self, elem: Element) -> None:
        ctx = self.ctx
        self.counts["Assignment"] += 1
        f = _children(elem)
        ctx.record = f"Assignments/Assignment[{self.counts['Assignment']}] (UID {f.get('UID')})"
        uid = ctx.int_(f.get("UID"), "UID")
        task = ctx.int_(f.get("TaskUID"), "TaskUID")
        res = ctx.int_(f.get("ResourceUID"), "ResourceUID")
        if uid is None or task is None or res is None:
            raise ctx.fail("an assignment needs UID, TaskUID and ResourceUID", "UID")
        if res < 0:
            return  # MS Project's "unassigned" placeholder (ResourceUID -65535)
        extra = {f"msp.{k}": v for k in _ASSIGNMENT_PASSTHROUGH if (v := f.get(k)) is not None}
        self.assignments.append(
            DocAssignment(
                id=str(uid),
                task=str(task),
                resource=str(res),
                units=ctx.float_(f.get("Units"), "Units") or 0.0,
                work=ctx.duration(f.get("Work"), "Work"),
                actual_work=ctx.duration(f.get("ActualWork"), "ActualWork"),
                remaining_work=ctx.duration(f.get("RemainingWork"), "RemainingWork"),
                cost=ctx.money(f.get("Cost"), "Cost"),
                actual_cost=ctx.money(f.get("ActualCost"), "ActualCost"),
                start=ctx.dt(f.get("Start"), "Start"),
                finish=ctx.dt(f.get("Finish"), "Finish"),
                actual_start=ctx.dt(f.get("ActualStart"), "ActualStart"),
                actual_finish=ctx.dt(f.get("ActualFinish"), "ActualFinish"),
                extra=extra,
            )
        )


# ----------------------------------------------------------------------------------------------
# recurring exceptions
# ----------------------------------------------------------------------------------------------

_MAX_OCCURRENCES = 100_000


def recurrence_dates(
    kind: int,
    start: date,
    finish: date,
    *,
    period: int = 1,
    days_of_week: int = 0,
    month_item: int = 0,
    month_position: int = 0,
    month: int = 0,
    month_day: int = 1,
    limit: int | None = None,
) -> Iterator[date]:
    """The days of an MSPDI recurring exception within ``start``..``finish``.

    ``kind``: 7 every ``period`` days, 6 weekly (``days_of_week`` bits 1=Sunday..64=Saturday,
    every ``period`` weeks; weeks start on Sunday, as MS Project counts them), 5 monthly by
    position, 4 monthly by day, 3 yearly by position, 2 yearly by day (``month`` 0-based).
    """
    period = max(1, period)
    count = 0

    def emit(d: date) -> bool:
        nonlocal count
        count += 1
        return limit is None or count <= limit

    if kind == 7:
        d = start
        while d <= finish and count < _MAX_OCCURRENCES:
            if not emit(d):
                return
            yield d
            d += timedelta(days=period)
        return
    if kind == 6:
        week0 = start - timedelta(days=(start.weekday() + 1) % 7)  # the Sunday of start's week
        d = start
        while d <= finish and count < _MAX_OCCURRENCES:
            bit = 1 << ((d.weekday() + 1) % 7)  # Sunday = bit 0
            if days_of_week & bit and ((d - week0).days // 7) % period == 0:
                if not emit(d):
                    return
                yield d
            d += timedelta(days=1)
        return
    if kind in (4, 5):
        year, mon = start.year, start.month
        step = period
    elif kind in (2, 3):
        year, mon = start.year, month + 1
        step = 12
    else:
        return
    while count < _MAX_OCCURRENCES:
        if kind in (2, 4):
            d = date(year, mon, min(month_day, _cal.monthrange(year, mon)[1]))
        else:
            d = _nth_in_month(year, mon, month_item, month_position)
        if d > finish:
            return
        if d >= start:
            if not emit(d):
                return
            yield d
        mon += step
        while mon > 12:
            mon -= 12
            year += 1


def _nth_in_month(year: int, month: int, item: int, position: int) -> date:
    """MonthItem (0 day, 1 weekday, 2 weekend day, 3..9 Sunday..Saturday), MonthPosition
    (0..3 first..fourth, 4 last) -> the date."""
    n_days = _cal.monthrange(year, month)[1]
    days = [date(year, month, k) for k in range(1, n_days + 1)]
    if item == 1:
        days = [d for d in days if d.weekday() < 5]
    elif item == 2:
        days = [d for d in days if d.weekday() >= 5]
    elif 3 <= item <= 9:
        wd = (item - 4) % 7  # 3 = Sunday (6), 4 = Monday (0), ...
        days = [d for d in days if d.weekday() == wd]
    if position >= 4:
        return days[-1]
    return days[min(position, len(days) - 1)]


# ----------------------------------------------------------------------------------------------
# writing
# ----------------------------------------------------------------------------------------------

_INVALID_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _text(value: str) -> str:
    return escape(_INVALID_XML.sub("", value))


def _dt(value: datetime) -> str:
    return value.strftime("%Y-%m-%dT%H:%M:%S")


def _dur(minutes: float) -> str:
    sign = "-" if minutes < 0 else ""
    m = abs(round(minutes))
    return f"{sign}PT{m // 60}H{m % 60}M0S"


def _tm(minutes: int) -> str:
    minutes %= MINUTES_PER_DAY  # 24:00 is written 00:00:00
    return f"{minutes // 60:02d}:{minutes % 60:02d}:00"


def _num(value: float | Decimal) -> str:
    if isinstance(value, Decimal):
        text = format(value.normalize(), "f")
    else:
        text = repr(float(value))
        if text.endswith(".0"):
            text = text[:-2]
    return text if text not in ("-0",) else "0"


def _b(value: bool) -> str:
    return "1" if value else "0"


class _Ids:
    """Document ids -> MSPDI integer UIDs (numeric ids kept when they are unique)."""

    def __init__(self, ids: Iterable[str], first_free: int = 1) -> None:
        self.map: dict[str, int] = {}
        pending: list[str] = []
        taken: set[int] = set()
        for i in ids:
            if i.isdigit() and int(i) not in taken and int(i) < 2**31:
                self.map[i] = int(i)
                taken.add(int(i))
            else:
                pending.append(i)
        nxt = max([first_free - 1, *taken]) + 1
        for i in pending:
            while nxt in taken:
                nxt += 1
            self.map[i] = nxt
            taken.add(nxt)

    def __getitem__(self, key: str) -> int:
        return self.map[key]

    def get(self, key: str | None) -> int | None:
        return None if key is None else self.map.get(key)


def mspdi_bytes(doc: ProjectDocument) -> bytes:
    """The document as an MSPDI file (UTF-8)."""
    return "".join(_Writer(doc).chunks()).encode("utf-8")


def write_mspdi(doc: ProjectDocument, target: str | Path | BinaryIO) -> None:
    """Write the document as MSPDI to a path or a binary stream."""
    if isinstance(target, str | Path):
        with Path(target).open("wb") as out:
            _write_chunks(doc, out)
    else:
        _write_chunks(doc, target)


def _write_chunks(doc: ProjectDocument, out: BinaryIO) -> None:
    buf: list[str] = []
    size = 0
    for chunk in _Writer(doc).chunks():
        buf.append(chunk)
        size += len(chunk)
        if size > 1 << 20:
            out.write("".join(buf).encode("utf-8"))
            buf, size = [], 0
    out.write("".join(buf).encode("utf-8"))


class _Writer:
    def __init__(self, doc: ProjectDocument) -> None:
        self.doc = doc
        self.cal_ids = _Ids([c.id for c in doc.calendars])
        ordered = _outline_order(doc.tasks)
        self.tasks = ordered
        self.task_ids = _Ids([t.id for t in ordered], first_free=1)
        self.res_ids = _Ids([r.id for r in doc.resources], first_free=1)
        self.asg_ids = _Ids([a.id for a in doc.assignments], first_free=1)
        self.fields = self._field_table()

    def _field_table(self) -> dict[tuple[str, str], tuple[int, str, str]]:
        """(scope, tag name) -> (FieldID, FieldName, alias) of every custom field written.

        Fields read from an MSPDI file keep their FieldID; other task tags (P6 UDFs and codes)
        go to the free Text1..Text30 fields; more than that are not written.
        """
        out: dict[tuple[str, str], tuple[int, str, str]] = {}
        used: set[int] = set()
        for td in self.doc.tag_definitions:
            if td.kind != "field" or not td.source_id.isdigit():
                continue
            fid = int(td.source_id)
            field_name = td.values.get("field_name", td.name)
            out[(td.scope, td.name)] = (fid, field_name, td.name if td.name != field_name else "")
            used.add(fid)
        free = [f for f in TASK_TEXT_FIELDS if f not in used]
        names = [td.name for td in self.doc.tag_definitions if td.scope == "task"]
        names += sorted({k for t in self.doc.tasks for k in t.tags})
        for name in dict.fromkeys(names):
            if ("task", name) in out or not free:
                continue
            fid = free.pop(0)
            out[("task", name)] = (fid, f"Text{TASK_TEXT_FIELDS.index(fid) + 1}", name)
        return out

    def chunks(self) -> Iterator[str]:
        yield '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        yield f'<Project xmlns="{NAMESPACE}">\n'
        yield from self.project()
        yield from self.field_definitions()
        yield "<Calendars>\n"
        for cal in self.doc.calendars:
            yield self.calendar(cal)
        yield "</Calendars>\n<Tasks>\n"
        children = {t.parent for t in self.tasks if t.parent is not None}
        links_by_succ: dict[str, list[DocLink]] = {}
        for lk in self.doc.links:
            links_by_succ.setdefault(lk.successor, []).append(lk)
        levels: dict[str, int] = {}
        row = 0
        for t in self.tasks:
            if t.outline_level == 0 and t.parent is None:
                level = 0  # the project summary task (UID 0)
            else:
                level = levels[t.parent] + 1 if t.parent in levels else 1
                row += 1
            levels[t.id] = level
            yield self.task(t, level, row, t.id in children, links_by_succ.get(t.id, ()))
        yield "</Tasks>\n<Resources>\n"
        for i, r in enumerate(self.doc.resources, start=1):
            yield self.resource(r, i)
        yield "</Resources>\n<Assignments>\n"
        task_uids = self.task_ids.map
        res_uids = self.res_ids.map
        for a in self.doc.assignments:
            if a.task in task_uids and a.resource in res_uids:
                yield self.assignment(a)
        yield "</Assignments>\n</Project>\n"

    # -- project -------------------------------------------------------------------------------

    def project(self) -> Iterator[str]:
        p = self.doc.project
        mpd = p.minutes_per_day or 480
        values: dict[str, str] = {k[4:]: v for k, v in p.extra.items() if k.startswith("msp.")}
        values["SaveVersion"] = str(SAVE_VERSION)
        values["Name"] = p.name
        if p.id and re.fullmatch(r"[0-9A-Fa-f-]{36}|\{[0-9A-Fa-f-]{36}\}", p.id):
            values["GUID"] = p.id
        if p.title:
            values["Title"] = p.title
        if p.company:
            values["Company"] = p.company
        if p.author:
            values["Author"] = p.author
        if p.created:
            values["CreationDate"] = _dt(p.created)
        if p.last_saved:
            values["LastSaved"] = _dt(p.last_saved)
        values["ScheduleFromStart"] = _b(p.schedule_from_start)
        if p.start:
            values["StartDate"] = _dt(p.start)
        if p.finish:
            values["FinishDate"] = _dt(p.finish)
        values["CriticalSlackLimit"] = str(round(p.critical_slack / mpd))
        if p.currency_symbol:
            values["CurrencySymbol"] = p.currency_symbol
        if p.currency:
            values["CurrencyCode"] = p.currency[:3]
        cal = self.doc.project_calendar
        if cal is not None:
            values["CalendarUID"] = str(self.cal_ids[cal.id])
        values["MinutesPerDay"] = str(mpd)
        values["MinutesPerWeek"] = str(p.minutes_per_week)
        values["DaysPerMonth"] = str(p.days_per_month)
        values["HonorConstraints"] = _b(p.honor_constraints)
        if p.status_date:
            values["StatusDate"] = _dt(p.status_date)
        if p.current_date:
            values["CurrentDate"] = _dt(p.current_date)
        if p.schedule_from_status_date and "MoveRemainingStartsForward" not in values:
            values["MoveRemainingStartsForward"] = "1"
        for key in _PROJECT_ORDER:
            v = values.get(key)
            if v is not None:
                yield f"<{key}>{_text(v)}</{key}>\n"

    def field_definitions(self) -> Iterator[str]:
        if not self.fields:
            yield "<ExtendedAttributes/>\n"
            return
        yield "<ExtendedAttributes>\n"
        for fid, field_name, alias in self.fields.values():
            parts = [f"<FieldID>{fid}</FieldID><FieldName>{_text(field_name)}</FieldName>"]
            if alias:
                parts.append(f"<Alias>{_text(alias)}</Alias>")
            yield f"<ExtendedAttribute>{''.join(parts)}</ExtendedAttribute>\n"
        yield "</ExtendedAttributes>\n"

    # -- calendars -----------------------------------------------------------------------------

    def calendar(self, cal: DocCalendar) -> str:
        base = None
        if cal.base is not None:
            try:
                base = self.doc.calendar(cal.base)
            except KeyError:
                base = None
        out = [f"<Calendar><UID>{self.cal_ids[cal.id]}</UID>"]
        if cal.extra.get("msp.GUID"):
            out.append(f"<GUID>{_text(cal.extra['msp.GUID'])}</GUID>")
        out.append(f"<Name>{_text(cal.name)}</Name>")
        out.append(f"<IsBaseCalendar>{_b(base is None)}</IsBaseCalendar>")
        if cal.extra.get("msp.IsBaselineCalendar"):
            out.append(
                f"<IsBaselineCalendar>{cal.extra['msp.IsBaselineCalendar']}</IsBaselineCalendar>"
            )
        base_uid = self.cal_ids[base.id] if base is not None else -1
        out.append(f"<BaseCalendarUID>{base_uid}</BaseCalendarUID>")
        own = cal.exceptions
        if base is not None and cal.exceptions[: len(base.exceptions)] == base.exceptions:
            own = cal.exceptions[len(base.exceptions) :]
        days: list[str] = []
        for d in range(7):
            if base is not None and base.week[d] == cal.week[d]:
                continue
            days.append(_week_day((d + 1) % 7 + 1, cal.week[d]))
        for e in own:  # Project 2003 form, for older readers
            days.append(
                f"<WeekDay><DayType>0</DayType><DayWorking>{_b(bool(e.working_times))}</DayWorking>"
                f"<TimePeriod><FromDate>{e.start.isoformat()}T00:00:00</FromDate>"
                f"<ToDate>{e.finish.isoformat()}T23:59:00</ToDate></TimePeriod>"
                f"{_working_times(e.working_times)}</WeekDay>"
            )
        if days:
            out.append("<WeekDays>" + "".join(days) + "</WeekDays>")
        if own:
            out.append("<Exceptions>")
            for e in own:
                n = (e.finish - e.start).days + 1
                out.append(
                    "<Exception><EnteredByOccurrences>0</EnteredByOccurrences>"
                    f"<TimePeriod><FromDate>{e.start.isoformat()}T00:00:00</FromDate>"
                    f"<ToDate>{e.finish.isoformat()}T23:59:00</ToDate></TimePeriod>"
                    f"<Occurrences>{n}</Occurrences><Name>{_text(e.name)}</Name><Type>1</Type>"
                    f"<DayWorking>{_b(bool(e.working_times))}</DayWorking>"
                    f"{_working_times(e.working_times)}</Exception>"
                )
            out.append("</Exceptions>")
        if cal.work_weeks:
            out.append("<WorkWeeks>")
            for ww in cal.work_weeks:
                wd = "".join(
                    _week_day((d + 1) % 7 + 1, times)
                    for d in range(7)
                    if (times := ww.week[d]) is not None
                )
                out.append(
                    f"<WorkWeek><TimePeriod><FromDate>{ww.start.isoformat()}T00:00:00</FromDate>"
                    f"<ToDate>{ww.finish.isoformat()}T23:59:00</ToDate></TimePeriod>"
                    f"<Name>{_text(ww.name)}</Name><WeekDays>{wd}</WeekDays></WorkWeek>"
                )
            out.append("</WorkWeeks>")
        out.append("</Calendar>\n")
        return "".join(out)

    # -- tasks ---------------------------------------------------------------------------------

    def task(
        self, t: DocTask, level: int, row: int, summary: bool, links: Iterable[DocLink]
    ) -> str:
        v: dict[str, str] = {k[4:]: val for k, val in t.extra.items() if k.startswith("msp.")}
        v["UID"] = str(self.task_ids[t.id])
        v["ID"] = str(t.display_id if t.display_id is not None else row)
        v["Name"] = _text(t.name)
        v["Active"] = _b(t.active)
        v["Manual"] = _b(t.manual)
        v.setdefault("Type", "1" if self.doc.source_format != "mspdi" else "0")
        v["IsNull"] = "0"
        if t.wbs:
            v["WBS"] = _text(t.wbs)
        if t.outline_number:
            v["OutlineNumber"] = _text(t.outline_number)
        v["OutlineLevel"] = str(level)
        if t.start:
            v["Start"] = _dt(t.start)
        if t.finish:
            v["Finish"] = _dt(t.finish)
        if t.duration is not None:
            v["Duration"] = _dur(t.duration)
        fmt = t.duration_format or ("ed" if t.elapsed else "d")
        v["DurationFormat"] = str(FORMAT_CODES.get(fmt, 7))
        if t.work is not None:
            v["Work"] = _dur(t.work)
        v["Milestone"] = _b(t.milestone)
        v["Summary"] = _b(summary or t.summary)
        if t.critical is not None:
            v["Critical"] = _b(t.critical)
        for key, moment in (
            ("EarlyStart", t.early_start), ("EarlyFinish", t.early_finish),
            ("LateStart", t.late_start), ("LateFinish", t.late_finish),
            ("ActualStart", t.actual_start), ("ActualFinish", t.actual_finish),
            ("ConstraintDate", t.constraint_date), ("Deadline", t.deadline),
        ):  # fmt: skip
            if moment is not None:
                v[key] = _dt(moment)
        if t.free_slack is not None:
            v["FreeSlack"] = str(t.free_slack * 10)
        if t.total_slack is not None:
            v["TotalSlack"] = str(t.total_slack * 10)
        v["PercentComplete"] = str(round(t.percent_complete))
        if t.physical_percent_complete is not None:
            v["PhysicalPercentComplete"] = str(round(t.physical_percent_complete))
        if t.cost is not None:
            v["Cost"] = _num(t.cost * 100)
        if t.actual_cost is not None:
            v["ActualCost"] = _num(t.actual_cost * 100)
        if t.actual_duration is not None:
            v["ActualDuration"] = _dur(t.actual_duration)
        if t.actual_work is not None:
            v["ActualWork"] = _dur(t.actual_work)
        if t.remaining is not None:
            v["RemainingDuration"] = _dur(t.remaining)
        if t.constraint_type is not None:
            v["ConstraintType"] = str(CONSTRAINT_CODES[t.constraint_type])
        v["IgnoreResourceCalendar"] = _b(not t.resource_calendars)
        # the document's leveling delay, not a copy left in ``extra``
        v.pop("LevelingDelay", None)
        v.pop("LevelingDelayFormat", None)
        if t.levelling_delay or t.levelling_delay_format:
            v["LevelingDelay"] = str(t.levelling_delay * 10)  # tenths of minutes
            v["LevelingDelayFormat"] = str(FORMAT_CODES.get(t.levelling_delay_format or "d", 7))
        v["CalendarUID"] = str(
            self.cal_ids.get(t.calendar) if t.calendar in self.cal_ids.map else -1
        )
        if t.notes:
            v["Notes"] = _text(t.notes)
        out = ["<Task>"]
        for key in _TASK_ORDER:
            if key == "*PredecessorLink":
                out.extend(self.link(lk) for lk in links)
            elif key == "*ExtendedAttribute":
                for name, value in t.tags.items():
                    fdef = self.fields.get(("task", name))
                    if fdef is not None:
                        out.append(
                            f"<ExtendedAttribute><FieldID>{fdef[0]}</FieldID>"
                            f"<Value>{_text(value)}</Value></ExtendedAttribute>"
                        )
            elif key == "*Baseline":
                out.extend(_baseline(b) for b in t.baselines)
            else:
                text = v.get(key)
                if text is not None:
                    # extra values come from the file verbatim: escape them too
                    if key in _TASK_PASSTHROUGH:
                        text = _text(text)
                    out.append(f"<{key}>{text}</{key}>")
        out.append("</Task>\n")
        return "".join(out)

    def link(self, lk: DocLink) -> str:
        pred = self.task_ids.get(lk.predecessor)
        if pred is None:
            return ""
        if lk.lag_unit == LagUnit.PERCENT:
            fmt = lk.lag_format if "%" in lk.lag_format else "%"
            lag = round(lk.lag)
        else:
            fmt = lk.lag_format
            if not fmt or "%" in fmt or (lk.lag_unit == LagUnit.ELAPSED) != fmt.startswith("e"):
                fmt = "ed" if lk.lag_unit == LagUnit.ELAPSED else "d"
            lag = round(lk.lag * 10)  # tenths of minutes
        cross = ""
        if lk.external and lk.extra.get("msp.CrossProjectName"):
            cross = (
                f"<CrossProjectName>{_text(lk.extra['msp.CrossProjectName'])}</CrossProjectName>"
            )
        return (
            f"<PredecessorLink><PredecessorUID>{pred}</PredecessorUID>"
            f"<Type>{LINK_CODES[lk.type]}</Type><CrossProject>{_b(lk.external)}</CrossProject>"
            f"{cross}<LinkLag>{lag}</LinkLag><LagFormat>{FORMAT_CODES.get(fmt, 7)}</LagFormat>"
            "</PredecessorLink>"
        )

    # -- resources and assignments -------------------------------------------------------------

    def resource(self, r: DocResource, row: int) -> str:
        v: dict[str, str] = {
            k[4:]: _text(val) for k, val in r.extra.items() if k.startswith("msp.")
        }
        v["UID"] = str(self.res_ids[r.id])
        v["ID"] = str(row)
        v["Name"] = _text(r.name)
        v["Type"] = {ResourceType.MATERIAL: "0", ResourceType.COST: "2"}.get(r.type, "1")
        v["IsNull"] = "0"
        if r.code:
            v["Initials"] = _text(r.code)
        if r.group:
            v["Group"] = _text(r.group)
        if r.email:
            v["EmailAddress"] = _text(r.email)
        if r.max_units is not None:
            v["MaxUnits"] = _num(r.max_units)
        if r.standard_rate is not None:
            v["StandardRate"] = _num(r.standard_rate)
            v["StandardRateFormat"] = "2"  # per hour
        if r.overtime_rate is not None:
            v["OvertimeRate"] = _num(r.overtime_rate)
            v["OvertimeRateFormat"] = "2"
        if r.cost_per_use is not None:
            v["CostPerUse"] = _num(r.cost_per_use * 100)
        if r.calendar is not None and r.calendar in self.cal_ids.map:
            v["CalendarUID"] = str(self.cal_ids[r.calendar])
        if r.notes:
            v["Notes"] = _text(r.notes)
        out = ["<Resource>"]
        for key in _RESOURCE_ORDER:
            if key == "*ExtendedAttribute":
                for name, value in r.tags.items():
                    fdef = self.fields.get(("resource", name))
                    if fdef is not None:
                        out.append(
                            f"<ExtendedAttribute><FieldID>{fdef[0]}</FieldID>"
                            f"<Value>{_text(value)}</Value></ExtendedAttribute>"
                        )
            elif key == "Rates":
                if r.rates:
                    out.append("<Rates>" + "".join(_rate(x) for x in r.rates) + "</Rates>")
            elif not key.startswith("*") and (text := v.get(key)) is not None:
                out.append(f"<{key}>{text}</{key}>")
        out.append("</Resource>\n")
        return "".join(out)

    def assignment(self, a: DocAssignment) -> str:
        v: dict[str, str] = {
            k[4:]: _text(val) for k, val in a.extra.items() if k.startswith("msp.")
        }
        v["UID"] = str(self.asg_ids[a.id])
        v["TaskUID"] = str(self.task_ids[a.task])
        v["ResourceUID"] = str(self.res_ids[a.resource])
        v["Units"] = _num(a.units)
        for key, d in (("Start", a.start), ("Finish", a.finish), ("ActualStart", a.actual_start),
                       ("ActualFinish", a.actual_finish)):  # fmt: skip
            if d is not None:
                v[key] = _dt(d)
        for key, m in (("Work", a.work), ("ActualWork", a.actual_work),
                       ("RemainingWork", a.remaining_work)):  # fmt: skip
            if m is not None:
                v[key] = _dur(m)
        if a.cost is not None:
            v["Cost"] = _num(a.cost * 100)
        if a.actual_cost is not None:
            v["ActualCost"] = _num(a.actual_cost * 100)
        body = "".join(f"<{k}>{v[k]}</{k}>" for k in _ASSIGNMENT_ORDER if k in v)
        return f"<Assignment>{body}</Assignment>\n"


def _week_day(day_type: int, times: WorkingTimes) -> str:
    return (
        f"<WeekDay><DayType>{day_type}</DayType><DayWorking>{_b(bool(times))}</DayWorking>"
        f"{_working_times(times)}</WeekDay>"
    )


def _working_times(times: WorkingTimes) -> str:
    if not times:
        return ""
    return (
        "<WorkingTimes>"
        + "".join(
            f"<WorkingTime><FromTime>{_tm(a)}</FromTime><ToTime>{_tm(b)}</ToTime></WorkingTime>"
            for a, b in times
        )
        + "</WorkingTimes>"
    )


def _baseline(b: Baseline) -> str:
    out = [f"<Baseline><Number>{b.number}</Number>"]
    if b.start is not None:
        out.append(f"<Start>{_dt(b.start)}</Start>")
    if b.finish is not None:
        out.append(f"<Finish>{_dt(b.finish)}</Finish>")
    if b.duration is not None:
        out.append(f"<Duration>{_dur(b.duration)}</Duration>")
    if b.work is not None:
        out.append(f"<Work>{_dur(b.work)}</Work>")
    if b.cost is not None:
        out.append(f"<Cost>{_num(b.cost * 100)}</Cost>")
    out.append("</Baseline>")
    return "".join(out)


def _rate(r: RateEntry) -> str:
    start = _dt(r.start) if r.start is not None else "1984-01-01T00:00:00"
    return (
        f"<Rate><RatesFrom>{start}</RatesFrom><RateTable>{r.table}</RateTable>"
        f"<StandardRate>{_num(r.standard_rate)}</StandardRate><StandardRateFormat>2"
        f"</StandardRateFormat><OvertimeRate>{_num(r.overtime_rate)}</OvertimeRate>"
        f"<OvertimeRateFormat>2</OvertimeRateFormat><CostPerUse>{_num(r.cost_per_use * 100)}"
        "</CostPerUse></Rate>"
    )


def _outline_order(tasks: Iterable[DocTask]) -> list[DocTask]:
    """Tasks depth-first (a parent, then its subtree), keeping the document's sibling order."""
    tasks = list(tasks)
    ids = {t.id for t in tasks}
    kids: dict[str | None, list[DocTask]] = {}
    for t in tasks:
        parent = t.parent if t.parent in ids and t.parent != t.id else None
        kids.setdefault(parent, []).append(t)
    out: list[DocTask] = []
    seen: set[str] = set()
    stack: list[DocTask] = list(reversed(kids.get(None, [])))
    while stack:
        t = stack.pop()
        if t.id in seen:
            continue
        seen.add(t.id)
        out.append(t)
        stack.extend(reversed(kids.get(t.id, [])))
    out.extend(t for t in tasks if t.id not in seen)  # parent cycles: keep them, flat
    return out
