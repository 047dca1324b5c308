"""Writing one demo ticket's past as the verbs would have: state, fields, events and rows agree.

The demo's history is written directly (the verbs act at `now` and refuse past deadlines), so
each act here copies the fields and event details its verb in campaigns/workflow writes.
"""

import datetime
import io
from decimal import Decimal

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db.models import Min
from django.utils import timezone
from PIL import Image, ImageDraw

from campaigns.models import (
    CaptureSource,
    OrgUnit,
    PhotoKind,
    Recheck,
    RecheckResult,
    Ticket,
    TicketAction,
    TicketCoUnit,
    TicketEvent,
    TicketPhoto,
    TicketState,
)
from campaigns.services.ledger_numbers import ledger_number_next
from campaigns.services.photo_evidence import phash_fields, phash_of, photo_reuse_check, sha256_of
from campaigns.workdays import add_working_days, working_days_between
from campaigns.workflow.ladder import YELLOW_CARD_STEP, steps_due

CLOSE_NOTE = "经现场核验，整改到位，予以销号。"
REVIEW_NOTE = "专班现场复核，整改到位，报创卫办销号。"


class PhotoBank:
    """A picture of its own for every demo photo, with the fingerprints an upload gets.

    The photo evidence check (照片证据核验) compares each after-photo with the district's
    earlier photos: pictures shared between demo tickets would all read as 疑似重复使用照片.
    Drawn small (320×240), each costs a few milliseconds.
    """

    PALETTE = {
        PhotoKind.BEFORE: [(120, 98, 80), (96, 104, 90), (130, 110, 72)],
        PhotoKind.AFTER: [(92, 150, 110), (80, 140, 150), (120, 160, 100)],
    }

    def __init__(self, rng):
        self.rng = rng
        self.made = 0

    def _scene(self, base):
        image = Image.new("RGB", (320, 240), base)
        draw = ImageDraw.Draw(image)
        for _ in range(10):
            x, y = self.rng.randrange(320), self.rng.randrange(240)
            w, h = self.rng.randrange(15, 120), self.rng.randrange(10, 80)
            shade = tuple(max(0, min(255, c + self.rng.randrange(-70, 70))) for c in base)
            shape = draw.ellipse if self.rng.random() < 0.5 else draw.rectangle
            shape([x, y, x + w, y + h], fill=shade)
        draw.rectangle([0, 210, 320, 240], fill=(30, 30, 30))
        return image, draw

    def fields(self, kind):
        """TicketPhoto fields of a new picture: its file, size and fingerprints."""
        # Parts, rechecks and review photos show the place fixed: after-pictures.
        kind = PhotoKind.BEFORE if kind == PhotoKind.BEFORE else PhotoKind.AFTER
        self.made += 1
        image, draw = self._scene(self.PALETTE[kind][self.made % 3])
        draw.text((8, 220), f"DEMO {kind.upper()} {self.made}", fill=(255, 255, 255))
        return self._stored(image, kind)

    def _stored(self, image, kind, quality=70):
        out = io.BytesIO()
        image.save(out, "JPEG", quality=quality)
        data = out.getvalue()
        name = default_storage.save(f"photos/demo/{kind}-{self.made}.jpg", ContentFile(data))
        with Image.open(io.BytesIO(data)) as stored:
            fingerprint = phash_fields(phash_of(stored))
        return {
            "image": name,
            "thumbnail": name,  # already thumbnail-sized
            "width": image.width,
            "height": image.height,
            "size": len(data),
            "content_type": "image/jpeg",
            "original_name": "demo.jpg",
            "sha256": sha256_of(data),
            **fingerprint,
        }

    def again(self, photo):
        """An earlier photo sent once more, as a unit does with last month's picture: smaller,
        saved again — a different file that 照片证据核验 still knows."""
        with photo.image.open("rb") as handle, Image.open(handle) as earlier:
            image = earlier.convert("RGB").resize((288, 216))
        return self._stored(image, PhotoKind.AFTER, quality=60)

    def taken(self, point, at):
        """Where and when a phone took it: at the act, a few metres from the point."""
        taken = {"taken_at": at, "taken_at_source": CaptureSource.DEVICE}
        if point is not None and point.latitude is not None and point.longitude is not None:
            # ~1e-5 degrees is a metre: within 30 m, as a phone's fix in a street is.
            taken.update(
                latitude=point.latitude + Decimal(self.rng.randint(-25, 25)) / Decimal(100000),
                longitude=point.longitude + Decimal(self.rng.randint(-25, 25)) / Decimal(100000),
                location_source=CaptureSource.DEVICE,
                location_accuracy=self.rng.randint(5, 25),
            )
        return taken


def at_most(moment, now):
    return min(moment, now - datetime.timedelta(minutes=5))


def local_moment(day, hour, minute=0):
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour, minute)))


def ticket_new(*, district, campaign, category, reporter, reported_at, point=None, street=None, place="", **extra):
    return Ticket.objects.create(
        number=ledger_number_next(district, reported_at),
        district=district,
        campaign=campaign,
        state=TicketState.REPORTED,
        point=point,
        place=place,
        street_id=point.street_id if point else street.pk,
        area=category.area,
        category=category,
        reported_by=reporter,
        reported_at=reported_at,
        **extra,
    )


class HistoryWriter:
    """Writes a ticket's past as the workflow would have: state, fields and events agree."""

    def __init__(self, ticket, photos):
        self.ticket = ticket
        self.photos = photos
        self.last_at = ticket.reported_at

    def event(self, action, actor, at, to_state=None, note="", details=None, photo_kind=None, again=None):
        # Events are read in time order: none may come before the one it follows.
        at = max(at, self.last_at)
        self.last_at = at
        to_state = to_state or self.ticket.state
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
            photo = TicketPhoto.objects.create(
                ticket=self.ticket,
                event=event,
                kind=photo_kind,
                uploaded_by=actor,
                uploaded_at=at,
                **(self.photos.again(again) if again is not None else self.photos.fields(photo_kind)),
                **self.photos.taken(self.ticket.point, at),
            )
            if photo_kind == PhotoKind.AFTER:
                photo_reuse_check(photo.pk)  # as the upload's task does: 照片证据核验
        return event

    # 交办 and its corrections (workflow/tickets.py, workflow/dispatch.py)

    def assign(self, actor, at, unit, *, person, phone, deadline, sign_due_at, work_group=None, co_units=()):
        ticket = self.ticket
        ticket.responsible_unit = unit
        ticket.responsible_person, ticket.responsible_phone = person, phone
        ticket.deadline, ticket.work_group = deadline, work_group
        ticket.assigned_at, ticket.sign_due_at, ticket.signed_at = at, sign_due_at, None
        details = {"unit": unit.name, "unit_id": unit.pk, "person": person, "deadline": deadline.isoformat()}
        if phone:
            details["phone"] = phone
        if work_group is not None:
            details["work_group"] = work_group.name
        if co_units:
            TicketCoUnit.objects.bulk_create(TicketCoUnit(ticket=ticket, unit=co) for co in co_units)
            ticket.co_units_count = len(co_units)
            details["co_units"] = [co.name for co in co_units]
        return self.event(TicketAction.ASSIGN, actor, at, TicketState.ASSIGNED, details=details)

    def sign(self, actor, at, note=""):
        self.ticket.signed_at = at
        late = self.ticket.sign_due_at is not None and at > self.ticket.sign_due_at
        return self.event(
            TicketAction.SIGN, actor, at, TicketState.RECTIFYING, note=note, details={"late": True} if late else None
        )

    def decline(self, actor, at, reason, suggested: OrgUnit | None = None):
        ticket = self.ticket
        details = {"unit": ticket.responsible_unit.name, "unit_id": ticket.responsible_unit_id}
        if suggested is not None:
            details |= {"suggested_unit": suggested.name, "suggested_unit_id": suggested.pk}
        ticket.responsible_unit, ticket.responsible_person, ticket.responsible_phone = None, "", ""
        # assigned_at stays: the ticket waits for 改派 to the right unit.
        ticket.deadline = ticket.work_group = ticket.sign_due_at = ticket.signed_at = None
        ticket.escalation_step, ticket.yellow_card_at = 0, None
        return self.event(TicketAction.DECLINE, actor, at, TicketState.REPORTED, note=reason, details=details)

    def reassign(self, actor, at, unit, *, deadline, sign_due_at, reason, person=""):
        ticket = self.ticket
        held = ticket.responsible_unit  # None after a 退单
        details = {
            **({"from_unit": held.name, "from_unit_id": held.pk} if held else {}),
            "to_unit": unit.name,
            "to_unit_id": unit.pk,
            "deadline": deadline.isoformat(),
            "from_state": ticket.state,
        }
        ticket.responsible_unit, ticket.responsible_person, ticket.responsible_phone = unit, person, ""
        ticket.deadline, ticket.work_group = deadline, None
        ticket.assigned_at, ticket.sign_due_at, ticket.signed_at = at, sign_due_at, None
        ticket.escalation_step, ticket.yellow_card_at = 0, None
        return self.event(TicketAction.REASSIGN, actor, at, TicketState.ASSIGNED, note=reason, details=details)

    # 延期 (workflow/hold.py)

    def request_extension(self, actor, at, until, reason):
        self.ticket.extension_requested_until = until
        details = {"until": until.isoformat(), "current_deadline": self.ticket.deadline.isoformat()}
        return self.event(TicketAction.REQUEST_EXTENSION, actor, at, note=reason, details=details)

    def approve_extension(self, actor, at, note=""):
        ticket = self.ticket
        requested = ticket.extension_requested_until
        details = {
            "deadline": requested.isoformat(),
            "requested": requested.isoformat(),
            "previous_deadline": ticket.deadline.isoformat(),
        }
        ticket.deadline, ticket.extension_requested_until = requested, None
        ticket.extensions_used += 1
        return self.event(TicketAction.APPROVE_EXTENSION, actor, at, note=note, details=details)

    def reject_extension(self, actor, at, reason):
        details = {"requested": self.ticket.extension_requested_until.isoformat()}
        self.ticket.extension_requested_until = None
        return self.event(TicketAction.REJECT_EXTENSION, actor, at, note=reason, details=details)

    # 协办, 提交整改, the 销号 chain and 复查 (workflow/closing.py, workflow/tickets.py)

    def submit_part(self, actor, at, unit, note):
        event = self.event(
            TicketAction.SUBMIT_PART, actor, at, note=note, details={"unit": unit.name}, photo_kind=PhotoKind.PART
        )
        TicketCoUnit.objects.filter(ticket=self.ticket, unit=unit).update(
            part_note=note, part_event=event, part_submitted_at=event.at, part_submitted_by=actor
        )
        return event

    def submit_fix(self, actor, at, note, again=None):
        """提交整改 with a new after-photo, or (`again`) an earlier photo sent once more."""
        event = self.event(
            TicketAction.SUBMIT_FIX,
            actor,
            at,
            TicketState.SUBMITTED,
            note=note,
            photo_kind=PhotoKind.AFTER,
            again=again,
        )
        self.ticket.fix_submitted_at, self.ticket.fix_submitted_by = event.at, actor
        self.ticket.review_level, self.ticket.reviewed_by = 0, []
        return event

    def review(self, actor, at, levels, note=REVIEW_NOTE):
        """复核 at the current level below the last (levels: the campaign's ClosingLevel rows)."""
        level = levels[self.ticket.review_level]
        self.ticket.review_level += 1
        self.ticket.reviewed_by = [*self.ticket.reviewed_by, actor.pk]
        details = {"level": level.name, "level_number": self.ticket.review_level}
        return self.event(TicketAction.REVIEW, actor, at, note=note, details=details)

    def return_fix(self, actor, at, levels, reason):
        details = {"level": levels[self.ticket.review_level].name} if len(levels) > 1 else {}
        self.ticket.return_count += 1
        self.ticket.review_level, self.ticket.reviewed_by = 0, []
        return self.event(TicketAction.RETURN, actor, at, TicketState.RECTIFYING, note=reason, details=details)

    def close_out(self, actor, at, levels, note=CLOSE_NOTE):
        details = {"level": levels[-1].name} if len(levels) > 1 else {}
        event = self.event(TicketAction.CLOSE_OUT, actor, at, TicketState.CLOSED, note=note, details=details)
        self.ticket.closed_at, self.ticket.closed_by = event.at, actor
        self.ticket.reviewed_by = [*self.ticket.reviewed_by, actor.pk]
        return event

    def plan_rechecks(self, offsets, *, cancelled=False):
        """The 复查 a 销号 plans (rechecks_plan); `cancelled` when that 销号 was later undone."""
        ticket = self.ticket
        closed_on = timezone.localdate(ticket.closed_at)
        return Recheck.objects.bulk_create(
            Recheck(
                ticket=ticket,
                district_id=ticket.district_id,
                street_id=ticket.street_id,
                days_after=days,
                due_on=closed_on + datetime.timedelta(days=days),
                cancelled=cancelled,
            )
            for days in sorted(set(offsets))
        )

    def recheck_kept(self, actor, at, recheck, note="复查点位，整改成果保持良好。"):
        event = self.event(
            TicketAction.RECHECK_KEPT,
            actor,
            at,
            note=note,
            details={"days_after": recheck.days_after},
            photo_kind=PhotoKind.RECHECK,
        )
        recheck.result, recheck.done_at, recheck.done_by, recheck.event = RecheckResult.KEPT, event.at, actor, event
        recheck.save(update_fields=["result", "done_at", "done_by", "event"])
        return event

    def recheck_relapsed(self, actor, at, recheck, note, deadline):
        ticket = self.ticket
        details = {"days_after": recheck.days_after, "deadline": deadline.isoformat()}
        event = self.event(
            TicketAction.RECHECK_RELAPSED,
            actor,
            at,
            TicketState.RECTIFYING,
            note=note,
            details=details,
            photo_kind=PhotoKind.RECHECK,
        )
        ticket.deadline, ticket.reopen_count = deadline, ticket.reopen_count + 1
        ticket.closed_at = ticket.closed_by = None
        ticket.escalation_step = 0
        recheck.result, recheck.done_at, recheck.done_by, recheck.event = RecheckResult.RELAPSED, event.at, actor, event
        recheck.save(update_fields=["result", "done_at", "done_by", "event"])
        ticket.rechecks.filter(result="", cancelled=False).update(cancelled=True)
        return event

    # The overdue ladder (workflow/ladder.py), as beat would have climbed it day by day.

    def escalate(self, system, ladder, now, upto=None):
        ticket = self.ticket
        today = timezone.localdate(now)
        due = steps_due(ladder, working_days_between(ticket.deadline, today))
        for step in range(ticket.escalation_step + 1, min(due, upto or due) + 1):
            day = add_working_days(ticket.deadline, ladder[step - 1])
            event = self.event(
                TicketAction.ESCALATE, system, at_most(local_moment(day, 8, 30), now), details={"step": step}
            )
            ticket.escalation_step = step
            if step == YELLOW_CARD_STEP and ticket.yellow_card_at is None:
                ticket.yellow_card_at = event.at


def recheck_dates_fill(district):
    """Each closed ticket's next 复查 (Ticket.next_recheck_on), from the 复查 the history planned."""
    pending = (
        Recheck.objects.filter(district=district, result="", cancelled=False, ticket__state=TicketState.CLOSED)
        .values("ticket_id")
        .annotate(first=Min("due_on"))
    )
    for row in pending:
        Ticket.objects.filter(pk=row["ticket_id"]).update(next_recheck_on=row["first"])
