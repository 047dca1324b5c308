from decimal import Decimal, InvalidOperation

from django import template
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from campaigns.models import OPEN_STATES

register = template.Library()


@register.inclusion_tag("partials/state_badge.html")
def state_badge(ticket):
    overdue_days = None
    if ticket.state in OPEN_STATES and ticket.deadline and ticket.deadline < timezone.localdate():
        overdue_days = (timezone.localdate() - ticket.deadline).days
    return {"ticket": ticket, "overdue_days": overdue_days}


@register.filter
def percent(value):
    if value is None:
        return "—"
    return f"{value:g}%"


@register.simple_tag
def deadline_hint(ticket):
    """“今天到期”, “还剩 2 天” or “逾期 3 天” for an open ticket with a deadline."""
    if ticket.state not in OPEN_STATES or not ticket.deadline:
        return ""
    days = (ticket.deadline - timezone.localdate()).days
    if days < 0:
        return _("逾期 %(n)s 天") % {"n": -days}
    if days == 0:
        return _("今天到期")
    return _("还剩 %(n)s 天") % {"n": days}


@register.filter
def score(value):
    """Scores as offices write them: 5, 2.5, 0.75; nothing shows as a dash."""
    if value is None or value == "":
        return "—"
    try:
        number = Decimal(value)
    except (InvalidOperation, TypeError, ValueError):
        return value
    text = f"{number.quantize(Decimal('0.01')):f}".rstrip("0").rstrip(".")
    return text or "0"


CHANGE_LABELS = {"status": _lazy("状态"), "progress": _lazy("进度（%）"), "self_score": _lazy("自评分")}


@register.filter
def change_label(key):
    return CHANGE_LABELS.get(key, key)
