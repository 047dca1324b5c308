"""Forms of 退单, 改派 and 催办 on the ticket page (the verbs are campaigns/workflow/dispatch.py)."""

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from campaigns.forms.common import DateInput
from campaigns.forms.units import co_units_field, responsible_units, unit_field
from campaigns.models import OrgUnit, TicketAction, TicketState
from campaigns.workdays import calendar_note

from .tickets import clean_unit_and_deadline


def seen_unit_field():
    """The unit the page showed when the form was drawn: the verb refuses if it has changed."""
    return forms.ModelChoiceField(queryset=OrgUnit.objects.all(), required=False, widget=forms.HiddenInput)


def _other_units(ticket):
    """The district's units the ticket could go to instead (the assign form's list, minus its own)."""
    return responsible_units(ticket.district_id).exclude(pk=ticket.responsible_unit_id or 0)


class TicketDeclineForm(forms.Form):
    needs_ticket = True  # the units it may suggest come from the ticket's district

    reason = forms.CharField(
        label=_("退单原因"),
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("写明为什么不属于本单位职责。"),
    )
    suggested_unit = unit_field(_("建议责任单位"), required=False)

    def __init__(self, *args, ticket, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["suggested_unit"].queryset = _other_units(ticket)


class TicketReassignForm(forms.Form):
    needs_ticket = True  # the units offered come from the ticket's district

    responsible_unit = unit_field(_("改派给"), required=True)
    responsible_person = forms.CharField(label=_("责任人"), required=False, max_length=50)
    responsible_phone = forms.CharField(label=_("责任人电话"), required=False, max_length=30)
    deadline = forms.DateField(label=_("整改时限"), widget=DateInput, required=False)
    deadline_workdays = forms.IntegerField(label=_("或：几个工作日内"), required=False, min_value=1, max_value=60)
    co_units = co_units_field(_("不选则保留原有协办单位。"))
    reason = forms.CharField(label=_("改派原因"), max_length=1000, widget=forms.Textarea(attrs={"rows": 2}))
    seen_unit = seen_unit_field()

    def __init__(self, *args, ticket, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["responsible_unit"].queryset = _other_units(ticket)
        self.fields["co_units"].queryset = responsible_units(ticket.district_id)
        self.initial.setdefault("seen_unit", ticket.responsible_unit_id)
        if not self.is_bound and ticket.state == TicketState.REPORTED:
            # Handed back (退单): offer the unit the one that handed it back named.
            declined = ticket.events.filter(action=TicketAction.DECLINE).order_by("-id").first()
            if declined is not None and declined.details.get("suggested_unit_id"):
                self.initial.setdefault("responsible_unit", declined.details["suggested_unit_id"])
        self.fields["deadline_workdays"].help_text = calendar_note()
        if not self.is_bound and ticket.deadline:
            self.initial.setdefault("deadline", max(ticket.deadline, timezone.localdate()))

    def clean(self):
        return clean_unit_and_deadline(self, super().clean())


class TicketUrgeForm(forms.Form):
    note = forms.CharField(
        label=_("催办内容"),
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("责任单位联络员和单位负责人都会收到。"),
    )
