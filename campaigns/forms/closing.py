"""Forms of the end of the 交办 chain: 复核, 协办 parts, 复查."""

from django import forms
from django.utils.translation import gettext_lazy as _

from campaigns.forms.common import MultiplePhotoField, MultiplePhotoInput
from campaigns.forms.tickets import CAMERA_ATTRS, PhotoFormMixin
from campaigns.models import ClosingLevel, OrgUnit, PhotoKind, Role, TicketCoUnit, WorkGroup


class _NoteAndPhotos(PhotoFormMixin, forms.Form):
    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self._init_photos(user)


class TicketReviewForm(_NoteAndPhotos):
    note = forms.CharField(
        label=_("复核意见"), required=False, max_length=1000, widget=forms.Textarea(attrs={"rows": 2})
    )
    photos = MultiplePhotoField(
        label=_("现场核验照片"),
        required=False,
        widget=MultiplePhotoInput(attrs=CAMERA_ATTRS),
        help_text=_("这一级要求现场核验时必传。"),
    )

    photo_kind = PhotoKind.REVIEW
    photos_optional = True


class TicketSubmitPartForm(_NoteAndPhotos):
    note = forms.CharField(label=_("协办情况"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3}))
    photos = MultiplePhotoField(label=_("协办照片"), widget=MultiplePhotoInput(attrs=CAMERA_ATTRS))

    photo_kind = PhotoKind.PART
    photos_required_message = _("提交协办部分至少需要一张照片。")


class TicketWaivePartForm(forms.Form):
    needs_ticket = True  # the 协办单位 offered are the ticket's own, still due

    unit = forms.ModelChoiceField(queryset=OrgUnit.objects.none(), label=_("协办单位"), empty_label=_("— 请选择 —"))
    reason = forms.CharField(label=_("免除原因"), max_length=1000, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, ticket, **kwargs):
        super().__init__(*args, **kwargs)
        outstanding = TicketCoUnit.objects.filter(ticket_id=ticket.pk, part_submitted_at=None, waived_at=None)
        self.fields["unit"].queryset = OrgUnit.objects.filter(pk__in=outstanding.values("unit_id"))


class TicketRecheckKeptForm(_NoteAndPhotos):
    note = forms.CharField(
        label=_("复查情况"), required=False, max_length=1000, widget=forms.Textarea(attrs={"rows": 2})
    )
    photos = MultiplePhotoField(label=_("复查照片"), required=False, widget=MultiplePhotoInput(attrs=CAMERA_ATTRS))

    photo_kind = PhotoKind.RECHECK
    photos_optional = True


class TicketRecheckRelapseForm(_NoteAndPhotos):
    note = forms.CharField(label=_("反弹情况"), max_length=1000, widget=forms.Textarea(attrs={"rows": 2}))
    photos = MultiplePhotoField(label=_("复查照片"), widget=MultiplePhotoInput(attrs=CAMERA_ATTRS))

    photo_kind = PhotoKind.RECHECK
    photos_required_message = _("复查反弹须上传现场照片。")


class ClosingLevelForm(forms.ModelForm):
    """One more level of a campaign's 销号 chain (setup page)."""

    class Meta:
        model = ClosingLevel
        fields = ["name", "role", "work_group", "photo_required"]

    def __init__(self, *args, campaign, **kwargs):
        super().__init__(*args, **kwargs)
        self.campaign = campaign
        self.instance.campaign = campaign
        self.fields["role"].choices = [
            ("", _("— 不按角色 —")),
            (Role.SUPERVISOR, Role.SUPERVISOR.label),
            (
                Role.ADMIN,
                Role.ADMIN.label,
            ),
            (Role.STAFF, Role.STAFF.label),
        ]
        self.fields["work_group"].queryset = WorkGroup.objects.filter(campaign=campaign).order_by("kind", "order", "id")
        self.fields["work_group"].empty_label = _("— 不按工作组 —")

    def clean(self):
        data = super().clean()
        if not data.get("role") and not data.get("work_group"):
            raise forms.ValidationError(_("请选择核验角色或核验工作组。"))
        return data
