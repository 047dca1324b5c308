"""节假日安排: the working-day calendar every deadline and duty is counted on.

Anyone who works a district may read it (deadlines in working days are counted on it); a
city office's admin keeps it — typed in row by row or imported from the notice's table.
"""

from dataclasses import dataclass
from functools import partial

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from campaigns import workdays
from campaigns.access import can_keep_calendar, require_calendar_keeper, scope_for
from campaigns.forms.calendar import FestivalRowFormSet, HolidayImportForm, HolidayScheduleForm
from campaigns.models import HolidayImport, HolidaySchedule
from campaigns.services.holiday_schedule import (
    COLUMNS,
    FIRST_YEAR,
    LAST_YEAR,
    FestivalRow,
    ScheduleRefused,
    holiday_import_confirm,
    holiday_import_preview,
    holiday_import_upload,
    schedule_rows,
    schedule_save,
    template_workbook,
)

from .imports import ImportPages, confirm_page, import_page, show_page, template_download


@dataclass(frozen=True)
class Year:
    """What a year's imports belong to (the import pages name their owner by an attribute)."""

    year: int


def _reader(request):
    if not scope_for(request.user).district_ids:
        raise PermissionDenied(_("节假日安排只对区、市创卫办的人员开放。"))


def _year(year):
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise Http404
    return year


@login_required
@require_GET
def holiday_years(request):
    _reader(request)
    this_year = timezone.localdate().year
    years = sorted(
        {this_year - 1, this_year, this_year + 1} | set(HolidaySchedule.objects.values_list("year", flat=True)),
        reverse=True,
    )
    schedules = {s.year: s for s in HolidaySchedule.objects.select_related("updated_by")}
    rows = [(year, workdays.year_calendar(year), schedules.get(year)) for year in years]
    return render(
        request,
        "campaigns/holiday_years.html",
        {"rows": rows, "can_keep": can_keep_calendar(request.user), "missing": workdays.missing_schedule_year()},
    )


def _year_page(request, year, form, rows, status=200):
    schedule = HolidaySchedule.objects.filter(year=year).select_related("updated_by").first()
    context = {
        "year": year,
        "calendar": workdays.year_calendar(year),
        "schedule": schedule,
        "form": form,
        "rows": rows,
        "can_keep": can_keep_calendar(request.user),
    }
    return render(request, "campaigns/holiday_year.html", context, status=status)


@login_required
@require_GET
def holiday_year(request, year):
    _reader(request)
    year = _year(year)
    note = HolidaySchedule.objects.filter(year=year).values_list("source_note", flat=True).first()
    form = HolidayScheduleForm(initial={"source_note": note or ""})
    rows = FestivalRowFormSet(prefix="rows", initial=[vars(row) for row in schedule_rows(year)])
    return _year_page(request, year, form, rows)


@login_required
@require_POST
def holiday_year_save(request, year):
    """Replace the year's schedule with the rows as typed; a refusal shows them again, kept."""
    require_calendar_keeper(request.user)
    year = _year(year)
    form = HolidayScheduleForm(request.POST)
    rows = FestivalRowFormSet(request.POST, prefix="rows")
    if form.is_valid() and rows.is_valid():
        typed = [FestivalRow(**row) for row in rows.cleaned_data if row and any(row.values())]
        try:
            schedule_save(year=year, rows=typed, actor=request.user, source_note=form.cleaned_data["source_note"])
        except ScheduleRefused as refused:
            form.add_error(None, str(refused))
        else:
            messages.success(
                request,
                _("%(year)s 年节假日安排已保存。已经给出的整改期限不变；之后按工作日计算的期限、日报按新安排。")
                % {"year": year},
            )
            return redirect("campaigns:holiday-year", year)
    elif not form.non_field_errors():
        form.add_error(None, _("有些内容需要修改，请查看标红的项目。已填写的内容都还在。"))
    return _year_page(request, year, form, rows, status=400)


# --- the Excel import -------------------------------------------------------------------------

HOLIDAY_IMPORT = ImportPages(
    owner="owner",
    owner_arg="year",
    records=lambda owner: HolidayImport.objects.filter(year=owner.year),
    form=HolidayImportForm,
    columns=COLUMNS,
    title=gettext_lazy("从 Excel 导入节假日安排"),
    steps=(
        gettext_lazy("下载模板：每个节日一行，已知的日期已经填好。按国务院办公厅当年的通知核对、补全。"),
        gettext_lazy("上传填好的 .xlsx 文件。系统先逐行检查日期，列出每一处问题；有问题时一行也不导入。"),
        gettext_lazy("确认无误后导入：这一年的安排整体替换为文件中的内容。"),
    ),
    upload_template="campaigns/holiday_import.html",
    preview_template="campaigns/holiday_import_preview.html",
    list_url="campaigns:holiday-year",
    template_url="campaigns:holiday-template",
    import_url="campaigns:holiday-import",
    show_url="campaigns:holiday-import-show",
    confirm_url="campaigns:holiday-import-confirm",
    done_message=gettext_lazy("导入完成：新增 %(a)s 个节日，更新 %(c)s 个，未变 %(s)s 个。"),
)


def _keeper_year(request, year):
    require_calendar_keeper(request.user)
    return Year(_year(year))


@login_required
@require_GET
def holiday_template(request, year):
    owner = _keeper_year(request, year)
    return template_download(template_workbook(owner.year), f"holidays-{owner.year}.xlsx")


@login_required
def holiday_import(request, year):
    owner = _keeper_year(request, year)
    return import_page(request, HOLIDAY_IMPORT, owner, partial(holiday_import_upload, year=owner.year))


@login_required
@require_GET
def holiday_import_show(request, year, import_id):
    owner = _keeper_year(request, year)
    return show_page(request, HOLIDAY_IMPORT, owner, import_id, holiday_import_preview)


@login_required
@require_POST
def holiday_import_confirm_view(request, year, import_id):
    owner = _keeper_year(request, year)
    return confirm_page(
        request,
        HOLIDAY_IMPORT,
        owner,
        import_id,
        lambda record, ticked: holiday_import_confirm(record=record, actor=request.user, ticked=ticked),
    )
