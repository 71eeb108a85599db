"""Reference data of finance: exchange rates."""

from __future__ import annotations

from django.contrib import admin

from pmo.core.admin import AuditedAdmin
from pmo.finance.models import ExchangeRate


@admin.register(ExchangeRate)
class ExchangeRateAdmin(AuditedAdmin):
    list_display = ("currency", "to_currency", "effective_date", "rate", "organisation")
    list_filter = ("organisation", "currency", "to_currency")
    date_hierarchy = "effective_date"
