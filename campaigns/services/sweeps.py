"""Work whose task message was lost (the broker was down when it was sent) is found here by
its state in the database and sent again. Each task is safe to run twice."""

from datetime import datetime, timedelta

from django.utils import timezone

from campaigns.models import MonthlySummary, RectificationReport, SummaryStatus, TicketPhoto
from campaigns.queue import enqueue
from campaigns.services.monthly import generate_monthly_summary
from campaigns.services.photos import make_photo_thumbnail
from campaigns.services.rectification_reports import generate_rectification_report


def sweep_left_work(
    now: datetime | None = None, older_than: timedelta = timedelta(minutes=2), limit: int = 500
) -> dict[str, int]:
    cutoff = (now or timezone.now()) - older_than
    photos = list(
        TicketPhoto.objects.filter(thumbnail="", uploaded_at__lt=cutoff)
        .order_by("-id")
        .values_list("pk", flat=True)[:limit]
    )
    summaries = list(
        MonthlySummary.objects.filter(status=SummaryStatus.QUEUED, created_at__lt=cutoff).values_list("pk", flat=True)
    )
    reports = list(
        RectificationReport.objects.filter(status=SummaryStatus.QUEUED, created_at__lt=cutoff).values_list(
            "pk", flat=True
        )
    )
    sent = 0
    for pk in photos:
        sent += enqueue(make_photo_thumbnail, pk)
    for pk in summaries:
        sent += enqueue(generate_monthly_summary, pk)
    for pk in reports:
        sent += enqueue(generate_rectification_report, pk)
    return {"photos": len(photos), "summaries": len(summaries), "reports": len(reports), "sent": sent}
