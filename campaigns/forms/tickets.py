"""Forms of a ticket's life: logging a problem, assigning it, the fix, 销号, return, reopen, void."""

from datetime import timedelta

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.functional import lazy
from django.utils.translation import gettext_lazy as _

from campaigns.forms.common import (
    DateInput,
    GroupedModelChoiceField,
    KeptModelChoiceField,
    MultiplePhotoField,
    MultiplePhotoInput,
)
from campaigns.forms.units import co_units_field, responsible_units, unit_field
from campaigns.models import (
    ChecklistItem,
    InspectionPoint,
    OrgUnit,
    PhotoKind,
    ProblemCategory,
    UnitKind,
    WorkGroup,
    WorkGroupKind,
)
from campaigns.once import OneSubmissionForm
from campaigns.reference import by_pk, choices_version
from campaigns.services.photo_capture import Capture, device_capture
from campaigns.services.photos import photo_inspect, photo_store, photos_pending_for
from campaigns.workdays import add_working_days, calendar_note

# Which calendar a count of working days uses, read only when a form is shown: a form that is
# sent and saved never shows it, and reading it costs two cache reads and a package lookup.
calendar_note_lazy = lazy(calendar_note, str)

# The camera opens straight away on a phone (the photo picker offers the album beside it), and
# ledger.js shrinks big photos before they are sent over a slow mobile connection.
CAMERA_ATTRS = {"accept": "image/*", "capture": "environment", "data-shrink-photos": ""}
# One per file, in the files' order: when and where the phone says each photo was taken
# (static/js/offline.js writes them; a page without JavaScript sends none).
CAPTURE_FIELD = "photo_capture"


def checklist_choices(queryset):
    return queryset.select_related("area").order_by("area__order", "area_id", "order", "id")


class ChecklistItemChoiceField(GroupedModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.code} {obj.requirement[:40]}"


class PhotoFormMixin:
    """Photos that were fine are kept when the rest of the form is not, so none is lost.

    New files are checked by content; the good ones are stored as pending photos of the
    person and come back as hidden ids on the re-rendered form.
    """

    photo_kind = PhotoKind.BEFORE
    # Acts where a photo is asked for only sometimes (a 销号 level that verifies on site) let
    # the verb decide.
    photos_optional = False
    photos_required_message = _("请至少上传一张照片。")
    # An act's form built with the acting person (campaigns/forms/acts.py).
    needs_user = True

    @property
    def photos_required(self):
        """Whether a photo must be sent: marked on the page, and told to assistive technology
        (the file field carries no `required`, as photos kept from a failed try count too)."""
        return not self.photos_optional

    def _init_photos(self, user):
        self.user = user
        if self.photos_required:
            self.fields["photos"].widget.attrs["aria-required"] = "true"
        self.kept_photos = photos_pending_for(user, self.data.getlist("kept_photos")) if self.is_bound else []
        self._good_files = []
        self._device_captures: dict[int, Capture] = {}

    def _captures_for(self, files):
        notes = self.data.getlist(CAPTURE_FIELD) if hasattr(self.data, "getlist") else []
        if len(notes) != len(files):
            return [None] * len(files)  # which note is whose is unknown: none is used
        return [device_capture(note) for note in notes]

    def clean_photos(self):
        files = self.files.getlist("photos") if self.files else []
        errors = []
        for uploaded, capture in zip(files, self._captures_for(files), strict=True):
            try:
                photo_inspect(uploaded)
            except ValidationError as exc:
                errors.extend(exc.messages)
            else:
                self._good_files.append(uploaded)
                if capture is not None:
                    self._device_captures[id(uploaded)] = capture
        total = len(self._good_files) + len(self.kept_photos)
        if total > settings.PHOTOS_PER_TICKET_MAX:
            errors.append(_("一次最多上传 %(n)s 张照片。") % {"n": settings.PHOTOS_PER_TICKET_MAX})
        if errors:
            raise ValidationError(errors)
        if total == 0 and not self.photos_optional:
            raise ValidationError(self.photos_required_message, code="required")
        return files

    def keep_photos(self, ticket=None, event=None):
        """Store the photos that passed the check; return every photo this form now holds.

        Given the ticket and event they belong to (inside the act's transaction), they are
        stored on it at once; otherwise they wait, unclaimed, for the next try.
        """
        self._stored_now = []
        for uploaded in self._good_files:
            self._stored_now.append(
                photo_store(
                    uploaded,
                    user=self.user,
                    kind=self.photo_kind,
                    ticket=ticket,
                    event=event,
                    device=self._device_captures.get(id(uploaded)),
                )
            )
        self._stored_files, self._good_files = self._good_files, []
        self.kept_photos.extend(self._stored_now)
        return self.kept_photos

    def photos_rolled_back(self):
        """The transaction that stored this request's photos was rolled back: their rows are
        gone, so they are stored again by the next keep_photos()."""
        gone = getattr(self, "_stored_now", None)
        if gone is None:
            return  # refused before anything was stored: the good files still wait for keep_photos()
        for photo in gone:  # their files were written before the rollback: not left behind
            photo.image.delete(save=False)
        stored = {id(photo) for photo in gone}
        self.kept_photos = [photo for photo in self.kept_photos if id(photo) not in stored]
        self._good_files, self._stored_now = getattr(self, "_stored_files", []), []


class TicketLogForm(OneSubmissionForm, PhotoFormMixin, forms.Form):
    point = GroupedModelChoiceField(
        queryset=InspectionPoint.objects.none(),
        required=False,
        label=_("点位"),
        empty_label=_("— 不在清单里，手写地点 —"),
        group_label=lambda p: p.street.name if p.street_id else "",
    )
    place = forms.CharField(
        label=_("具体地点"), required=False, max_length=200, help_text=_("门牌、路口或参照物，方便责任单位找到。")
    )
    street = KeptModelChoiceField(
        queryset=OrgUnit.objects.none(), required=False, label=_("街道/乡镇"), empty_label=_("— 请选择 —")
    )
    category = GroupedModelChoiceField(
        queryset=ProblemCategory.objects.none(),
        label=_("问题类别"),
        empty_label=_("— 请选择 —"),
        group_label=lambda c: c.area.name,
    )
    description = forms.CharField(label=_("问题描述"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3}))
    photos = MultiplePhotoField(
        label=_("问题照片"),
        widget=MultiplePhotoInput(attrs=CAMERA_ATTRS),
        help_text=_("可多张，直接拍照。"),
    )
    checklist_item = ChecklistItemChoiceField(
        queryset=ChecklistItem.objects.none(),
        required=False,
        label=_("影响的任务"),
        empty_label=_("— 不关联 —"),
        group_label=lambda item: f"{item.area.code} {item.area.name}",
        help_text=_("选与问题类别同一测评类别的任务，这个问题会计入它的风险分。"),
    )
    responsible_unit = unit_field(_("责任单位"), required=False, empty_label=_("— 暂不交办 —"))
    responsible_person = forms.CharField(label=_("责任人"), required=False, max_length=50)
    deadline = forms.DateField(label=_("整改时限"), required=False, widget=DateInput)
    deadline_workdays = forms.IntegerField(
        label=_("或：几个工作日内"), required=False, min_value=1, max_value=60, help_text=_("按法定节假日和调休计算。")
    )

    photos_required_message = _("请至少拍一张问题照片。")
    # The order the page draws them in (photo first: the camera is the first tap), so the first
    # field with an error is the first one on the page.
    field_order = [
        "photos",
        "point",
        "place",
        "street",
        "category",
        "description",
        "responsible_unit",
        "responsible_person",
        "deadline",
        "deadline_workdays",
        "checklist_item",
    ]

    def __init__(self, *args, campaign, user, initial_street=None, point=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["deadline_workdays"].help_text = calendar_note_lazy()
        self._init_photos(user)
        self.campaign = campaign
        district = campaign.district
        # A point from a scanned sticker (the view has checked it may be used) is chosen
        # already, and shown at the top for as long as it stays chosen.
        self.chosen_point = None
        if point is not None and point.district_id == district.pk and point.is_active:
            if not self.is_bound:
                self.initial["point"] = point.pk
                self.chosen_point = point
            elif self.data.get("point") == str(point.pk):
                self.chosen_point = point
        version = choices_version()
        for name, queryset in self._querysets(campaign, district).items():
            self.fields[name].queryset = queryset  # the field takes a fresh clone of it
        if initial_street is not None and not self.is_bound:
            self.initial.setdefault("street", initial_street.pk)
        if self.is_bound:
            # Every log validates a point, a category and a street: against kept reference data.
            for name, scope_key in (("point", district.pk), ("street", district.pk), ("category", campaign.pk)):
                field = self.fields[name]
                field.kept = lambda f=field, n=name, k=scope_key: by_pk(f"log-{n}:{k}", version, f.queryset)

    @staticmethod
    def _querysets(campaign, district):
        return {
            "point": InspectionPoint.objects.filter(district=district, is_active=True)
            .select_related("street")
            .order_by("street__order", "street_id", "name"),
            "street": OrgUnit.objects.filter(
                district=district, kind__in=[UnitKind.STREET, UnitKind.TOWNSHIP], is_active=True
            ),
            "category": ProblemCategory.objects.filter(campaign=campaign, is_active=True)
            .select_related("area")
            .order_by("area__order", "area_id", "order", "id"),
            "responsible_unit": responsible_units(district),
            "checklist_item": checklist_choices(ChecklistItem.objects.filter(campaign=campaign)),
        }

    def clean(self):
        data = super().clean()
        item, category = data.get("checklist_item"), data.get("category")
        if item and category and item.area_id != category.area_id:
            self.add_error(
                "checklist_item", _("所选任务不属于这个问题类别的测评类别（%(area)s）。") % {"area": category.area.name}
            )
        if not data.get("point") and not data.get("place"):
            self.add_error("place", _("请选择点位，或写明具体地点。"))
        if not data.get("point") and not data.get("street"):
            self.add_error("street", _("手写地点时请选择所在街道/乡镇。"))
        if data.get("deadline_workdays"):
            data["deadline"] = add_working_days(timezone.localdate(), data["deadline_workdays"])
        unit, deadline = data.get("responsible_unit"), data.get("deadline")
        if unit and not deadline:
            self.add_error("deadline", _("直接交办时请填写整改时限。"))
        if deadline and not unit:
            self.add_error("responsible_unit", _("填写了整改时限，请同时选择责任单位。"))
        if deadline and deadline < timezone.localdate():
            self.add_error("deadline", _("整改时限不能早于今天。"))
        return data

    def assignment(self):
        data = self.cleaned_data
        if not data.get("responsible_unit"):
            return None
        return {
            "unit": data["responsible_unit"],
            "person": data.get("responsible_person", ""),
            "deadline": data["deadline"],
        }


def clean_unit_and_deadline(form: forms.Form, data: dict) -> dict:
    """What 交办 and 改派 check alike: a deadline given as a date or as N working days, not
    in the past, and a lead unit that is not also among its 协办单位."""
    workdays, deadline = data.get("deadline_workdays"), data.get("deadline")
    if workdays:
        data["deadline"] = add_working_days(timezone.localdate(), workdays)
    elif deadline is None:
        if "deadline" not in form.errors:
            form.add_error("deadline", _("请选择整改时限，或填写几个工作日内完成。"))
    elif deadline < timezone.localdate():
        form.add_error("deadline", _("整改时限不能早于今天。"))
    lead, helpers = data.get("responsible_unit"), data.get("co_units")
    if lead is not None and helpers and lead in helpers:
        form.add_error("co_units", _("主办单位不能同时是协办单位。"))
    return data


class TicketAssignForm(forms.Form):
    needs_ticket = True  # the units, deadline and task offered come from the ticket

    responsible_unit = unit_field(_("责任单位"), required=True)
    responsible_person = forms.CharField(label=_("责任人"), required=False, max_length=50)
    responsible_phone = forms.CharField(label=_("责任人电话"), required=False, max_length=30)
    deadline = forms.DateField(label=_("整改时限"), widget=DateInput, required=False)
    deadline_workdays = forms.IntegerField(
        label=_("或：几个工作日内"),
        required=False,
        min_value=1,
        max_value=60,
        help_text=_("按国家法定节假日和调休计算，填了就不用选日期。"),
    )
    work_group = forms.ModelChoiceField(
        queryset=WorkGroup.objects.none(), required=False, label=_("负责专线"), empty_label=_("— 不指定 —")
    )
    co_units = co_units_field(_("可多选；协办单位提交协办部分（或督导免除）后，主办单位才能提交整改。"))
    note = forms.CharField(
        label=_("交办意见"), required=False, max_length=1000, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, ticket, **kwargs):
        super().__init__(*args, **kwargs)
        if "deadline_workdays" in self.fields:
            self.fields["deadline_workdays"].help_text = calendar_note_lazy()
        self.fields["responsible_unit"].queryset = responsible_units(ticket.district_id)
        self.fields["co_units"].queryset = responsible_units(ticket.district_id)
        self.fields["work_group"].queryset = WorkGroup.objects.filter(
            campaign_id=ticket.campaign_id, kind=WorkGroupKind.WORK_LINE
        )
        # Only tasks of the problem's own assessment area can be put at risk by it.
        self.fields["checklist_item"] = ChecklistItemChoiceField(
            queryset=checklist_choices(
                ChecklistItem.objects.filter(campaign_id=ticket.campaign_id, area_id=ticket.area_id)
            ),
            required=False,
            label=_("影响的任务"),
            empty_label=_("— 不关联 —"),
            group_label=lambda item: f"{item.area.code} {item.area.name}",
            initial=ticket.checklist_item_id,
        )
        self.order_fields(
            [
                "responsible_unit",
                "responsible_person",
                "responsible_phone",
                "deadline",
                "deadline_workdays",
                "work_group",
                "co_units",
                "checklist_item",
                "note",
            ]
        )
        if not self.is_bound:
            days = ticket.category.default_deadline_days if ticket.category_id else settings.DEFAULT_DEADLINE_DAYS
            self.initial.setdefault("deadline", timezone.localdate() + timedelta(days=days))
            if ticket.point_id and ticket.point.responsible_department_id:
                self.initial.setdefault("responsible_unit", ticket.point.responsible_department_id)

    def clean(self):
        return clean_unit_and_deadline(self, super().clean())


class TicketSubmitFixForm(PhotoFormMixin, forms.Form):
    note = forms.CharField(label=_("整改情况"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3}))
    photos = MultiplePhotoField(
        label=_("整改后照片"),
        widget=MultiplePhotoInput(attrs=CAMERA_ATTRS),
    )

    photo_kind = PhotoKind.AFTER
    photos_required_message = _("提交整改至少需要一张整改后照片。")

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self._init_photos(user)


class TicketCloseOutForm(PhotoFormMixin, forms.Form):
    note = forms.CharField(
        label=_("核验意见"), required=False, max_length=1000, widget=forms.Textarea(attrs={"rows": 2})
    )
    photos = MultiplePhotoField(
        label=_("现场核验照片"),
        required=False,
        widget=MultiplePhotoInput(attrs=CAMERA_ATTRS),
        help_text=_("这一级要求现场核验时必传。"),
    )

    photo_kind = PhotoKind.REVIEW
    photos_optional = True

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self._init_photos(user)


class TicketReturnForm(forms.Form):
    reason = forms.CharField(label=_("退回原因"), max_length=1000, widget=forms.Textarea(attrs={"rows": 2}))
    deadline = forms.DateField(
        label=_("新的整改时限"), required=False, widget=DateInput, help_text=_("不填则沿用原时限。")
    )

    def clean_deadline(self):
        deadline = self.cleaned_data.get("deadline")
        if deadline and deadline < timezone.localdate():
            raise ValidationError(_("整改时限不能早于今天。"))
        return deadline


class TicketReopenForm(forms.Form):
    reason = forms.CharField(label=_("反弹情况"), max_length=1000, widget=forms.Textarea(attrs={"rows": 2}))
    deadline = forms.DateField(label=_("新的整改时限"), widget=DateInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial.setdefault("deadline", timezone.localdate() + timedelta(days=settings.DEFAULT_DEADLINE_DAYS))

    def clean_deadline(self):
        deadline = self.cleaned_data["deadline"]
        if deadline < timezone.localdate():
            raise ValidationError(_("整改时限不能早于今天。"))
        return deadline


class TicketSignForm(forms.Form):
    note = forms.CharField(
        label=_("签收说明"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("督导代单位签收时，写明电话确认的人。"),
    )


class TicketVoidForm(forms.Form):
    reason = forms.CharField(
        label=_("撤销原因"),
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("如：不属于问题、重复登记（写明重复的台账编号）。"),
    )
