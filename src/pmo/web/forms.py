"""Form helpers for pages that write through the services.

A ``ServiceForm`` is a plain Django form whose fields are generated from a model (so
choices, lengths and validators match it) but which never saves anything itself: it turns
its cleaned values into the ``data`` mapping the services take (``to_data``), and puts the
``FieldError`` paths of a ``ValidationFailed`` back on its fields (``add_service_errors``).
Every edit form carries the hidden ``version`` it was read at.
"""

from __future__ import annotations

import copy
import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Any, ClassVar

from django import forms
from django.contrib.auth import get_user_model
from django.db import models
from django.db.models import Model

from pmo.errors import ValidationFailed

DATETIME_FORMAT = "%Y-%m-%dT%H:%M"
DEFAULT_MINUTES_PER_DAY = 480


def _formfield(field: models.Field[Any, Any], **kwargs: Any) -> forms.Field | None:
    if isinstance(field, models.DateTimeField):
        kwargs["widget"] = forms.DateTimeInput(
            attrs={"type": "datetime-local"}, format=DATETIME_FORMAT
        )
    elif isinstance(field, models.DateField):
        kwargs["widget"] = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    elif isinstance(field, models.TextField):
        kwargs["widget"] = forms.Textarea(attrs={"rows": 3})
    formfield = field.formfield(**kwargs)
    if formfield is not None:
        # the validators given to the model field (ranges, codes) check the form too
        formfield.validators = [*formfield.validators, *getattr(field, "_validators", [])]
    return formfield


def days_to_minutes(days: Decimal | float | int | None, minutes_per_day: int) -> int:
    if days is None:
        return 0
    return round(Decimal(str(days)) * minutes_per_day)


def minutes_to_days(minutes: int | None, minutes_per_day: int) -> Decimal | None:
    """Working minutes as days, without trailing zeros (``960`` → ``2``, ``240`` → ``0.5``)."""
    if minutes is None:
        return None
    try:
        value = (Decimal(minutes) / Decimal(minutes_per_day or DEFAULT_MINUTES_PER_DAY)).quantize(
            Decimal("0.01")
        )
    except InvalidOperation:
        return None
    normal = value.normalize()
    # normalize() writes 100 as 1E+2
    return normal.quantize(Decimal(1)) if normal == normal.to_integral() else normal


class DaysField(forms.DecimalField):
    """A duration or lag typed in days (converted to working minutes by the form)."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("max_digits", 9)
        kwargs.setdefault("decimal_places", 2)
        kwargs.setdefault("widget", forms.NumberInput(attrs={"step": "any"}))
        super().__init__(**kwargs)


class YesNoSelect(forms.NullBooleanSelect):
    """Yes / No without the *unknown* choice; a form that does not send the field reads None."""

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs)
        self.choices = [("true", "Yes"), ("false", "No")]


class YesNoField(forms.NullBooleanField):
    """A yes/no option shown as a select rather than a checkbox: an unticked checkbox is not
    sent at all, so a form could not tell *no* from *not on this form* (a client posting only
    some fields); the select always sends its value, and a missing one reads None."""

    widget = YesNoSelect

    def validate(self, value: Any) -> None:
        # NullBooleanField accepts None whatever ``required`` says
        if value is None and self.required:
            raise forms.ValidationError(self.error_messages["required"], code="required")


class TaskChoiceField(forms.ModelChoiceField):  # type: ignore[type-arg]
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.wbs} {obj.name}".strip() if obj.wbs else str(obj.name)


def user_label(obj: Any) -> str:
    full = obj.get_full_name() if hasattr(obj, "get_full_name") else ""
    return f"{full} ({obj.get_username()})" if full else str(obj.get_username())


class ServiceForm(forms.Form):
    """A form for ``model`` over ``model_fields``, narrowed to one organisation."""

    model: ClassVar[type[Model]]
    model_fields: ClassVar[list[str]] = []
    # a data key (or the first element of an error path) -> the form field showing it
    error_fields: ClassVar[dict[str, str]] = {}
    _generated: ClassVar[dict[str, forms.Field]]

    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(
        self,
        *args: Any,
        organisation_id: int | None = None,
        instance: Model | None = None,
        **kwargs: Any,
    ) -> None:
        if instance is not None and "initial" not in kwargs and not args and "data" not in kwargs:
            kwargs["initial"] = self.initial_from(instance)
        super().__init__(*args, **kwargs)
        self.instance = instance
        self.organisation_id = organisation_id
        generated = self.generated_fields()
        ordered: dict[str, forms.Field] = {}
        for name in self.model_fields:
            declared = self.fields.pop(name) if name in self.fields else None
            ordered[name] = declared or copy.deepcopy(generated[name])
        ordered.update(self.fields)
        self.fields = ordered
        for field in self.fields.values():
            if isinstance(field, forms.ModelChoiceField) and field.queryset is not None:
                field.queryset = self.narrow(field.queryset)
                if field.queryset.model is get_user_model():
                    field.label_from_instance = user_label  # type: ignore[method-assign]

    @classmethod
    def generated_fields(cls) -> dict[str, forms.Field]:
        if "_generated" not in cls.__dict__:
            names = [n for n in cls.model_fields if n not in cls.base_fields]
            cls._generated = dict(
                forms.fields_for_model(cls.model, fields=names, formfield_callback=_formfield)
            )
        return cls._generated

    def narrow(self, queryset: models.QuerySet[Any]) -> models.QuerySet[Any]:
        """Only choices of this form's organisation (the services check again on save)."""
        model = queryset.model
        if self.organisation_id is None:
            return queryset.none()
        if model is get_user_model():
            return (
                queryset.filter(memberships__organisation_id=self.organisation_id)
                .distinct()
                .order_by("username")
            )
        if any(f.name == "organisation" for f in model._meta.concrete_fields):
            return queryset.filter(organisation_id=self.organisation_id)
        return queryset.none()

    def initial_from(self, obj: Model) -> dict[str, Any]:
        initial: dict[str, Any] = {"version": getattr(obj, "version", None)}
        for name in self.model_fields:
            try:
                field = obj._meta.get_field(name)
            except Exception:  # noqa: S112 - a form-only field
                continue
            if isinstance(field, models.ForeignKey):
                initial[name] = getattr(obj, field.attname)
            elif isinstance(field, models.ManyToManyField):
                continue
            else:
                value = getattr(obj, name)
                if isinstance(value, dt.datetime):
                    from django.utils import timezone

                    value = timezone.localtime(value) if timezone.is_aware(value) else value
                initial[name] = value
        return initial

    def to_data(self) -> dict[str, Any]:
        """The cleaned values as service data: foreign keys by ``<name>_id``."""
        data: dict[str, Any] = {}
        for name in self.model_fields:
            if name not in self.cleaned_data:
                continue
            value = self.cleaned_data[name]
            try:
                field = self.model._meta.get_field(name)
            except Exception:  # noqa: S112 - a form-only field, converted by a subclass
                continue
            if isinstance(field, models.ForeignKey):
                data[field.attname] = value.pk if value is not None else None
            elif isinstance(field, models.ManyToManyField):
                data[name] = [v.pk for v in value]
            else:
                data[name] = value
        return data

    def add_service_errors(self, exc: ValidationFailed) -> None:
        """Show each ``FieldError`` next to its field, or above the form."""
        for error in exc.errors:
            key = str(error.path[0]) if error.path else ""
            name = self.error_fields.get(key, key)
            if name not in self.fields and name.endswith("_id"):
                name = name[:-3]
            if name and name in self.fields and name != "version":
                self.add_error(name, error.message)
            else:
                where = ".".join(str(p) for p in error.path)
                self.add_error(None, f"{where}: {error.message}" if where else error.message)
