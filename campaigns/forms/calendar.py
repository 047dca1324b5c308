"""Forms of the 节假日安排 pages: the year's festival rows as typed, and the workbook upload."""

from django import forms
from django.utils.translation import gettext_lazy as _

from campaigns.forms.common import WorkbookUploadForm, workbook_field
from campaigns.models import HolidaySchedule
from campaigns.services.holiday_schedule import holiday_read


class FestivalRowForm(forms.Form):
    festival = forms.CharField(label=_("节日"), max_length=40, required=False)
    days_off = forms.CharField(
        label=_("放假日期"), max_length=300, required=False, help_text=_("如 2027-02-05至2027-02-11，或 2月5日至11日")
    )
    working = forms.CharField(
        label=_("调休上班日期"), max_length=300, required=False, help_text=_("周末上班的日期，多个用顿号隔开")
    )


FestivalRowFormSet = forms.formset_factory(FestivalRowForm, extra=3, max_num=40, validate_max=True)


class HolidayScheduleForm(forms.Form):
    source_note = forms.CharField(
        label=HolidaySchedule._meta.get_field("source_note").verbose_name,
        help_text=HolidaySchedule._meta.get_field("source_note").help_text,
        max_length=200,
        required=False,
    )


class HolidayImportForm(WorkbookUploadForm):
    file = workbook_field(_("节假日安排文件（.xlsx）"))
    read_file = staticmethod(holiday_read)
