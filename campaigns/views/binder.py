"""迎检资料: the binder's page (completeness per 方面, the 项 still missing evidence) and its
.zip, streamed. The district's office and leaders read both; another district's is a 404."""

from urllib.parse import quote

from django.contrib.auth.decorators import login_required
from django.http import StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from campaigns.access import get_binder_campaign_for_user
from campaigns.models import AuditKind
from campaigns.selectors.binder import BINDER_RULES_TEXT, binder_for
from campaigns.services.binder import binder_archive_name, binder_members
from infra.zip_stream import zip_stream
from security.audit import audit_record


@login_required
@require_GET
def binder_page(request, campaign_id):
    campaign = get_binder_campaign_for_user(request.user, campaign_id)
    return render(
        request,
        "campaigns/binder.html",
        {"campaign": campaign, "binder": binder_for(campaign), "rules": BINDER_RULES_TEXT},
    )


@login_required
@require_GET
def binder_zip(request, campaign_id):
    campaign = get_binder_campaign_for_user(request.user, campaign_id)
    binder = binder_for(campaign)
    now = timezone.localtime()
    filename = binder_archive_name(campaign, now.date()) + ".zip"
    audit_record(AuditKind.EXPORT, request=request, district=campaign.district_id, target=filename)
    chunks = zip_stream(binder_members(binder, now.date()), when=now.replace(tzinfo=None))
    response = StreamingHttpResponse(chunks, content_type="application/zip")
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(filename)}"
    return response
