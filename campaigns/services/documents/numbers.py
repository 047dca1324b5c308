"""A district's document settings and its 文号: issued once, per year, never the same twice.

A 文号 is `<代字>〔<year>〕<n>号` (铁西创卫办〔2026〕12号): n counts up through the year for the
whole district, whatever the kind of document. It is taken when a document is issued (印发 of
a 通报 or a 专报, 挂牌督办), inside that act's transaction, under a lock on the district's
settings row: two offices pressing 印发 at the same instant get two numbers, and a rollback
leaves no number behind. A number typed by hand (the office numbers some documents elsewhere)
is registered the same way and refused if the district has used it.
"""

import datetime

from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from campaigns.models import (
    AuditKind,
    DateStyle,
    DocumentKind,
    DocumentNumber,
    DocumentSettings,
    MonthlySummary,
    Notice,
    OrgUnit,
    SummaryStatus,
    Supervision,
)
from infra.gongwen import arabic_date, chinese_date
from security.audit import audit_record

SETTINGS_FIELDS = ("mark", "signature", "number_prefix", "printer", "addressee", "superior", "copy_to", "date_style")


class DocumentNumberTaken(ValueError):
    """The 文号 has been used in the district already."""

    def __init__(self, text: str) -> None:
        super().__init__(_("文号“%(n)s”在本区已用过，请换一个。") % {"n": text})
        self.text = text


def document_settings_defaults(district: OrgUnit) -> DocumentSettings:
    """What a district's documents say until its admin sets them (not saved). Data, not interface:
    Chinese whatever language the admin reads the pages in, like the names they are made from."""
    office = f"{district.name}创建国家卫生城市工作领导小组办公室"
    short = district.name[:-1] if district.name.endswith(("区", "县", "市")) else district.name
    return DocumentSettings(
        district=district,
        mark=office,
        signature=office,
        number_prefix=f"{short}创卫办",
        printer=f"{district.name}创卫办",
        addressee="各街道（乡镇）、区直各有关部门",
        superior="",
        copy_to="",
        date_style=DateStyle.CHINESE,
    )


def document_settings_for(district: OrgUnit) -> DocumentSettings:
    """The district's settings, or its defaults when none are saved."""
    return DocumentSettings.objects.filter(district=district).first() or document_settings_defaults(district)


def document_settings_save(*, district: OrgUnit, actor: User, values: dict[str, str]) -> DocumentSettings:
    """Save what the district admin set; an audit row names the fields that changed."""
    with transaction.atomic():
        current = _settings_locked(district)
        changed = [name for name in SETTINGS_FIELDS if getattr(current, name) != values[name]]
        for name in SETTINGS_FIELDS:
            setattr(current, name, values[name])
        current.save()
    if changed:
        audit_record(
            AuditKind.SETTINGS_CHANGE,
            user=actor,
            district=district.pk,
            target="公文设置",
            change="document_settings",
            fields=changed,
        )
    return current


def _settings_locked(district: OrgUnit) -> DocumentSettings:
    rows = DocumentSettings.objects.select_for_update().filter(district=district)
    found = rows.first()
    if found is not None:
        return found
    # The district's first: made in a savepoint, since another request may be making it now;
    # the loser waits for the winner's commit and locks that row.
    try:
        with transaction.atomic():
            document_settings_defaults(district).save()
    except IntegrityError:
        pass
    return rows.get()


def document_number_format(prefix: str, year: int, serial: int) -> str:
    return f"{prefix}〔{year}〕{serial}号"


def document_number_draft(prefix: str, year: int) -> str:
    """The 文号 of a document not issued yet: the number left blank for the office."""
    return f"{prefix}〔{year}〕　号"


def _taken(district: OrgUnit, text: str) -> bool:
    """Used in the district by any document, including numbers typed before the register."""
    return (
        DocumentNumber.objects.filter(district=district, text=text).exists()
        or Supervision.objects.filter(district=district, document_number=text).exists()
        or Notice.objects.filter(district=district, doc_number=text, issued_at__isnull=False).exists()
        or MonthlySummary.objects.filter(district=district, doc_number=text).exists()
    )


def document_number_issue(
    *, district: OrgUnit, kind: str, actor: User, typed: str = "", object_id: int | None = None
) -> DocumentNumber:
    """The next 文号 of the district's year, or the typed one if it is free (DocumentNumberTaken if not)."""
    with transaction.atomic():
        settings = _settings_locked(district)
        year = timezone.localdate().year
        typed = typed.strip()
        if typed:
            if _taken(district, typed):
                raise DocumentNumberTaken(typed)
            serial, text = None, typed
        else:
            last = DocumentNumber.objects.filter(district=district, year=year).aggregate(m=Max("serial"))["m"]
            serial = (last or 0) + 1
            text = document_number_format(settings.number_prefix, year, serial)
            while _taken(district, text):  # typed by hand earlier: skip it, never repeat it
                serial += 1
                text = document_number_format(settings.number_prefix, year, serial)
        return DocumentNumber.objects.create(
            district=district, kind=kind, object_id=object_id, year=year, serial=serial, text=text, issued_by=actor
        )


def notice_issue(*, notice: Notice, actor: User) -> Notice:
    """印发 a 通报: its 文号 is fixed (the typed one, or the next of the year). Pressed twice, once."""
    with transaction.atomic():
        notice = Notice.objects.select_for_update().select_related("district").get(pk=notice.pk)
        if notice.issued_at is not None:
            return notice
        number = document_number_issue(
            district=notice.district,
            kind=DocumentKind.NOTICE,
            actor=actor,
            typed=notice.doc_number,
            object_id=notice.pk,
        )
        notice.doc_number = number.text
        notice.issued_at = number.issued_at
        notice.issued_by = actor
        notice.save(update_fields=["doc_number", "issued_at", "issued_by"])
    return notice


def summary_issue(*, summary: MonthlySummary, actor: User) -> MonthlySummary:
    """印发 a finished 专报 version under the next 文号 of the year. Pressed twice, once."""
    with transaction.atomic():
        summary = MonthlySummary.objects.select_for_update().select_related("district").get(pk=summary.pk)
        if summary.issued_at is not None:
            return summary
        if summary.status != SummaryStatus.DONE:
            raise ValueError(_("专报还没有生成完，不能印发。"))
        number = document_number_issue(
            district=summary.district, kind=DocumentKind.SUMMARY, actor=actor, object_id=summary.pk
        )
        summary.doc_number = number.text
        summary.issued_at = number.issued_at
        summary.issued_by = actor
        summary.save(update_fields=["doc_number", "issued_at", "issued_by"])
    return summary


def written_date(settings: DocumentSettings, day: datetime.date) -> str:
    """成文日期 as the district writes it."""
    return chinese_date(day) if settings.date_style == DateStyle.CHINESE else arabic_date(day)
