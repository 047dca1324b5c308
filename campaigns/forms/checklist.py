"""Forms of the task checklist (任务清单): a task's progress with its evidence, and the import."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from campaigns.forms.common import MultiplePhotoField, MultiplePhotoInput, WorkbookUploadForm, workbook_field
from campaigns.models import ChecklistStatus
from campaigns.once import OneSubmissionForm
from campaigns.services.checklist_import import checklist_read
from campaigns.services.evidence import evidence_inspect


class ChecklistUpdateForm(OneSubmissionForm, forms.Form):
    status = forms.ChoiceField(label=_("状态"), choices=ChecklistStatus.choices)
    progress = forms.IntegerField(label=_("进度（%）"), min_value=0, max_value=100)
    self_score = forms.DecimalField(label=_("自评分"), required=False, min_value=0, max_digits=6, decimal_places=2)
    note = forms.CharField(
        label=_("进展说明"), required=False, max_length=4000, widget=forms.Textarea(attrs={"rows": 3})
    )
    files = MultiplePhotoField(
        label=_("佐证材料"),
        widget=MultiplePhotoInput(attrs={"accept": "image/*,.pdf,.doc,.docx,.xls,.xlsx,.ppt,.pptx"}),
        help_text=_("照片、PDF 或 Word/Excel/PowerPoint 文件，可多个。"),
    )

    def __init__(self, *args, item, may_update, **kwargs):
        super().__init__(*args, **kwargs)
        self.item = item
        if not may_update:
            # Cooperating units add notes and evidence; the figures belong to the lead unit.
            for name in ("status", "progress", "self_score"):
                del self.fields[name]
        elif not self.is_bound:
            self.initial.update({"status": item.status, "progress": item.progress, "self_score": item.self_score})

    def clean_files(self):
        files = self.files.getlist("files") if self.files else []
        errors = []
        for uploaded in files:
            try:
                evidence_inspect(uploaded)
            except ValidationError as exc:
                errors.extend(exc.messages)
        if len(files) > 10:
            errors.append(_("一次最多上传 10 个文件。"))
        if errors:
            raise ValidationError(errors)
        return files

    def clean(self):
        data = super().clean()
        self_score = data.get("self_score")
        if self_score is not None and self_score > self.item.full_score:
            self.add_error(
                "self_score", _("自评分不能超过分值 %(full)s。") % {"full": self.item.full_score.normalize()}
            )
        if data.get("status") == ChecklistStatus.DONE and data.get("progress") is not None and data["progress"] < 100:
            self.add_error("progress", _("标为“已完成”时进度应为 100%。"))
        return data


class ChecklistImportForm(WorkbookUploadForm):
    file = workbook_field(_("任务清单文件（.xlsx）"))
    read_file = staticmethod(checklist_read)
