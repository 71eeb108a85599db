"""API: organisations, memberships and calendars."""

import datetime as dt
from typing import Any

from ninja import NinjaAPI, Router, Schema

from pmo.api.crud import CrudSpec, InSchema, PatchSchema, add_crud
from pmo.orgs.models import Calendar, CalendarException, Membership, Organisation


class OrganisationOut(Schema):
    id: int
    version: int
    code: str
    name: str
    country: str
    currency: str
    default_calendar_id: int | None


class OrganisationIn(InSchema):
    code: str
    name: str
    country: str
    currency: str
    default_calendar_id: int | None = None


class OrganisationPatch(PatchSchema):
    code: str | None = None
    name: str | None = None
    country: str | None = None
    currency: str | None = None
    default_calendar_id: int | None = None


class MembershipOut(Schema):
    id: int
    version: int
    user_id: int
    organisation_id: int
    role: str
    portfolio_id: int | None
    project_id: int | None


class MembershipIn(InSchema):
    user_id: int
    organisation_id: int
    role: str
    portfolio_id: int | None = None
    project_id: int | None = None


class MembershipPatch(PatchSchema):
    role: str | None = None
    portfolio_id: int | None = None
    project_id: int | None = None


class CalendarOut(Schema):
    id: int
    version: int
    organisation_id: int
    name: str
    country: str
    working_week: list[list[list[int]]]
    minutes_per_day: int
    minutes_per_week: int


class CalendarIn(InSchema):
    organisation_id: int
    name: str
    country: str = ""
    working_week: list[list[list[int]]] | None = None
    minutes_per_day: int = 480
    minutes_per_week: int = 2400


class CalendarPatch(PatchSchema):
    name: str | None = None
    country: str | None = None
    working_week: list[list[list[int]]] | None = None
    minutes_per_day: int | None = None
    minutes_per_week: int | None = None


class CalendarExceptionOut(Schema):
    id: int
    version: int
    organisation_id: int
    calendar_id: int
    name: str
    start_date: dt.date
    end_date: dt.date
    working_intervals: list[list[int]]
    is_public_holiday: bool


class CalendarExceptionIn(InSchema):
    calendar_id: int
    name: str
    start_date: dt.date
    end_date: dt.date
    working_intervals: list[list[int]] = []
    is_public_holiday: bool = False


class CalendarExceptionPatch(PatchSchema):
    name: str | None = None
    start_date: dt.date | None = None
    end_date: dt.date | None = None
    working_intervals: list[list[int]] | None = None
    is_public_holiday: bool | None = None


def _calendar_data(data: dict[str, Any]) -> dict[str, Any]:
    if data.get("working_week") is None:
        data.pop("working_week", None)
    return data


def register(api: NinjaAPI) -> None:
    specs = [
        CrudSpec(
            Organisation,
            "organisations",
            OrganisationOut,
            OrganisationIn,
            OrganisationPatch,
            filters={"country": (str, "country"), "code": (str, "code")},
        ),
        CrudSpec(
            Membership,
            "memberships",
            MembershipOut,
            MembershipIn,
            MembershipPatch,
            filters={
                "organisation_id": (int, "organisation_id"),
                "user_id": (int, "user_id"),
                "role": (str, "role"),
                "portfolio_id": (int, "portfolio_id"),
                "project_id": (int, "project_id"),
            },
        ),
        CrudSpec(
            Calendar,
            "calendars",
            CalendarOut,
            CalendarIn,
            CalendarPatch,
            filters={"organisation_id": (int, "organisation_id"), "name": (str, "name")},
            to_data=_calendar_data,
        ),
        CrudSpec(
            CalendarException,
            "calendar-exceptions",
            CalendarExceptionOut,
            CalendarExceptionIn,
            CalendarExceptionPatch,
            filters={
                "organisation_id": (int, "organisation_id"),
                "calendar_id": (int, "calendar_id"),
                "start_date_from": (dt.date, "start_date__gte"),
                "start_date_to": (dt.date, "start_date__lte"),
            },
        ),
    ]
    for spec in specs:
        router = Router()
        add_crud(router, spec)
        api.add_router(f"/{spec.path}", router)
