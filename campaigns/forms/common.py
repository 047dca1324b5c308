"""Fields and widgets the ledger's forms share, and the upload form every .xlsx import starts from."""

from itertools import groupby

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _


class GroupedModelChoiceIterator(forms.models.ModelChoiceIterator):
    def __iter__(self):
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        for group, items in groupby(self.queryset, key=self.field.group_label):
            yield (group, [self.choice(obj) for obj in items])


class KeptLookupMixin:
    """Validate a choice against reference data kept in the cache (campaigns/reference.py)
    instead of a query per field; `kept` is set by the form to a callable giving a lookup by primary key."""

    kept = None

    def to_python(self, value):
        if self.kept is None or value in self.empty_values:
            return super().to_python(value)
        try:
            pk = int(str(value))
        except (TypeError, ValueError):
            pk = None
        found = self.kept().get(pk) if pk is not None else None
        if found is None:
            raise ValidationError(self.error_messages["invalid_choice"], code="invalid_choice")
        return found


class GroupedModelChoiceField(KeptLookupMixin, forms.ModelChoiceField):
    """A select with <optgroup>s, built lazily from one query when rendered."""

    iterator = GroupedModelChoiceIterator

    def __init__(self, *args, group_label, **kwargs):
        self.group_label = group_label
        super().__init__(*args, **kwargs)


class KeptModelChoiceField(KeptLookupMixin, forms.ModelChoiceField):
    pass


class MultiplePhotoInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultiplePhotoField(forms.Field):
    """Several photos in one input; each is checked by content in PhotoFormMixin.clean_photos."""

    widget = MultiplePhotoInput

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def clean(self, value):
        if not value:
            return []
        return [item for item in (value if isinstance(value, (list, tuple)) else [value]) if item]


class DateInput(forms.DateInput):
    input_type = "date"


def workbook_field(label):
    return forms.FileField(label=label, widget=forms.ClearableFileInput(attrs={"accept": ".xlsx"}))


class WorkbookUploadForm(forms.Form):
    """An .xlsx to import. Each import names its `file` field (workbook_field) and, in
    `read_file`, how a file of its kind is read (the rows, or what is wrong with the whole
    file). The file is read here, once: `sheet` keeps what was read for the upload."""

    sheet = None

    @staticmethod
    def read_file(uploaded):
        raise NotImplementedError

    def clean_file(self):
        uploaded = self.cleaned_data["file"]
        if uploaded.size > settings.IMPORT_MAX_BYTES:
            raise ValidationError(_("文件太大（超过 5 MB）。"))
        # A file that is no workbook at all is refused here, before it is kept anywhere.
        sheet = self.read_file(uploaded)
        if sheet.errors:
            raise ValidationError(sheet.errors)
        self.sheet = sheet
        return uploaded
