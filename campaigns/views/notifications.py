"""The bell: a person's notifications, and for admins, how outside deliveries went."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from campaigns.access import scope_for
from campaigns.models import Delivery, DeliveryStatus, Notification, Role
from campaigns.queue import enqueue
from campaigns.services.notifications import notifications_mark_read
from campaigns.tasks import deliver_one


@login_required
def notification_list(request):
    notifications = Notification.objects.filter(recipient=request.user).order_by("-created_at", "-id")
    if request.GET.get("unread"):
        notifications = notifications.filter(read_at__isnull=True)
    page = Paginator(notifications, 30).get_page(request.GET.get("page"))
    return render(
        request,
        "campaigns/notifications.html",
        {
            "page": page,
            "unread_only": bool(request.GET.get("unread")),
            "query": "unread=1" if request.GET.get("unread") else "",
        },
    )


@login_required
@require_POST
def notification_open(request, pk):
    notification = get_object_or_404(Notification, pk=pk, recipient=request.user)
    notifications_mark_read(request.user, [notification.pk])
    link = notification.link
    if link and url_has_allowed_host_and_scheme(link, allowed_hosts={request.get_host()}):
        return redirect(link)
    return redirect("campaigns:notifications")


@login_required
@require_POST
def notifications_read_all(request):
    count = notifications_mark_read(request.user)
    messages.success(request, _("已将 %(n)s 条消息标为已读。") % {"n": count})
    return redirect("campaigns:notifications")


def _admin_districts(user):
    scope = scope_for(user)
    return [d for d, roles in scope.roles_by_district.items() if Role.ADMIN in roles]


@login_required
def delivery_list(request):
    districts = _admin_districts(request.user)
    if not districts:
        raise PermissionDenied(_("只有管理员可以查看消息外发情况。"))
    deliveries = Delivery.objects.filter(district_id__in=districts).order_by("-created_at", "-id")
    status = request.GET.get("status")
    if status in DeliveryStatus.values:
        deliveries = deliveries.filter(status=status)
    page = Paginator(deliveries, 50).get_page(request.GET.get("page"))
    failed = Delivery.objects.filter(district_id__in=districts, status=DeliveryStatus.FAILED).count()
    return render(
        request,
        "campaigns/deliveries.html",
        {
            "page": page,
            "status": status,
            "failed": failed,
            "statuses": DeliveryStatus.choices,
            "query": f"status={status}" if status else "",
        },
    )


@login_required
@require_POST
def delivery_retry(request, pk):
    delivery = get_object_or_404(Delivery, pk=pk, district_id__in=_admin_districts(request.user))
    if delivery.status != DeliveryStatus.SENT:
        # Due now: if the broker cannot take the message, resend_due_deliveries sends it.
        Delivery.objects.filter(pk=delivery.pk).update(
            status=DeliveryStatus.PENDING, attempts=0, next_attempt_at=timezone.now()
        )
        enqueue(deliver_one, delivery.pk)
        messages.success(request, _("已重新发送。"))
    return redirect("campaigns:deliveries")
