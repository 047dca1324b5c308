"""The 12345 hotline, both ways: reading a 工单 (pushed or imported) into the ledger's words,
and owing the hotline a signed message for each act it follows (签收, 退单, 改派, 延期, 办结).

A 工单 is read into an `OrderData` first, whatever it came in as (JSON keys in English or the
export's Chinese headers); the district's mappings then turn its 诉求类型 into a problem
category and its 所属街道 into a street. Creating or updating the ticket is the workflow's
(campaigns/workflow/hotline.py); this module never writes a ticket.
"""

import datetime
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from campaigns.models import (
    Delivery,
    DeliveryChannel,
    HotlineOrder,
    HotlineSettings,
    NotificationKind,
    OrgUnit,
    ProblemCategory,
    TicketAction,
    TicketEvent,
    UnitKind,
    VisitResult,
)
from campaigns.workdays import add_working_days
from infra.signing import TOLERANCE_SECONDS

# The JSON keys of a push, and the Chinese ones the hotline's own systems use for the same.
FIELD_ALIASES: dict[str, tuple[str, ...]] = {
    "order_no": ("工单号", "工单编号"),
    "called_at": ("来电时间", "受理时间"),
    "kind": ("诉求类型", "问题类型"),
    "content": ("诉求内容", "工单内容"),
    "street": ("所属街道", "街道"),
    "address": ("地址", "事发地址"),
    "time_limit_days": ("办理时限", "办理时限（工作日）"),
    "visit_result": ("回访结果", "满意度"),
}
ORDER_NO_MAX = 64
CONTENT_MAX = 4000
ADDRESS_MAX = 200
DAYS_MAX = 365

# The acts the hotline hears of, and the event name its message carries.
HOTLINE_ACTS: dict[str, str] = {
    TicketAction.SIGN: "sign",
    TicketAction.DECLINE: "decline",
    TicketAction.REASSIGN: "reassign",
    TicketAction.APPROVE_EXTENSION: "extension",
    TicketAction.CLOSE_OUT: "reply",
}


@dataclass
class OrderData:
    """One 工单 as the hotline sent it, checked for shape only (not yet against the ledger)."""

    order_no: str = ""
    called_at: datetime.datetime | None = None
    kind: str = ""
    content: str = ""
    street: str = ""
    address: str = ""
    time_limit_days: int | None = None
    visit_result: str = ""
    errors: dict[str, str] = field(default_factory=dict)


def _value(raw: Mapping[str, Any], key: str) -> Any:
    for name in (key, *FIELD_ALIASES[key]):
        if name in raw and raw[name] not in (None, ""):
            return raw[name]
    return None


def _when(value: Any) -> datetime.datetime | None:
    if isinstance(value, datetime.datetime):
        moment = value
    elif isinstance(value, datetime.date):
        moment = datetime.datetime.combine(value, datetime.time(9))
    else:
        text = str(value).strip().replace("/", "-")
        found = parse_datetime(text) or parse_datetime(f"{text} 00:00")
        if found is None:
            return None
        moment = found
    return timezone.make_aware(moment) if timezone.is_naive(moment) else moment


def order_data(raw: Mapping[str, Any]) -> OrderData:
    """Read a 工单 from a push's JSON object or an export row; problems land in `errors` by key."""
    data = OrderData()
    data.order_no = str(_value(raw, "order_no") or "").strip()
    if not data.order_no:
        data.errors["order_no"] = _("缺少工单号。")
    elif len(data.order_no) > ORDER_NO_MAX:
        data.errors["order_no"] = _("工单号太长（最多 %(n)s 个字符）。") % {"n": ORDER_NO_MAX}
    called = _value(raw, "called_at")
    data.called_at = _when(called) if called is not None else None
    if data.called_at is None:
        data.errors["called_at"] = _("来电时间缺失或看不懂，请写成 2026-12-04 09:30。")
    data.kind = str(_value(raw, "kind") or "").strip()[:100]
    data.content = str(_value(raw, "content") or "").strip()
    if not data.content:
        data.errors["content"] = _("缺少诉求内容。")
    elif len(data.content) > CONTENT_MAX:
        data.errors["content"] = _("诉求内容太长（最多 %(n)s 个字）。") % {"n": CONTENT_MAX}
    data.street = str(_value(raw, "street") or "").strip()[:100]
    data.address = str(_value(raw, "address") or "").strip()
    if len(data.address) > ADDRESS_MAX:
        data.errors["address"] = _("地址太长（最多 %(n)s 个字）。") % {"n": ADDRESS_MAX}
    days = _value(raw, "time_limit_days")
    if days is not None:
        text = str(days).strip().removesuffix("个工作日").removesuffix("工作日").removesuffix("天")
        if not text.isdigit() or not 1 <= int(text) <= DAYS_MAX:
            data.errors["time_limit_days"] = _("办理时限应是 1 到 365 之间的工作日数。")
        else:
            data.time_limit_days = int(text)
    data.visit_result = str(_value(raw, "visit_result") or "").strip()
    if data.visit_result and data.visit_result not in VisitResult.values:
        data.errors["visit_result"] = _("回访结果只能是 满意、基本满意 或 不满意。")
    return data


class Mappings:
    """A district's hotline words → the ledger's objects, read once per push or preview.

    A mapping row wins; else a category of the campaign, or a street of the district, with
    exactly the hotline's name; else the default category (streets have no default: a 工单
    for a street the office does not know must be looked at, not guessed).
    """

    def __init__(self, settings: HotlineSettings) -> None:
        self.settings = settings
        self.categories = {row.hotline_name: row.category for row in settings.categories.select_related("category")}
        for category in ProblemCategory.objects.filter(campaign_id=settings.campaign_id, is_active=True):
            self.categories.setdefault(category.name, category)
        self.streets = {row.hotline_name: row.street for row in settings.streets.select_related("street")}
        for street in OrgUnit.objects.filter(
            district_id=settings.district_id, kind__in=(UnitKind.STREET, UnitKind.TOWNSHIP), is_active=True
        ):
            self.streets.setdefault(street.name, street)

    def category(self, kind: str) -> ProblemCategory | None:
        return self.categories.get(kind) or self.settings.default_category

    def street(self, name: str) -> OrgUnit | None:
        return self.streets.get(name)

    def check(self, data: OrderData) -> tuple[ProblemCategory | None, OrgUnit | None]:
        """The 工单's category and street; what cannot be mapped is added to `data.errors`."""
        category = self.category(data.kind)
        if category is None:
            data.errors.setdefault(
                "kind", _("诉求类型“%(v)s”没有对应的问题类别，请在热线对接设置里添加。") % {"v": data.kind}
            )
        street = self.street(data.street)
        if street is None:
            data.errors.setdefault(
                "street", _("所属街道“%(v)s”没有对应的街道/乡镇，请在热线对接设置里添加。") % {"v": data.street}
            )
        return category, street


def push_replayed(settings: HotlineSettings, signature: str) -> bool:
    """Whether this signed push was taken in before. A signature is unique to its timestamp and
    body, and a push older than the tolerance is refused anyway: remembering each one for
    twice that long refuses every replay (an update pushed again is harmless, a replay is noise)."""
    return not cache.add(f"hotline-push:{settings.pk}:{signature}", 1, TOLERANCE_SECONDS * 2)


def due_on(settings: HotlineSettings, data: OrderData) -> datetime.date:
    """The hotline's 办理期限: its 办理时限 in working days from the day of the call."""
    called = timezone.localdate(data.called_at) if data.called_at else timezone.localdate()
    return add_working_days(called, data.time_limit_days or settings.default_days)


# --- what goes back to the hotline ------------------------------------------------------------


def hotline_follows(ticket_id: int) -> bool:
    """Whether a ticket came from the hotline (its acts then owe the hotline a message)."""
    return HotlineOrder.objects.filter(ticket_id=ticket_id).exists()


def hotline_owes(event: TicketEvent) -> bool:
    return event.action in HOTLINE_ACTS and hotline_follows(event.ticket_id)


def hotline_payload(event: TicketEvent, order: HotlineOrder) -> dict[str, Any]:
    ticket = event.ticket
    payload: dict[str, Any] = {
        "event": HOTLINE_ACTS[event.action],
        "order_no": order.order_no,
        "ticket": ticket.number,
        "district": ticket.district.code,
        "at": timezone.localtime(event.at).isoformat(),
        "state": ticket.state,
        "note": event.note,
    }
    if ticket.responsible_unit_id:
        payload["unit"] = ticket.responsible_unit.name if ticket.responsible_unit else ""
    if event.action == TicketAction.APPROVE_EXTENSION:
        payload["deadline"] = ticket.deadline.isoformat() if ticket.deadline else None
    if event.action == TicketAction.DECLINE:
        payload["declined_by"] = event.details.get("unit", "")
    if event.action == TicketAction.CLOSE_OUT:
        payload["closed_at"] = timezone.localtime(ticket.closed_at).isoformat() if ticket.closed_at else None
    return payload


EVENT_TITLES = {
    "sign": gettext_lazy("签收"),
    "decline": gettext_lazy("退单"),
    "reassign": gettext_lazy("改派"),
    "extension": gettext_lazy("延期"),
    "reply": gettext_lazy("办结回复"),
}


def hotline_deliveries(event: TicketEvent) -> list[int]:
    """The hotline's message for this event, recorded once (unique per occasion): its id, or
    nothing when the ticket is not a hotline 工单 or the district sends nothing back."""
    if event.action not in HOTLINE_ACTS:
        return []
    order = HotlineOrder.objects.filter(ticket_id=event.ticket_id).first()
    if order is None:
        return []
    settings = HotlineSettings.objects.filter(district_id=order.district_id, enabled=True).first()
    if settings is None or not settings.outbound_url:
        return []
    name = HOTLINE_ACTS[event.action]
    try:
        with transaction.atomic():
            delivery = Delivery.objects.create(
                district_id=order.district_id,
                channel=DeliveryChannel.HOTLINE,
                target=f"hotline:{settings.pk}",
                occasion=f"hotline-event:{event.pk}",
                kind=NotificationKind.HOTLINE_EVENT,
                title=f"{EVENT_TITLES[name]}：{order.order_no}（{event.ticket.number}）"[:200],
                body=json.dumps(hotline_payload(event, order), ensure_ascii=False),
                next_attempt_at=timezone.now(),
            )
    except IntegrityError:
        return []  # recorded already: a second drain sends nothing twice
    return [delivery.pk]
