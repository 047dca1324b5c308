"""Forms of inspection rounds: the round itself, the list's filters, the sample, the inspectors,
and the inspector's one form per point (the 项 there, or the findings a 复查 goes back to)."""

from django import forms
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from campaigns.access import may_manage_round, scope_for
from campaigns.forms.common import DateInput, GroupedModelChoiceField, MultiplePhotoField, MultiplePhotoInput
from campaigns.forms.tickets import CAMERA_ATTRS
from campaigns.models import (
    CheckResult,
    FindingOutcome,
    InspectionPoint,
    InspectionRound,
    OrgUnit,
    RoundKind,
    RoundLevel,
    RoundStatus,
    Standard,
    StandardScope,
    UnitKind,
)
from campaigns.once import OneSubmissionForm
from campaigns.policy import WORKER_ROLES
from campaigns.selectors.rounds import running_campaigns
from campaigns.services.photos import photo_inspect, photo_store, photos_pending_for
from campaigns.workdays import calendar_note

User = get_user_model()

SEED = r"^[A-Za-z0-9]{1,40}$"


class TeamField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, user):
        return f"{user.get_full_name() or user.get_username()}（{user.get_username()}）"


class RoundForm(forms.ModelForm):
    """A round's settings. Who may set which level over which districts is access.may_manage_round;
    the choices offered are already cut to what this person may run."""

    districts = forms.ModelMultipleChoiceField(
        label=_("涉及的区"), queryset=OrgUnit.objects.none(), widget=forms.CheckboxSelectMultiple
    )
    team = TeamField(
        label=_("检查组成员"),
        queryset=User.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("在所选区有工作角色的人员；他们在“我的检查”里逐个点位打分。"),
    )

    class Meta:
        model = InspectionRound
        fields = [
            "name",
            "kind",
            "level",
            "districts",
            "standard",
            "starts_on",
            "ends_on",
            "letter_number",
            "letter_date",
            "deadline_working_days",
            "team",
        ]
        widgets = {
            "starts_on": DateInput(format="%Y-%m-%d"),
            "ends_on": DateInput(format="%Y-%m-%d"),
            "letter_date": DateInput(format="%Y-%m-%d"),
        }

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.scope = scope = scope_for(user)
        days = self.fields["deadline_working_days"]
        days.help_text = f"{days.help_text} {calendar_note(self.instance.letter_date)}"
        managed = [d for d in scope.district_ids if scope.can_manage(d)]
        self.fields["districts"].queryset = OrgUnit.objects.filter(pk__in=managed, kind=UnitKind.DISTRICT).order_by(
            "order", "id"
        )
        if len(managed) == 1 and not self.instance.pk:
            self.initial["districts"] = managed
        if self.instance.kind == RoundKind.RECHECK:
            self.fields["kind"].choices = [(RoundKind.RECHECK.value, RoundKind.RECHECK.label)]
        else:
            self.fields["kind"].choices = [(k.value, k.label) for k in RoundKind if k != RoundKind.RECHECK]
        if not scope.is_city_level:
            self.fields["level"].choices = [(RoundLevel.DISTRICT.value, RoundLevel.DISTRICT.label)] + [
                (RoundLevel.STREET.value, RoundLevel.STREET.label)
            ]
        self.fields["standard"].queryset = Standard.objects.order_by("-is_current", "name", "-version")
        self.fields["standard"].required = True
        if not self.instance.pk and not self.initial.get("standard"):
            self.initial["standard"] = self._standard_offered(managed)
        cities = OrgUnit.objects.filter(pk__in=managed).values("parent_id")
        self.fields["team"].queryset = (
            User.objects.filter(is_active=True, memberships__role__in=WORKER_ROLES, memberships__unit__is_active=True)
            .filter(Q(memberships__unit__district_id__in=managed) | Q(memberships__unit_id__in=cities))
            .distinct()
            .order_by("first_name", "username")
        )

    @staticmethod
    def _standard_offered(district_ids):
        """The standard the districts' running campaigns are scored on when they share one (the
        round then scores what their boards forecast); else the current one for cities."""
        shared = {campaign.standard_id for campaign in running_campaigns(district_ids).values()}
        if len(shared) == 1 and None not in shared:
            return shared.pop()
        # As services.standard.standard_default chooses, without installing anything from a form.
        current = Standard.objects.filter(is_current=True).order_by("-created_at", "-id").values_list("pk", flat=True)
        return current.filter(scope=StandardScope.CITY).first() or current.first()

    def clean(self):
        data = super().clean()
        starts, ends = data.get("starts_on"), data.get("ends_on")
        if starts and ends and ends < starts:
            self.add_error("ends_on", _("结束日期不能早于开始日期。"))
        districts = list(data.get("districts") or [])
        level = data.get("level")
        if districts and level:
            ids = [district.pk for district in districts]
            if level in (RoundLevel.DISTRICT, RoundLevel.STREET) and len(ids) > 1:
                self.add_error("districts", _("区级和街道自查的轮次只涉及一个区。"))
            elif not may_manage_round(self.scope, level, ids):
                self.add_error("level", _("您不能为所选的区建立这一层级的轮次：市级以上轮次由市创卫办管理员建立。"))
            self.campaigns = running_campaigns(ids)
            missing = [district.name for district in districts if district.pk not in self.campaigns]
            if missing:
                message = _("%(names)s没有进行中的活动，发现的问题无处登记。") % {"names": "、".join(missing)}
                self.add_error("districts", message)
            outsiders = [
                person.get_full_name() or person.get_username()
                for person in data.get("team") or []
                if not any(scope_for(person).can_log(district_id) for district_id in ids)
            ]
            if outsiders:
                self.add_error("team", _("%(names)s在所选的区没有工作角色。") % {"names": "、".join(outsiders)})
        return data


class RoundNewForm(OneSubmissionForm, RoundForm):
    """A new round: made once however often the form is sent."""


class RoundFilterForm(forms.Form):
    """The list's filters; a value outside the choices is ignored, not an error page."""

    kind = forms.ChoiceField(label=_("类型"), required=False, choices=[("", _("全部类型")), *RoundKind.choices])
    level = forms.ChoiceField(label=_("层级"), required=False, choices=[("", _("全部层级")), *RoundLevel.choices])
    status = forms.ChoiceField(label=_("状态"), required=False, choices=[("", _("全部状态")), *RoundStatus.choices])

    def filters(self) -> dict[str, str]:
        if not self.is_bound:
            return {}
        self.is_valid()
        return {name: self.cleaned_data[name] for name in self.fields if self.cleaned_data.get(name)}


class DrawForm(forms.Form):
    seed = forms.RegexField(
        label=_("抽样种子"),
        regex=SEED,
        required=False,
        help_text=_("同一种子、同样的点位，抽出的点位相同；换一个种子就重新随机。"),
        error_messages={"invalid": _("种子只能是字母和数字，最多 40 位。")},
    )


class AddPointForm(forms.Form):
    point = GroupedModelChoiceField(
        label=_("添加点位"),
        queryset=InspectionPoint.objects.none(),
        empty_label=_("— 选择点位 —"),
        group_label=lambda point: f"{point.district.name} · {point.street.name if point.street_id else ''}",
    )

    def __init__(self, *args, inspection_round, district_ids, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["point"].queryset = (
            InspectionPoint.objects.filter(district_id__in=district_ids, is_active=True)
            .exclude(pk__in=inspection_round.points.values("point_id"))
            .select_related("district", "street", "point_type")
            .order_by("district__order", "district_id", "street__order", "street_id", "name")
        )
        self.fields["point"].label_from_instance = lambda point: f"{point.name}（{point.point_type.name}）"


# --- the inspector's form at a point ------------------------------------------------------------


class RowPhotos:
    """One row's photos (a failed 项, a 复查 finding): checked by content, and the good ones kept
    as the person's pending photos so a form sent back with an error keeps them."""

    def __init__(self, form, name):
        self.name = name
        self.field_name = f"{name}-photos"
        self.kept = photos_pending_for(form.user, form.data.getlist(f"{name}-kept")) if form.is_bound else []
        self.files = form.files.getlist(self.field_name) if form.files else []
        self.errors: list[str] = []
        self._good = []

    def check(self) -> None:
        for uploaded in self.files:
            try:
                photo_inspect(uploaded)
            except ValidationError as exc:
                self.errors.extend(exc.messages)
            else:
                self._good.append(uploaded)
        if len(self._good) + len(self.kept) > settings.PHOTOS_PER_TICKET_MAX:
            self.errors.append(str(_("一次最多上传 %(n)s 张照片。") % {"n": settings.PHOTOS_PER_TICKET_MAX}))

    @property
    def count(self) -> int:
        return len(self._good) + len(self.kept)

    def keep(self, user, kind):
        for uploaded in self._good:
            self.kept.append(photo_store(uploaded, user=user, kind=kind))
        self._good = []
        return self.kept


class PointRowsForm(OneSubmissionForm, forms.Form):
    """One submit for a whole point: a row per 项 (or per finding), each with its choice, a note
    and photos. `rows` is what the template walks."""

    result_choices: list = []
    photos_needed_for: frozenset = frozenset()
    photos_kept_for: frozenset = frozenset()
    photo_message = _("请至少拍一张照片。")

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.rows = []

    def add_row(self, key, obj, *, initial="", note="", locked=None, required=True):
        choice = f"{key}-result"
        self.fields[choice] = forms.ChoiceField(
            label=str(obj),
            choices=self.result_choices,
            widget=forms.RadioSelect,
            initial=initial,
            required=required,
            disabled=locked is not None,
        )
        self.fields[f"{key}-note"] = forms.CharField(
            label=_("情况说明"),
            required=False,
            max_length=1000,
            initial=note,
            widget=forms.Textarea(attrs={"rows": 2}),
            disabled=locked is not None,
        )
        # Named after its row ("8.1.1 现场照片"): the list of errors above the form links to it.
        self.fields[f"{key}-photos"] = MultiplePhotoField(
            label=f"{self.row_name(obj)} {_('现场照片')}", widget=MultiplePhotoInput(attrs=CAMERA_ATTRS)
        )
        self.rows.append(
            {"key": key, "object": obj, "locked": locked, "photos": RowPhotos(self, key), "choice": choice}
        )

    def clean(self):
        data = super().clean()
        for row in self.rows:
            if row["locked"] is not None:
                continue
            row["photos"].check()
            value = data.get(row["choice"])
            if value in self.photos_needed_for and row["photos"].count == 0 and not row["photos"].errors:
                row["photos"].errors.append(str(self.photo_message))
            # On the row's photo field too: listed at the top of the form, linked to the row's
            # camera button, which takes the focus (a phone shows a row or two of a long list).
            for error in row["photos"].errors:
                self.add_error(row["photos"].field_name, error)
        return data

    def row_name(self, obj) -> str:
        """How a row is named in the list of errors."""
        return str(obj)

    @property
    def open_rows(self) -> int:
        """Rows that may still change (a 项 that made its ticket stays as it was)."""
        return sum(1 for row in self.rows if row["locked"] is None)

    def bound_rows(self):
        for row in self.rows:
            key = row["key"]
            yield {
                **row,
                "result": self[row["choice"]],
                "note": self[f"{key}-note"],
                "photo_field": self[f"{key}-photos"],
            }

    def keep_photos(self, kind, *, only_needed=False):
        """Store the rows' good photos as the person's pending photos (all of them when the form
        goes back with an error; with `only_needed`, those of rows whose answer takes photos)."""
        data = getattr(self, "cleaned_data", {})
        for row in self.rows:
            if row["locked"] is not None:
                continue
            if only_needed and data.get(row["choice"]) not in self.photos_kept_for:
                continue
            row["photos"].keep(self.user, kind)


class PointScoreForm(PointRowsForm):
    """The 项 that apply at the point: 达标 unless the inspector says otherwise (they tap only
    what is wrong); 不达标 wants a photo. A 项 that made a ticket is shown, not changed."""

    result_choices = CheckResult.choices
    photos_needed_for = frozenset({CheckResult.FAIL})
    photos_kept_for = photos_needed_for
    photo_message = _("不达标请至少拍一张照片。")

    def __init__(self, *args, items, checks, **kwargs):
        super().__init__(*args, **kwargs)
        for item in items:
            check = checks.get(item.pk)
            locked = check.ticket if check is not None and check.ticket_id else None
            self.add_row(
                f"i{item.pk}",
                item,
                initial=check.result if check is not None else CheckResult.PASS,
                note=check.note if check is not None else "",
                locked=locked,
            )

    def row_name(self, obj) -> str:
        return obj.code

    def scores(self):
        """(item, result, note, photos) of each row that may still change."""
        for row in self.rows:
            if row["locked"] is None:
                key = row["key"]
                yield row["object"], self.cleaned_data[row["choice"]], self.cleaned_data[f"{key}-note"], row["photos"]


class RecheckForm(PointRowsForm):
    """The original findings at the point: 已整改, 未整改 or 反弹 (a photo for the last two). A
    finding left unanswered is not rechecked this time."""

    result_choices = FindingOutcome.choices
    photos_needed_for = frozenset({FindingOutcome.NOT_FIXED, FindingOutcome.RELAPSED})
    photos_kept_for = frozenset(FindingOutcome)  # a photo of a fix is evidence too
    photo_message = _("未整改或反弹请拍一张现场照片。")

    def __init__(self, *args, findings, recheck, **kwargs):
        super().__init__(*args, **kwargs)
        for finding in findings:
            mine = finding.outcome_round_id == recheck.pk
            self.add_row(
                f"f{finding.pk}",
                finding,
                initial=finding.outcome if mine else "",
                note=finding.outcome_note if mine else "",
                required=False,
            )

    def row_name(self, obj) -> str:
        return str(_("序号 %(n)s")) % {"n": obj.serial}

    def clean(self):
        data = super().clean()
        if not any(data.get(row["choice"]) for row in self.rows):
            self.add_error(None, _("请至少选择一个问题的复查结果。"))
        return data

    def outcomes(self):
        for row in self.rows:
            outcome = self.cleaned_data.get(row["choice"])
            if outcome:
                yield row["object"], outcome, self.cleaned_data[f"{row['key']}-note"], row["photos"]
