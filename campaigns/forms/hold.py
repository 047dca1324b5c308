"""Forms of 申请延期/同意延期/驳回延期, 挂账/恢复整改 and 挂牌督办 (campaigns/forms/acts.py)."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from campaigns.forms.common import DateInput, MultiplePhotoField, MultiplePhotoInput
from campaigns.forms.dispatch import seen_unit_field
from campaigns.forms.tickets import CAMERA_ATTRS, PhotoFormMixin
from campaigns.models import PhotoKind


class OptionalPhotosMixin(PhotoFormMixin):
    """Evidence photos that help the case but are not required."""

    photo_kind = PhotoKind.EVIDENCE
    photos_required = False

    def clean_photos(self):
        try:
            return super().clean_photos()
        except ValidationError as exc:
            if exc.error_list and all(error.code == "required" for error in exc.error_list):
                return []
            raise


def _evidence_field():
    return MultiplePhotoField(label=_("佐证照片"), required=False, widget=MultiplePhotoInput(attrs=CAMERA_ATTRS))


def _not_past(value):
    if value and value < timezone.localdate():
        raise ValidationError(_("日期不能早于今天。"))
    return value


class TicketExtensionRequestForm(OptionalPhotosMixin, forms.Form):
    needs_ticket = True  # the current deadline is shown and checked
    until = forms.DateField(label=_("申请延期至"), widget=DateInput)
    reason = forms.CharField(label=_("延期原因"), max_length=1000, widget=forms.Textarea(attrs={"rows": 2}))
    photos = _evidence_field()

    def __init__(self, *args, ticket, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.ticket = ticket
        self._init_photos(user)
        if ticket is not None and ticket.deadline:
            self.fields["until"].help_text = _("现在的整改时限：%(d)s") % {"d": ticket.deadline.isoformat()}

    def clean_until(self):
        until = self.cleaned_data["until"]
        floor = (self.ticket.deadline if self.ticket else None) or timezone.localdate()
        if until <= floor:
            raise ValidationError(_("申请延期至的日期必须晚于现在的整改时限（%(d)s）。") % {"d": floor.isoformat()})
        return until


class TicketExtensionApproveForm(forms.Form):
    deadline = forms.DateField(
        label=_("新的整改时限"), required=False, widget=DateInput, help_text=_("不填则按申请的日期。")
    )
    note = forms.CharField(
        label=_("审批意见"), required=False, max_length=1000, widget=forms.Textarea(attrs={"rows": 2})
    )

    def clean_deadline(self):
        return _not_past(self.cleaned_data.get("deadline"))


class TicketExtensionRejectForm(forms.Form):
    reason = forms.CharField(label=_("驳回原因"), max_length=1000, widget=forms.Textarea(attrs={"rows": 2}))


class TicketHoldForm(OptionalPhotosMixin, forms.Form):
    needs_ticket = True  # the unit it is held for travels with the form
    until = forms.DateField(label=_("计划恢复整改日期"), widget=DateInput)
    reason = forms.CharField(label=_("挂账原因"), max_length=1000, widget=forms.Textarea(attrs={"rows": 2}))
    photos = _evidence_field()
    seen_unit = seen_unit_field()

    def __init__(self, *args, ticket, user, **kwargs):
        super().__init__(*args, **kwargs)
        self._init_photos(user)
        if ticket is not None:
            self.initial.setdefault("seen_unit", ticket.responsible_unit_id)

    def clean_until(self):
        until = self.cleaned_data["until"]
        if until <= timezone.localdate():
            raise ValidationError(_("计划恢复日期必须晚于今天。"))
        return until


class TicketResumeForm(forms.Form):
    note = forms.CharField(label=_("说明"), required=False, max_length=1000, widget=forms.Textarea(attrs={"rows": 2}))


class TicketSuperviseForm(forms.Form):
    document_number = forms.CharField(
        label=_("文号"),
        max_length=60,
        required=False,
        help_text=_("留空则按本区发文字号自动编号；本区已用过的文号不能再用。"),
    )
    supervising_unit = forms.CharField(label=_("督办单位"), max_length=100)
    leader = forms.CharField(label=_("责任领导"), max_length=50)
    deadline = forms.DateField(label=_("督办时限"), widget=DateInput)
    reason = forms.CharField(label=_("督办事由"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3}))

    def clean_deadline(self):
        return _not_past(self.cleaned_data["deadline"])
