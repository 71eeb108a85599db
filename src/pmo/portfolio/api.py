"""API: strategic objectives, portfolios, programs."""

import datetime as dt
from decimal import Decimal

from ninja import NinjaAPI, Router, Schema

from pmo.api.crud import CrudSpec, InSchema, PatchSchema, add_crud
from pmo.portfolio.models import Portfolio, Program, StrategicObjective


class ObjectiveOut(Schema):
    id: int
    version: int
    organisation_id: int
    code: str
    name: str
    description: str
    weight: Decimal
    parent_id: int | None
    target_date: dt.date | None


class ObjectiveIn(InSchema):
    organisation_id: int
    code: str
    name: str
    description: str = ""
    weight: Decimal = Decimal(1)
    parent_id: int | None = None
    target_date: dt.date | None = None


class ObjectivePatch(PatchSchema):
    code: str | None = None
    name: str | None = None
    description: str | None = None
    weight: Decimal | None = None
    parent_id: int | None = None
    target_date: dt.date | None = None


class PortfolioOut(Schema):
    id: int
    version: int
    organisation_id: int
    code: str
    name: str
    description: str
    manager_id: int | None
    currency: str
    cpi_threshold: Decimal
    spi_threshold: Decimal
    variance_threshold_percent: Decimal
    objectives: list[int]

    @staticmethod
    def resolve_objectives(obj: Portfolio) -> list[int]:
        return sorted(o.pk for o in obj.objectives.all())


class PortfolioIn(InSchema):
    organisation_id: int
    code: str
    name: str
    description: str = ""
    manager_id: int | None = None
    currency: str
    cpi_threshold: Decimal = Decimal("0.95")
    spi_threshold: Decimal = Decimal("0.95")
    variance_threshold_percent: Decimal = Decimal(10)
    objectives: list[int] = []


class PortfolioPatch(PatchSchema):
    code: str | None = None
    name: str | None = None
    description: str | None = None
    manager_id: int | None = None
    currency: str | None = None
    cpi_threshold: Decimal | None = None
    spi_threshold: Decimal | None = None
    variance_threshold_percent: Decimal | None = None
    objectives: list[int] | None = None


class ProgramOut(Schema):
    id: int
    version: int
    organisation_id: int
    portfolio_id: int
    code: str
    name: str
    description: str
    manager_id: int | None
    objectives: list[int]

    @staticmethod
    def resolve_objectives(obj: Program) -> list[int]:
        return sorted(o.pk for o in obj.objectives.all())


class ProgramIn(InSchema):
    portfolio_id: int
    code: str
    name: str
    description: str = ""
    manager_id: int | None = None
    objectives: list[int] = []


class ProgramPatch(PatchSchema):
    portfolio_id: int | None = None
    code: str | None = None
    name: str | None = None
    description: str | None = None
    manager_id: int | None = None
    objectives: list[int] | None = None


def register(api: NinjaAPI) -> None:
    specs = [
        CrudSpec(
            StrategicObjective,
            "objectives",
            ObjectiveOut,
            ObjectiveIn,
            ObjectivePatch,
            filters={"organisation_id": (int, "organisation_id"), "parent_id": (int, "parent_id")},
        ),
        CrudSpec(
            Portfolio,
            "portfolios",
            PortfolioOut,
            PortfolioIn,
            PortfolioPatch,
            filters={
                "organisation_id": (int, "organisation_id"),
                "manager_id": (int, "manager_id"),
                "objective_id": (int, "objectives__id"),
                "q": (str, ("name__icontains", "code__icontains")),
            },
            prefetch_related=("objectives",),
        ),
        CrudSpec(
            Program,
            "programs",
            ProgramOut,
            ProgramIn,
            ProgramPatch,
            filters={
                "organisation_id": (int, "organisation_id"),
                "portfolio_id": (int, "portfolio_id"),
                "manager_id": (int, "manager_id"),
                "objective_id": (int, "objectives__id"),
                "q": (str, ("name__icontains", "code__icontains")),
            },
            prefetch_related=("objectives",),
        ),
    ]
    for spec in specs:
        router = Router()
        add_crud(router, spec)
        api.add_router(f"/{spec.path}", router)
