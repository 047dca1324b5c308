"""Work whose task message was lost (the broker was down when it was sent) is found here by
its state in the database and sent again. Each task is safe to run twice."""

from datetime import timedelta

from django.utils import timezone

from campaigns.models import MonthlySummary, SummaryStatus, TicketPhoto


def sweep_left_work(now=None, older_than=timedelta(minutes=2), limit=500):
    from campaigns.queue import enqueue
    from campaigns.tasks import generate_monthly_summary, make_photo_thumbnail

    cutoff = (now or timezone.now()) - older_than
    photos = list(
        TicketPhoto.objects.filter(thumbnail="", uploaded_at__lt=cutoff)
        .order_by("-id")
        .values_list("pk", flat=True)[:limit]
    )
    summaries = list(
        MonthlySummary.objects.filter(status=SummaryStatus.QUEUED, created_at__lt=cutoff).values_list("pk", flat=True)
    )
    sent = 0
    for pk in photos:
        sent += enqueue(make_photo_thumbnail, pk)
    for pk in summaries:
        sent += enqueue(generate_monthly_summary, pk)
    return {"photos": len(photos), "summaries": len(summaries), "sent": sent}
