from decimal import Decimal, InvalidOperation
from functools import lru_cache

from django import template
from django.core.exceptions import ObjectDoesNotExist
from django.urls import reverse
from django.utils import timezone
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from campaigns.models import CLOCK_STATES, OPEN_STATES, TicketState
from campaigns.privacy import mask_phone as masked_phone
from campaigns.services.system_actor import HOTLINE_USERNAME
from campaigns.workdays import basis_of, calendar_basis, calendar_note
from infra import dates

register = template.Library()

# Dates inside titles and sentences, in the reader's language: 2026年11月 · November 2026.
register.filter("month_label", dates.month_label, expects_localtime=True)
register.filter("day_label", dates.day_label, expects_localtime=True)


@register.simple_tag
def state_badge(ticket):
    """State, overdue days, returns and recurrences as badges (words, not colour alone)."""
    parts = [format_html('<span class="badge state-{}">{}</span>', ticket.state, ticket.get_state_display())]
    if ticket.state in CLOCK_STATES and ticket.deadline and ticket.deadline < timezone.localdate():
        days = (timezone.localdate() - ticket.deadline).days
        parts.append(format_html('<span class="badge overdue">{}</span>', _("逾期 %(n)s 天") % {"n": days}))
    if ticket.state == TicketState.ASSIGNED and ticket.sign_due_at and ticket.sign_due_at < timezone.now():
        parts.append(format_html('<span class="badge overdue">{}</span>', _("超时未签收")))
    if ticket.yellow_card_at and ticket.state in OPEN_STATES:
        parts.append(format_html('<span class="badge yellow-card">{}</span>', _("黄牌")))
    if ticket.return_count:
        parts.append(
            format_html('<span class="badge muted">{}</span>', _("退回 %(n)s 次") % {"n": ticket.return_count})
        )
    if ticket.reopen_count:
        parts.append(format_html('<span class="badge warn">{}</span>', _("反弹 %(n)s 次") % {"n": ticket.reopen_count}))
    if ticket.merged_into_id:
        parts.append(format_html('<span class="badge muted">{}</span>', _("已合并")))
    elif getattr(ticket, "suspected_duplicate", False):  # set by the list for supervisors
        parts.append(format_html('<span class="badge warn">{}</span>', _("疑似重复")))
    return mark_safe(" ".join(parts))  # nosec B308, B703 # joins format_html pieces


@register.simple_tag
def source_label(ticket):
    """Where a problem came from: the round that found it, the hotline's 工单, else patrol."""
    if ticket.inspection_round_id:
        return ticket.inspection_round.name
    if order_no := hotline_order(ticket):
        return _("12345热线 · 工单号 %(no)s") % {"no": order_no}
    return _("巡查登记")


@register.simple_tag
def hotline_order(ticket):
    """The hotline's 工单号 of a ticket it pushed, else "". Only the hotline's own actor logs
    such tickets, so the order is looked up for those alone (one query, on theirs only)."""
    if ticket.reported_by.get_username() != HOTLINE_USERNAME:
        return ""
    try:
        return ticket.hotline.order_no
    except ObjectDoesNotExist:
        return ""


@register.simple_tag
def ticket_card(ticket, show_district=False):
    """One ticket in a list, built in Python: lists of thirty cards render in a few milliseconds."""
    detail = ticket_url(ticket.number)
    if ticket.row_photo:
        thumb = format_html(
            '<img class="ticket-thumb" src="{}" alt="" width="64" height="64">', photo_thumb_url(ticket.row_photo.pk)
        )
    else:
        thumb = mark_safe('<span class="ticket-thumb" aria-hidden="true"></span>')  # nosec B308, B703 # a constant
    after = getattr(ticket, "after_photos", None)
    if after:  # a 复查 compares the point now with the fix that was passed
        thumb = format_html(
            '{}<img class="ticket-thumb" src="{}" alt="" width="64" height="64">', thumb, photo_thumb_url(after[0].pk)
        )
    meta = []
    if show_district:
        meta.append(ticket.district.name)
    meta.append(ticket.street.name)
    place = ticket.place_display
    meta.append(place if len(place) <= 24 else place[:23] + "…")
    meta.append(_("发现 %(t)s") % {"t": timezone.localtime(ticket.reported_at).strftime("%m-%d %H:%M")})
    if ticket.responsible_unit_id:
        meta.append(_("责任 %(u)s") % {"u": ticket.responsible_unit.name})
    meta_html = conditional_escape(" · ".join(meta))
    if ticket.deadline:
        meta_html = format_html("{} · {}", meta_html, _("时限 %(d)s") % {"d": ticket.deadline.strftime("%m-%d")})
        if hint := deadline_hint(ticket):
            meta_html = format_html("{} <b>{}</b>", meta_html, hint)
    description = ticket.description if len(ticket.description) <= 60 else ticket.description[:59] + "…"
    return format_html(
        '<li class="ticket-card{}"><a class="ticket-link" href="{}">{}<span class="ticket-number">{}</span>'
        '<span class="ticket-state">{}</span><span class="ticket-desc">{} · {}</span>'
        '<span class="ticket-meta">{}</span></a></li>',
        " is-overdue" if ticket.is_overdue else "",
        detail,
        thumb,
        ticket.number,
        state_badge(ticket),
        ticket.category.name,
        description,
        meta_html,
    )


@lru_cache(maxsize=1)
def _url_prefixes():
    return reverse("campaigns:ticket-detail", args=["NUMBER"]), reverse("campaigns:photo-thumb", args=[0])


def ticket_url(number):
    return _url_prefixes()[0].replace("NUMBER", number)


def photo_thumb_url(pk):
    return _url_prefixes()[1].replace("/0/", f"/{pk}/")


@register.simple_tag
def workday_basis(start=None, end=None, calendars=()):
    """“工作日依据：…” for a page that counts working days: the calendars a figure was counted
    on when it kept them (the board's KPI panel), else over [start, end] when both are given
    (a ranking's period), else forward from `start` or today (deadlines to come)."""
    if calendars:
        return basis_of(calendars)
    if start is not None and end is not None:
        return calendar_basis(start, end)
    return calendar_note(start)


@register.filter
def percent(value):
    if value is None:
        return "—"
    return f"{value:g}%"


@register.simple_tag
def deadline_hint(ticket):
    """“今天到期” or “还剩 2 天” while a ticket's clock runs. An overdue one says “逾期 3 天” once,
    in its state badge; a ticket off the clock (挂账, not yet 交办) has nothing to count."""
    if ticket.state not in CLOCK_STATES or not ticket.deadline:
        return ""
    days = (ticket.deadline - timezone.localdate()).days
    if days < 0:
        return ""
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


@register.filter
def mask_phone(value):
    """A phone number masked for lists (138****5678); the full number stays on the pages that need it."""
    return masked_phone(value)
