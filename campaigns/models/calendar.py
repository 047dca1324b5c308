"""The working-day calendar an office keeps itself: each year's 节假日安排.

The State Council publishes next year's holidays and 调休 working days each November; the
maintained packages follow weeks or months later. A city admin types the notice in (or
imports it from Excel) and from then on it is the calendar for that year. The packages stay
the default for the years they cover (campaigns/workdays.py).
"""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .checklist import ImportRecord


class HolidaySchedule(models.Model):
    """One year's 节假日安排 as the office entered it; its days are HolidayDay rows."""

    year = models.PositiveSmallIntegerField(_("年份"), unique=True)
    source_note = models.CharField(
        _("依据"), max_length=200, blank=True, help_text=_("如：国务院办公厅关于2027年部分节假日安排的通知")
    )
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("录入人"), on_delete=models.PROTECT, related_name="+"
    )
    updated_at = models.DateTimeField(_("录入时间"), default=timezone.now)

    class Meta:
        ordering = ["-year"]
        verbose_name = _("节假日安排")
        verbose_name_plural = _("节假日安排")

    def __str__(self):
        return _("%(year)s 年节假日安排") % {"year": self.year}


class HolidayDayKind(models.TextChoices):
    HOLIDAY = "holiday", _("放假")
    WORKDAY = "workday", _("调休上班")


class HolidayDay(models.Model):
    """A day the schedule makes a holiday (even a weekday) or a working day (even a weekend)."""

    schedule = models.ForeignKey(
        HolidaySchedule, verbose_name=_("节假日安排"), on_delete=models.CASCADE, related_name="days"
    )
    date = models.DateField(_("日期"))
    kind = models.CharField(_("类别"), max_length=8, choices=HolidayDayKind.choices)
    festival = models.CharField(_("节日"), max_length=40)

    class Meta:
        ordering = ["date"]
        verbose_name = _("节假日安排日期")
        verbose_name_plural = _("节假日安排日期")
        constraints = [models.UniqueConstraint(fields=["schedule", "date"], name="holiday_day_once")]

    def __str__(self):
        return f"{self.date:%Y-%m-%d} {self.festival} {self.get_kind_display()}"


class HolidayImport(ImportRecord):
    """One upload of a year's 节假日安排 workbook."""

    year = models.PositiveSmallIntegerField(_("年份"))

    class Meta(ImportRecord.Meta):
        verbose_name = _("节假日安排导入")
        verbose_name_plural = _("节假日安排导入")
        indexes = [models.Index(fields=["year", "-uploaded_at"], name="holiday_import_year")]
