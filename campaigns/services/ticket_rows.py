"""Ticket rows for exports (台账明细): one streamed query, no model objects, flat memory."""

import datetime
from collections.abc import Callable, Iterator, Sequence
from typing import Any, cast

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from campaigns.models import Ticket, TicketState
from campaigns.policy import Scope
from campaigns.privacy import phone_for

TICKET_COLUMNS = [
    (_("台账编号"), 16),
    (_("发现时间"), 17),
    (_("街道/乡镇"), 12),
    (_("点位/地点"), 22),
    (_("测评类别"), 14),
    (_("问题类别"), 22),
    (_("问题描述"), 40),
    (_("责任单位"), 14),
    (_("整改时限"), 11),
    (_("状态"), 8),
    (_("提交整改时间"), 17),
    (_("销号时间"), 17),
    (_("退回次数"), 8),
    (_("用时（天）"), 9),
    # The 交办 chain's marks: when the unit signed, how often the deadline moved, and why a
    # ticket may be off the clock or under a spotlight.
    (_("签收时间"), 17),
    (_("延期次数"), 8),
    (_("挂账至"), 11),
    (_("黄牌"), 17),
    (_("挂牌督办"), 17),
]
# Only the ticket list export carries them, masked for whoever does not chase the fix.
CONTACT_COLUMNS = [(_("责任人"), 10), (_("责任人电话"), 14)]
FIELDS = (
    "number",
    "reported_at",
    "street__name",
    "point__name",
    "place",
    "area__name",
    "category__name",
    "description",
    "responsible_unit__name",
    "deadline",
    "state",
    "fix_submitted_at",
    "closed_at",
    "return_count",
    "district_id",
    "responsible_unit_id",
    "responsible_person",
    "responsible_phone",
    "signed_at",
    "extensions_used",
    "hold_until",
    "yellow_card_at",
    "supervised_at",
)
STATE_LABELS = dict(TicketState.choices)


def _local_converter() -> Callable[[datetime.datetime | None], datetime.datetime | None]:
    """Aware UTC → naive local time, for Excel. timezone.localtime() asks the zone database for
    every value; offsets change at most twice a year, so one lookup per hour of UTC is plenty."""
    zone = timezone.get_current_timezone()
    offsets: dict[tuple[int, int, int, int], datetime.timedelta] = {}

    def local(value: datetime.datetime | None) -> datetime.datetime | None:
        if value is None:
            return None
        hour = (value.year, value.month, value.day, value.hour)
        offset = offsets.get(hour)
        if offset is None:
            # An aware value in a zone always has an offset.
            offset = offsets[hour] = cast(datetime.timedelta, value.astimezone(zone).utcoffset())
        return (value + offset).replace(tzinfo=None)

    return local


def ticket_rows(
    queryset: QuerySet[Ticket], chunk_size: int = 2000, scope: Scope | None = None
) -> Iterator[tuple[Any, ...]]:
    """Yield one tuple per ticket in TICKET_COLUMNS order; datetimes are local and naive for Excel.

    With a viewer's `scope`, each row ends with the responsible person and their phone, the
    phone masked unless that viewer chases this ticket's fix (see campaigns/privacy.py).
    """
    labels = {key: str(label) for key, label in STATE_LABELS.items()}
    _local = _local_converter()
    for (
        number,
        reported_at,
        street,
        point,
        place,
        area,
        category,
        description,
        unit,
        deadline,
        state,
        submitted_at,
        closed_at,
        returns,
        district_id,
        unit_id,
        person,
        phone,
        signed_at,
        extensions,
        hold_until,
        yellow_card_at,
        supervised_at,
    ) in queryset.order_by("reported_at", "id").values_list(*FIELDS).iterator(chunk_size=chunk_size):
        where = f"{point}（{place}）" if point and place else (point or place or "")
        took = round((closed_at - reported_at).total_seconds() / 86400, 1) if closed_at else None
        row: tuple[Any, ...] = (
            number,
            _local(reported_at),
            street,
            where,
            area,
            category,
            description,
            unit or "",
            deadline,
            labels.get(state, state),
            _local(submitted_at),
            _local(closed_at),
            returns,
            took,
            _local(signed_at),
            extensions,
            hold_until,
            _local(yellow_card_at),
            _local(supervised_at),
        )
        if scope is not None:
            row += (person, phone_for(scope, district_id, unit_id, phone))
        yield row


def ticket_columns(contacts: bool = False) -> Sequence[tuple[Promise, int]]:
    return TICKET_COLUMNS + CONTACT_COLUMNS if contacts else TICKET_COLUMNS


def ticket_header(contacts: bool = False) -> list[str]:
    return [str(label) for label, _width in ticket_columns(contacts)]
