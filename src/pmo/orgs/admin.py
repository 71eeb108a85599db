"""Reference data of each organisation: the organisation, memberships, calendars."""

from __future__ import annotations

from django.contrib import admin

from pmo.core.admin import AuditedAdmin
from pmo.orgs.models import Calendar, CalendarException, Membership, Organisation


@admin.register(Organisation)
class OrganisationAdmin(AuditedAdmin):
    list_display = ("code", "name", "country", "currency", "default_calendar")
    search_fields = ("code", "name")
    list_filter = ("country", "currency")


@admin.register(Membership)
class MembershipAdmin(AuditedAdmin):
    list_display = ("user", "organisation", "role", "portfolio", "project")
    list_filter = ("organisation", "role")
    search_fields = ("user__username", "user__email", "organisation__name")
    raw_id_fields = ("user", "portfolio", "project")
    list_select_related = ("user", "organisation", "portfolio", "project")


class CalendarExceptionInline(admin.TabularInline):  # type: ignore[type-arg]
    model = CalendarException
    fields = ("name", "start_date", "end_date", "working_intervals", "is_public_holiday")
    extra = 1


@admin.register(Calendar)
class CalendarAdmin(AuditedAdmin):
    list_display = ("name", "organisation", "country", "minutes_per_day", "minutes_per_week")
    list_filter = ("organisation",)
    search_fields = ("name",)
    inlines = [CalendarExceptionInline]
