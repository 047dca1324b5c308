"""The campaign's 销号 chain on its setup page: add or remove a level (1–3; none = one step by
the district's supervisors)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from campaigns.access import get_district_for_admin
from campaigns.forms.closing import ClosingLevelForm
from campaigns.models import AuditKind, Campaign, ClosingLevel, Ticket, TicketState
from security.audit import audit_record

MAX_LEVELS = 3


def _back(code: str, campaign: Campaign) -> HttpResponse:
    return redirect(f"{reverse('campaigns:setup-campaign', args=[code, campaign.pk])}#closing-levels")


def _chain_in_use(campaign: Campaign) -> bool:
    """A fix already part-way up the chain would land on a different level if the chain changed."""
    return Ticket.objects.filter(campaign=campaign, state=TicketState.SUBMITTED, review_level__gt=0).exists()


@login_required
@require_POST
def level_add(request: HttpRequest, code: str, pk: int) -> HttpResponse:
    district = get_district_for_admin(request.user, code)
    campaign = get_object_or_404(Campaign, pk=pk, district=district)
    form = ClosingLevelForm(request.POST, campaign=campaign)
    if not form.is_valid():
        for error in form.errors.values():
            messages.error(request, " ".join(error))
        return _back(code, campaign)
    name = form.cleaned_data["name"].strip()
    levels = ClosingLevel.objects.filter(campaign=campaign)
    if levels.filter(name=name).exists():
        # The same form sent twice: the level is there already.
        messages.info(request, _("销号层级“%(name)s”已在流程中。") % {"name": name})
        return _back(code, campaign)
    if levels.count() >= MAX_LEVELS:
        messages.error(request, _("销号流程最多 %(n)s 级。") % {"n": MAX_LEVELS})
        return _back(code, campaign)
    if _chain_in_use(campaign):
        messages.error(request, _("有工单正在逐级复核，复核完成后才能修改销号流程。"))
        return _back(code, campaign)
    level = form.save(commit=False)
    level.order = (levels.aggregate(top=Max("order"))["top"] or 0) + 1
    try:
        with transaction.atomic():
            level.save()
    except IntegrityError:  # a second send at the same instant took this place
        messages.info(request, _("销号层级“%(name)s”已在流程中。") % {"name": name})
        return _back(code, campaign)
    audit_record(
        AuditKind.SETTINGS_CHANGE,
        user=request.user,
        district=district.pk,
        target=f"{campaign.name}: {level}",
        change="closing_level_added",
    )
    messages.success(request, _("已添加销号层级“%(name)s”。") % {"name": name})
    return _back(code, campaign)


@login_required
@require_POST
def level_remove(request: HttpRequest, code: str, pk: int, level_id: int) -> HttpResponse:
    district = get_district_for_admin(request.user, code)
    campaign = get_object_or_404(Campaign, pk=pk, district=district)
    level = ClosingLevel.objects.filter(pk=level_id, campaign=campaign).first()
    if level is None:  # removed already (the button pressed twice)
        return _back(code, campaign)
    if _chain_in_use(campaign):
        messages.error(request, _("有工单正在逐级复核，复核完成后才能修改销号流程。"))
        return _back(code, campaign)
    level.delete()
    audit_record(
        AuditKind.SETTINGS_CHANGE,
        user=request.user,
        district=district.pk,
        target=f"{campaign.name}: {level}",
        change="closing_level_removed",
    )
    messages.success(request, _("已删除销号层级“%(name)s”。") % {"name": level.name})
    return _back(code, campaign)
