"""整改报告 versions for a round: requested on the page (or from a shell), written by a task.

A request makes a new version (numbered per round and district) and, when the admin issues it
(印发), takes the district's next 文号 in the same transaction; the task then lays out every
finding as it stands and stores the .docx. Safe to run twice: a finished version is left
alone, and one that another worker has claimed is not started again.
"""

from celery import shared_task
from django.contrib.auth.models import User
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from campaigns.models import DocumentKind, InspectionRound, OrgUnit, RectificationReport, SummaryStatus
from campaigns.selectors.round_report import round_report

from .documents.numbers import document_number_issue
from .documents.rectification import round_rectification_document

# Progress moves from 5 (read) to 95 (laid out), then 100 when stored.
READ_PROGRESS, LAID_OUT_PROGRESS = 5, 95


def rectification_report_request(
    *, inspection_round: InspectionRound, district: OrgUnit, actor: User, issue: bool = False
) -> RectificationReport:
    """A new version of the district's report for the round, queued; with `issue`, under the
    district's next 文号 (the caller has checked the actor may issue)."""
    with transaction.atomic():
        # The round's row keeps two requests at once from taking one version number.
        InspectionRound.objects.select_for_update().filter(pk=inspection_round.pk).exists()
        latest = RectificationReport.objects.filter(inspection_round=inspection_round, district=district).aggregate(
            v=Max("version")
        )["v"]
        report = RectificationReport.objects.create(
            inspection_round=inspection_round, district=district, version=(latest or 0) + 1, requested_by=actor
        )
        if issue:
            number = document_number_issue(
                district=district, kind=DocumentKind.RECTIFICATION, actor=actor, object_id=report.pk
            )
            report.doc_number = number.text
            report.save(update_fields=["doc_number"])
    return report


def rectification_report_generate(report: RectificationReport) -> RectificationReport:
    """Lay out the version and store its file. A finished version is left as it is."""
    report = RectificationReport.objects.select_related("inspection_round", "district").get(pk=report.pk)
    if report.status == SummaryStatus.DONE:
        return report
    claimed = RectificationReport.objects.filter(
        pk=report.pk, status__in=(SummaryStatus.QUEUED, SummaryStatus.FAILED)
    ).update(status=SummaryStatus.RUNNING, progress=1)
    if not claimed:
        return report  # another worker is writing it (a message sent again)
    content = report_content(report)
    report.file.save(f"round{report.inspection_round_id}-v{report.version}.docx", ContentFile(content), save=False)
    report.file_size = len(content)
    report.status = SummaryStatus.DONE
    report.progress = 100
    report.finished_at = timezone.now()
    report.error = ""
    report.save(
        update_fields=["file", "file_size", "counts", "finding_count", "status", "progress", "finished_at", "error"]
    )
    return report


def report_content(report: RectificationReport) -> bytes:
    """The .docx of the version as the round stands now; its counts are frozen on `report`."""
    data = round_report(report.inspection_round, report.district)
    total = len(data.entries)
    report.counts = data.frozen_counts()
    report.finding_count = total
    RectificationReport.objects.filter(pk=report.pk).update(
        progress=READ_PROGRESS, finding_count=total, counts=report.counts
    )
    shown = [READ_PROGRESS]

    def progress(done: int) -> None:
        share = READ_PROGRESS + (LAID_OUT_PROGRESS - READ_PROGRESS) * done // max(total, 1)
        if share >= shown[0] + 5 or done == total:  # a write every five points, not every finding
            shown[0] = share
            RectificationReport.objects.filter(pk=report.pk).update(progress=share)

    return round_rectification_document(data, number=report.doc_number, progress=progress)


def rectification_report_failed(report_id: int, error: object) -> None:
    RectificationReport.objects.filter(pk=report_id).update(status=SummaryStatus.FAILED, error=str(error)[:4000])


@shared_task(name="campaigns.tasks.generate_rectification_report")
def generate_rectification_report(report_id: int) -> int:
    try:
        return rectification_report_generate(RectificationReport.objects.get(pk=report_id)).pk
    except Exception as exc:
        rectification_report_failed(report_id, exc)
        raise
