"""Checks for change requests, decisions, stage gates, status reports and lessons."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pmo.core.access import Access
from pmo.core.services import checks
from pmo.errors import ValidationFailed
from pmo.governance.models import ChangeRequest, Decision, StageGate
from pmo.portfolio.services import check_hierarchy
from pmo.projects.models import Phase


@checks(ChangeRequest)
def check_change_request(access: Access, obj: ChangeRequest, data: Mapping[str, Any]) -> None:
    if obj.requested_on and obj.decided_on and obj.decided_on < obj.requested_on:
        raise ValidationFailed.field("decided_on", "must not be before requested_on")


@checks(Decision)
def check_decision(access: Access, obj: Decision, data: Mapping[str, Any]) -> None:
    check_hierarchy(obj)


@checks(StageGate)
def check_stage_gate(access: Access, obj: StageGate, data: Mapping[str, Any]) -> None:
    if obj.phase and obj.phase not in Phase.values:
        raise ValidationFailed.field(
            "phase", f"{obj.phase!r} is not a phase; choose one of {', '.join(Phase.values)}"
        )
