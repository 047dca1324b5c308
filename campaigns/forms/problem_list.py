"""The 问题清单 upload: where it goes (a district, or a city's districts), which round (an existing
one, or the few facts of a new one), the list (a workbook or a pasted table), its photos."""

import re

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _

from campaigns.access import problem_list_rounds
from campaigns.forms.common import DateInput
from campaigns.models import InspectionRound, OrgUnit, RoundKind, RoundLevel, UnitKind
from campaigns.services.problem_list import CHOSEN_KEYS, NONE
from campaigns.services.problem_list_read import (
    LAYOUT,
    PASTED_MAX_CHARS,
    PHOTOS_ZIP_MAX_BYTES,
    PhotosRefused,
    pasted_read,
    photos_archive,
)
from campaigns.services.xlsx_import import read_upload
from campaigns.workdays import calendar_note

ROUND_KINDS = [
    (RoundKind.SUPERVISION.value, RoundKind.SUPERVISION.label),
    (RoundKind.COVERT.value, RoundKind.COVERT.label),
]


class OfficeChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, unit):
        if unit.kind == UnitKind.CITY:
            return _("%(city)s（全市，按所属街道分到各区）") % {"city": unit.name}
        return unit.name


class RoundChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, inspection_round):
        when = inspection_round.letter_date or inspection_round.starts_on
        return f"{inspection_round.name}（{inspection_round.get_level_display()} · {when:%Y-%m-%d}）"


class ProblemListForm(forms.Form):
    office = OfficeChoiceField(
        label=_("导入到"), queryset=OrgUnit.objects.none(), empty_label=None, help_text=_("区的清单只导入本区。")
    )
    inspection_round = RoundChoiceField(
        label=_("轮次"),
        queryset=InspectionRound.objects.none(),
        required=False,
        empty_label=_("— 新建轮次（填写下面几项）—"),
        error_messages={"invalid_choice": _("请从列表里选择轮次。")},
    )
    name = forms.CharField(label=_("轮次名称"), max_length=120, required=False, help_text=_("例如 市督查第 3 期。"))
    kind = forms.ChoiceField(label=_("类型"), choices=ROUND_KINDS, initial=RoundKind.SUPERVISION)
    level = forms.ChoiceField(label=_("层级"), choices=RoundLevel.choices, initial=RoundLevel.CITY)
    letter_number = forms.CharField(label=_("通报文号"), max_length=60, required=False)
    letter_date = forms.DateField(label=_("通报日期"), required=False, widget=DateInput)
    deadline_working_days = forms.IntegerField(
        label=_("整改时限（工作日）"),
        min_value=1,
        max_value=250,
        initial=10,
        help_text=_("自通报日期起算；清单里没写整改时限的问题按此交办。"),
    )
    file = forms.FileField(
        label=_("问题清单文件（.xlsx）"), required=False, widget=forms.ClearableFileInput(attrs={"accept": ".xlsx"})
    )
    pasted = forms.CharField(
        label=_("或者：粘贴表格"),
        required=False,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 8, "spellcheck": "false"}),
        help_text=_(
            "从通报（Word、WPS、Excel）里选中整张表格复制，粘贴在这里，连同表头一行。"
            "单元格之间用制表符（复制表格时自带），也可以用竖线“|”或两个以上空格分隔。"
        ),
    )
    photos = forms.FileField(
        label=_("照片压缩包（.zip，选填）"),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": ".zip"}),
        help_text=_("“照片”一列写的文件名在这个压缩包里找；每张照片都会检查是否真是照片。"),
    )

    def __init__(self, *args, offices, **kwargs):
        super().__init__(*args, **kwargs)
        self.offices = {office.pk: office for office in offices}
        self.fields["office"].queryset = OrgUnit.objects.filter(pk__in=self.offices).order_by("-kind", "order", "id")
        self.fields["inspection_round"].queryset = problem_list_rounds(*offices).order_by("-starts_on", "-id")
        days = self.fields["deadline_working_days"]
        days.help_text = f"{days.help_text} {calendar_note()}"
        self.sheet = None

    def clean_pasted(self):
        text = self.cleaned_data["pasted"]
        if len(text) > PASTED_MAX_CHARS:
            raise ValidationError(_("粘贴的内容超过 %(n)s 字。") % {"n": f"{PASTED_MAX_CHARS:,}"})
        return text if text.strip() else ""

    def clean_file(self):
        uploaded = self.cleaned_data["file"]
        if uploaded and uploaded.size > settings.IMPORT_MAX_BYTES:
            raise ValidationError(_("文件太大（超过 5 MB）。"))
        return uploaded

    def clean_photos(self):
        uploaded = self.cleaned_data["photos"]
        if not uploaded:
            return None
        if uploaded.size > PHOTOS_ZIP_MAX_BYTES:
            raise ValidationError(
                _("照片压缩包超过 %(max)s，请分批或压缩照片后再上传。") % {"max": filesizeformat(PHOTOS_ZIP_MAX_BYTES)}
            )
        try:
            archive, _found = photos_archive(uploaded)
            archive.close()
        except PhotosRefused as refused:
            raise ValidationError(str(refused)) from None
        finally:
            uploaded.seek(0)
        return uploaded

    def clean(self):
        data = super().clean()
        office, chosen = data.get("office"), data.get("inspection_round")
        if office is not None and chosen is not None and not problem_list_rounds(office).filter(pk=chosen.pk).exists():
            self.add_error("inspection_round", _("这个轮次不涉及“%(office)s”。") % {"office": office.name})
        if chosen is None and "inspection_round" not in self.errors and not data.get("name", "").strip():
            self.add_error("name", _("请填写轮次名称，或在上面选择已有的轮次。"))
        self._read_list(data)
        return data

    def _read_list(self, data):
        """The list read once, here: from the file or from the box, never both."""
        uploaded, text = data.get("file"), data.get("pasted", "")
        if uploaded and text:
            self.add_error("pasted", _("请只上传文件或只粘贴表格，二选一。粘贴的内容还在，可以清空后再提交。"))
            return
        if not uploaded and not text:
            if "file" not in self.errors and "pasted" not in self.errors:
                self.add_error("file", _("请上传问题清单文件，或把表格粘贴到下面的文本框里。"))
            return
        sheet = read_upload(uploaded, LAYOUT) if uploaded else pasted_read(text)
        if sheet.errors:
            self.add_error("file" if uploaded else "pasted", sheet.errors)
            return
        self.sheet = sheet

    def new_round(self):
        """The new round's few facts, kept with the upload until the import makes it."""
        data = self.cleaned_data
        return {
            "name": data["name"].strip(),
            "kind": data["kind"],
            "level": data["level"],
            "letter_number": data["letter_number"].strip(),
            "letter_date": data["letter_date"].isoformat() if data.get("letter_date") else "",
            "deadline_working_days": data["deadline_working_days"],
        }


CHOICE = re.compile(rf"^r(\d{{1,6}})-({'|'.join(CHOSEN_KEYS)})$")


def posted_choices(post):
    """{row number: {select: pk or NONE}} from the preview's selects; "?" (nothing chosen) and
    anything that is no id are left out, so the row's own suggestion stands."""
    choices = {}
    for key, value in post.items():
        match = CHOICE.match(key)
        if match is None or not value.isascii() or not value.isdigit() or len(value) > 18:
            continue
        pk = int(value)
        choices.setdefault(int(match.group(1)), {})[match.group(2)] = NONE if pk == NONE else pk
    return choices
