"""Writing weeks of demo history the way the workflow would have written it."""

import datetime
import io

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone
from PIL import Image, ImageDraw

from campaigns.models import PhotoKind, Ticket, TicketAction, TicketEvent, TicketPhoto, TicketState, UnitKind
from campaigns.services.ledger_numbers import ledger_number_next

from .places import DESCRIPTIONS, FIX_NOTES, REOPEN_REASONS, RETURN_REASONS, VOID_REASONS, person_name, phone_number

HOLD_REASONS = [
    "需结合道路改造工程实施，已列入明年计划。",
    "涉及管网改造，资金待区财政批复后施工。",
    "冬季低温无法施工，开春后实施。",
]


class PhotoBank:
    """A few small generated pictures, stored once and shared by every demo ticket."""

    def __init__(self, rng):
        self.rng = rng
        self._bank = {PhotoKind.BEFORE: [], PhotoKind.AFTER: []}

    def _make(self, kind, index):
        palette = {
            PhotoKind.BEFORE: [(120, 98, 80), (96, 104, 90), (130, 110, 72)],
            PhotoKind.AFTER: [(92, 150, 110), (80, 140, 150), (120, 160, 100)],
        }
        base = palette[kind][index % 3]
        image = Image.new("RGB", (640, 480), base)
        draw = ImageDraw.Draw(image)
        for _ in range(14):
            x, y = self.rng.randrange(640), self.rng.randrange(480)
            w, h = self.rng.randrange(30, 180), self.rng.randrange(20, 120)
            shade = tuple(max(0, min(255, c + self.rng.randrange(-50, 50))) for c in base)
            draw.rectangle([x, y, x + w, y + h], fill=shade)
        draw.rectangle([0, 420, 640, 480], fill=(30, 30, 30))
        draw.text((16, 440), f"DEMO {kind.upper()} {index + 1}", fill=(255, 255, 255))
        out = io.BytesIO()
        image.save(out, "JPEG", quality=70)
        full = default_storage.save(f"photos/demo/{kind}-{index + 1}.jpg", ContentFile(out.getvalue()))
        image.thumbnail((320, 320))
        out = io.BytesIO()
        image.save(out, "JPEG", quality=70)
        thumb = default_storage.save(f"thumbs/demo/{kind}-{index + 1}.jpg", ContentFile(out.getvalue()))
        return full, thumb, len(out.getvalue())

    def pick(self, kind):
        if not self._bank[kind]:
            self._bank[kind] = [self._make(kind, i) for i in range(3)]
        return self.rng.choice(self._bank[kind])


class HistoryWriter:
    """Writes a ticket's past as the workflow would have: state, fields and events agree."""

    def __init__(self, ticket, photos):
        self.ticket = ticket
        self.photos = photos

    def event(self, action, actor, at, to_state, note="", details=None, photo_kind=None):
        event = TicketEvent.objects.create(
            ticket=self.ticket,
            action=action,
            actor=actor,
            at=at,
            from_state=self.ticket.state if action != TicketAction.LOG else "",
            to_state=to_state,
            note=note,
            details=details or {},
        )
        self.ticket.state = to_state
        if photo_kind:
            full, thumb, size = self.photos.pick(photo_kind)
            TicketPhoto.objects.create(
                ticket=self.ticket,
                event=event,
                kind=photo_kind,
                image=full,
                thumbnail=thumb,
                width=640,
                height=480,
                size=size,
                content_type="image/jpeg",
                original_name="demo.jpg",
                uploaded_by=actor,
                uploaded_at=at,
            )
        return event


def _fixer_for(unit, liaisons, unit_user):
    if unit_user is not None and unit.pk in {m.unit_id for m in unit_user.memberships.all()}:
        return unit_user
    key = unit.street_id if unit.kind in (UnitKind.COMMUNITY, UnitKind.VILLAGE) else unit.pk
    return liaisons.get(key) or liaisons.get(unit.pk)


def _at_most(moment, now):
    return min(moment, now - datetime.timedelta(minutes=5))


def generate_tickets(
    spec,
    *,
    district,
    campaign,
    rng,
    points,
    streets,
    categories,
    reporters,
    managers,
    responsible_pool,
    liaisons,
    departments,
    work_lines,
    finder_groups,
    unit_user,
    photos,
    checklist=(),
):
    now = timezone.now()
    items_by_area = {}
    for item in checklist:
        items_by_area.setdefault(item.area_id, []).append(item)
    moments = sorted(
        now - datetime.timedelta(days=rng.uniform(0, 60), minutes=rng.randrange(0, 600))
        for _ in range(spec.ticket_count)
    )
    unit_dept = departments.get("区执法局")
    for reported_at in moments:
        age_days = (now - reported_at).total_seconds() / 86400
        category = rng.choice(categories)
        point = rng.choice(points) if rng.random() < 0.8 else None
        street = streets[rng.randrange(len(streets))] if point is None else None
        reporter = rng.choice(reporters)
        area_code = category.area.code
        description = rng.choice(DESCRIPTIONS.get(area_code, DESCRIPTIONS["3"]))
        with transaction.atomic():
            ticket = Ticket.objects.create(
                number=ledger_number_next(district, reported_at),
                district=district,
                campaign=campaign,
                state=TicketState.REPORTED,
                point=point,
                place="" if point else f"{street.name}辖区 {rng.randrange(1, 300)}号附近",
                street_id=point.street_id if point else street.pk,
                area=category.area,
                category=category,
                description=description,
                reported_by=reporter,
                reported_at=reported_at,
                finder_group=rng.choice(finder_groups) if finder_groups else None,
                checklist_item=(
                    rng.choice(items_by_area[category.area_id])
                    if items_by_area.get(category.area_id) and rng.random() < 0.7
                    else None
                ),
            )
            history = HistoryWriter(ticket, photos)
            history.event(TicketAction.LOG, reporter, reported_at, TicketState.REPORTED, photo_kind=PhotoKind.BEFORE)

            roll = rng.random()
            if roll < 0.04:
                at = _at_most(reported_at + datetime.timedelta(hours=rng.uniform(1, 20)), now)
                history.event(
                    TicketAction.VOID, rng.choice(managers), at, TicketState.VOIDED, note=rng.choice(VOID_REASONS)
                )
                ticket.save()
                continue
            if (age_days < 3 and roll < 0.5) or (age_days < 10 and roll < 0.1):
                ticket.save()  # still waiting for triage
                continue

            # 交办
            if point is not None and point.responsible_department_id and rng.random() < 0.6:
                unit = next(d for d in departments.values() if d.pk == point.responsible_department_id)
            elif unit_dept is not None and rng.random() < 0.25:
                unit = unit_dept
            else:
                unit = rng.choice(responsible_pool)
            assigned_at = _at_most(reported_at + datetime.timedelta(hours=rng.uniform(0.5, 30)), now)
            deadline = timezone.localtime(assigned_at).date() + datetime.timedelta(days=category.default_deadline_days)
            ticket.responsible_unit = unit
            ticket.responsible_person = person_name(rng)
            ticket.responsible_phone = phone_number(rng)
            ticket.deadline = deadline
            ticket.assigned_at = assigned_at
            ticket.work_group = rng.choice(work_lines) if work_lines and rng.random() < 0.7 else None
            ticket.sign_due_at = assigned_at + datetime.timedelta(days=1)
            history.event(
                TicketAction.ASSIGN,
                rng.choice(managers),
                assigned_at,
                TicketState.ASSIGNED,
                details={
                    "unit": unit.name,
                    "unit_id": unit.pk,
                    "person": ticket.responsible_person,
                    "deadline": deadline.isoformat(),
                },
            )
            fixer = _fixer_for(unit, liaisons, unit_user) or rng.choice(managers)
            if age_days < 3 and rng.random() < 0.3:
                ticket.save()  # 待签收: the unit has not acknowledged it yet
                continue
            # 签收: most units sign within hours; a few are late.
            signed_at = _at_most(assigned_at + datetime.timedelta(hours=rng.uniform(0.3, 30)), now)
            ticket.signed_at = signed_at
            history.event(
                TicketAction.SIGN,
                fixer,
                signed_at,
                TicketState.RECTIFYING,
                details={"late": True} if signed_at > ticket.sign_due_at else None,
            )
            moment = signed_at
            # Tickets past their time are mostly struck off; younger ones are still being worked on.
            stage = rng.random()
            if age_days > 30:
                still_rectifying, still_submitted = 0.03, 0.03
            elif age_days > category.default_deadline_days + 1:
                still_rectifying, still_submitted = 0.09, 0.13
            else:
                still_rectifying, still_submitted = 0.5, 0.75
            if stage < still_rectifying:
                if age_days > 10 and rng.random() < 0.25:
                    # 挂账: an engineering fix that waits for its season, approved by a supervisor.
                    held_at = _at_most(signed_at + datetime.timedelta(hours=rng.uniform(2, 48)), now)
                    ticket.hold_until = timezone.localdate() + datetime.timedelta(days=rng.randint(10, 60))
                    history.event(
                        TicketAction.HOLD,
                        rng.choice(managers),
                        held_at,
                        TicketState.ON_HOLD,
                        note=rng.choice(HOLD_REASONS),
                        details={"hold_until": ticket.hold_until.isoformat()},
                    )
                ticket.save()
                continue
            waits_for_verification = stage < still_submitted
            returned = rng.random() < 0.12
            for attempt in range(2 if returned else 1):
                moment = _at_most(moment + datetime.timedelta(hours=rng.uniform(4, 70)), now)
                if waits_for_verification and attempt == (1 if returned else 0):
                    # A fix waiting for verification was sent lately: offices verify within days.
                    moment = max(moment, _at_most(now - datetime.timedelta(hours=rng.uniform(2, 60)), now))
                history.event(
                    TicketAction.SUBMIT_FIX,
                    fixer,
                    moment,
                    TicketState.SUBMITTED,
                    note=rng.choice(FIX_NOTES.get(area_code, FIX_NOTES["3"])),
                    photo_kind=PhotoKind.AFTER,
                )
                ticket.fix_submitted_at, ticket.fix_submitted_by = moment, fixer
                if attempt == 0 and returned:
                    moment = _at_most(moment + datetime.timedelta(hours=rng.uniform(1, 24)), now)
                    history.event(
                        TicketAction.RETURN,
                        rng.choice(managers),
                        moment,
                        TicketState.RECTIFYING,
                        note=rng.choice(RETURN_REASONS),
                    )
                    ticket.return_count += 1
            if waits_for_verification:
                ticket.save()
                continue
            closer = next(m for m in managers if m.pk != fixer.pk)
            moment = _at_most(moment + datetime.timedelta(hours=rng.uniform(1, 40)), now)
            history.event(
                TicketAction.CLOSE_OUT, closer, moment, TicketState.CLOSED, note="经现场核验，整改到位，予以销号。"
            )
            ticket.closed_at, ticket.closed_by = moment, closer
            if rng.random() < 0.05 and age_days > 10:
                moment = _at_most(moment + datetime.timedelta(days=rng.uniform(2, 6)), now)
                new_deadline = timezone.localtime(moment).date() + datetime.timedelta(days=3)
                history.event(
                    TicketAction.REOPEN,
                    rng.choice(managers),
                    moment,
                    TicketState.RECTIFYING,
                    note=rng.choice(REOPEN_REASONS),
                    details={"deadline": new_deadline.isoformat()},
                )
                ticket.reopen_count += 1
                ticket.deadline = new_deadline
                ticket.closed_at = ticket.closed_by = None
            ticket.save()
    return spec.ticket_count
