"""A 12345 hotline 工单 into the ledger: a new 工单号 becomes a ticket, a known one is updated.

Pushes and imports of one district take its hotline settings row's lock first, so two pushes
of the same new 工单号 at once make one ticket: the second waits, then finds the first's order
(the unique (district, 工单号) constraint is the last word if anything slips past). A new 工单
is logged by ticket_log as the hotline's own actor, straight to the street it belongs to
(12345 dispatches to streets) with the hotline's 办理时限 counted in working days; the street
then 签收 or 退单 it like any 交办. A known one takes the hotline's newer content and its 回访
result; its category, street and deadline stay what the office made of them.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from security.audit import audit_record

from ..models import (
    AuditKind,
    HotlineImport,
    HotlineOrder,
    HotlineSettings,
    HotlineSource,
    OrgUnit,
    ProblemCategory,
    Ticket,
)
from ..services.hotline import Mappings, OrderData, due_on, order_data
from ..services.hotline_import import LAYOUT, hotline_import_check
from ..services.system_actor import hotline_user
from ..services.xlsx_import import ImportPreview, record_confirm, record_preview
from .tickets import ticket_log


class OrderRefused(Exception):
    """The 工单 cannot be taken in as it is: `errors` by field, in the reader's language."""

    def __init__(self, errors: Mapping[str, str]) -> None:
        super().__init__("; ".join(f"{key}: {message}" for key, message in errors.items()))
        self.errors = dict(errors)


@dataclass(frozen=True)
class Receipt:
    order: HotlineOrder
    created: bool
    changed: tuple[str, ...] = ()


def hotline_order_receive(*, settings: HotlineSettings, raw: Mapping[str, Any], source: str) -> Receipt:
    """Take in one 工单 (a push's JSON object or an export row): create its ticket, or update it."""
    data = order_data(raw)
    if data.errors:
        raise OrderRefused(data.errors)
    with transaction.atomic():
        # One district's 工单 one at a time: a second push of a new number waits for the first.
        settings = HotlineSettings.objects.select_for_update().select_related("campaign__district").get(pk=settings.pk)
        order = (
            HotlineOrder.objects.select_for_update()
            .filter(district_id=settings.district_id, order_no=data.order_no)
            .select_related("ticket")
            .first()
        )
        if order is not None:
            return Receipt(order, created=False, changed=_update(order, data))
        category, street = Mappings(settings).check(data)
        if data.errors or category is None or street is None:
            raise OrderRefused(data.errors)
        return Receipt(_create(settings, data, category, street, source), created=True)


def _create(
    settings: HotlineSettings, data: OrderData, category: ProblemCategory, street: OrgUnit, source: str
) -> HotlineOrder:
    now = timezone.now()
    called_at = data.called_at or now  # a checked 工单 has its own
    due = due_on(settings, data)
    ticket = ticket_log(
        actor=hotline_user(),
        campaign=settings.campaign,
        category=category,
        description=data.content,
        photos=(),
        street=street,
        place=data.address or street.name,
        reported_at=min(called_at, now),
        # A 工单 imported late may be past its 办理期限 already: the ledger's deadline cannot be
        # in the past, the order keeps the hotline's own date.
        assignment={"unit": street, "deadline": max(due, timezone.localdate())},
        integration=True,
    )
    return HotlineOrder.objects.create(
        district_id=settings.district_id,
        order_no=data.order_no,
        ticket=ticket,
        called_at=called_at,
        kind=data.kind,
        content=data.content,
        street_name=data.street,
        address=data.address,
        time_limit_days=data.time_limit_days or settings.default_days,
        due_on=due,
        visit_result=data.visit_result,
        visit_at=now if data.visit_result else None,
        source=source,
        received_at=now,
        updated_at=now,
    )


def _update(order: HotlineOrder, data: OrderData) -> tuple[str, ...]:
    """The hotline's newer words for a known 工单; what changed (nothing: a replayed push)."""
    changed: list[str] = []
    now = timezone.now()
    if data.content != order.content:
        order.content = data.content
        changed.append("content")
        ticket: Ticket = order.ticket
        ticket.description = data.content
        ticket.save(update_fields=["description", "updated_at"])
    if data.address and data.address != order.address:
        order.address = data.address
        changed.append("address")
    if data.visit_result and data.visit_result != order.visit_result:
        order.visit_result = data.visit_result
        order.visit_at = now
        changed.append("visit_result")
    if changed:
        order.updates += 1
        order.updated_at = now
        visit_at = ["visit_at"] if "visit_result" in changed else []
        order.save(update_fields=[*changed, *visit_at, "updates", "updated_at"])
        audit_record(
            AuditKind.INTEGRATION,
            user=hotline_user(),
            district=order.district_id,
            target=f"12345 {order.order_no} → {order.ticket.number}",
            changed=changed,
            visit_result=order.visit_result,
        )
    return tuple(changed)


# --- the hotline's .xlsx export ---------------------------------------------------------------


class _RowRefused(Exception):
    def __init__(self, number: int, message: str) -> None:
        super().__init__(message)
        self.number, self.message = number, message


def hotline_import_confirm(*, record: HotlineImport, actor: User) -> ImportPreview:
    """Import a previewed export: every row, or — if anything is wrong now — none of them."""
    settings = HotlineSettings.objects.get(district_id=record.district_id)
    try:
        return record_confirm(
            record=record,
            layout=LAYOUT,
            lock_owner=lambda: HotlineSettings.objects.select_for_update().get(pk=settings.pk),
            # Rows are keyed by 工单号 and only ever add or update: an older file cannot undo a newer one's rows.
            siblings=HotlineImport.objects.none(),
            changed_message="",
            check=lambda sheet: hotline_import_check(sheet, settings),
            write=lambda locked, preview, owner, now: _import_rows(locked, preview, owner, actor),
        )
    except _RowRefused as refused:
        preview = hotline_import_check_again(record, settings)
        preview.confirm_errors = [
            _("第 %(row)s 行未能导入：%(why)s 这次一行也没有导入。") % {"row": refused.number, "why": refused.message}
        ]
        return preview


def hotline_import_check_again(record: HotlineImport, settings: HotlineSettings) -> ImportPreview:
    return record_preview(record, LAYOUT, lambda sheet: hotline_import_check(sheet, settings))


def _import_rows(record: HotlineImport, preview: ImportPreview, settings: HotlineSettings, actor: User) -> None:
    created = updated = 0
    for row in preview.rows:
        if row.action == "same":
            continue
        try:
            receipt = hotline_order_receive(settings=settings, raw=row.cleaned["raw"], source=HotlineSource.IMPORT)
        except OrderRefused as refused:
            raise _RowRefused(row.number, " ".join(refused.errors.values())) from refused
        created += receipt.created
        updated += not receipt.created
    audit_record(
        AuditKind.INTEGRATION,
        user=actor,
        district=record.district_id,
        target=f"12345 import: {record.original_name}"[:200],
        model="campaigns.hotlineorder",
        added=created,
        updated=updated,
    )
