"""A year of tickets with their events and photo records, and daily reports."""

import datetime

from django.utils import timezone

from campaigns.models import (
    DailyReport,
    LedgerSequence,
    ReportingDuty,
    Ticket,
    TicketEvent,
    TicketPhoto,
)
from campaigns.models.ticket import event_hash
from campaigns.services.photo_evidence import phash_bands

from .constants import DESCRIPTIONS, DISTRICT_WEIGHTS, NOW_SLACK
from .copy import CopyWriter, _next_id, _reset_sequences
from .structure import _photo_files


class EventRow:
    """Just what event_hash() reads, for rows that never become model instances."""

    __slots__ = ("ticket_id", "action", "actor_id", "at", "from_state", "to_state", "note", "details")

    def __init__(self, ticket_id, action, actor_id, at, from_state, to_state, note, details):
        self.ticket_id, self.action, self.actor_id, self.at = ticket_id, action, actor_id, at
        self.from_state, self.to_state, self.note, self.details = from_state, to_state, note, details


def _evidence(rng, sha256, checked_at):
    """A photo's capture sources and fingerprints (照片证据核验): the shared file's SHA-256, and
    a perceptual hash of its own, so the reuse lookup by hash bands meets the spread of a real
    ledger (a few candidates a band) rather than one file every ticket shares. An after-photo
    was checked when it came (`checked_at`); a before-photo is never checked."""
    phash = f"{rng.getrandbits(64):016x}"
    return ("device", "", None, sha256, phash, *phash_bands(phash), None, checked_at)


def month_starts(today, count=12):
    first = today.replace(day=1)
    months = []
    for _ in range(count):
        months.append(first)
        first = (first - datetime.timedelta(days=1)).replace(day=1)
    return list(reversed(months))


def plan_buckets(total, months):
    """How many tickets each (district, month) gets: busy district, a ramp over the year, one big month."""
    buckets = {}
    big = min(100_000, total // 10)
    remaining = total - big
    ramp = [0.5 + index / len(months) for index in range(len(months))]
    ramp_total = sum(ramp)
    for d, weight in enumerate(DISTRICT_WEIGHTS):
        for m, month in enumerate(months):
            buckets[(d, month)] = int(remaining * weight * ramp[m] / ramp_total)
    # The last full month of the busiest district is the 100,000-ticket month of the summary benchmark.
    buckets[(0, months[-2])] = big
    buckets[(0, months[-1])] += total - sum(buckets.values())
    return buckets


def generate_tickets(worlds, total, rng, log):
    now = timezone.now()
    today = timezone.localdate(now)
    months = month_starts(today)
    buckets = plan_buckets(total, months)
    tickets = CopyWriter(Ticket)
    events = CopyWriter(TicketEvent, chunk=100_000)
    photos = CopyWriter(TicketPhoto, chunk=100_000)
    ticket_id, event_id, photo_id = _next_id(Ticket), _next_id(TicketEvent), _next_id(TicketPhoto)
    files = _photo_files()
    sequences = []
    tz = timezone.get_current_timezone()
    generated = 0
    limit = now - NOW_SLACK

    def later(moment, low_hours, high_hours):
        return min(moment + datetime.timedelta(hours=rng.uniform(low_hours, high_hours)), limit)

    for (d, month), count in sorted(buckets.items(), key=lambda pair: (pair[0][1], pair[0][0])):
        if count <= 0:
            continue
        world = worlds[d]
        following = (month + datetime.timedelta(days=32)).replace(day=1)
        last_day = min(following - datetime.timedelta(days=1), today)
        span_days = (last_day - month).days + 1
        start = datetime.datetime.combine(month, datetime.time(7, 0), tzinfo=tz)
        offsets = sorted(rng.random() * span_days for _ in range(count))
        period = month.strftime("%Y%m")
        sup_a, sup_b = world.supervisors
        for seq, offset in enumerate(offsets, start=1):
            day_offset = int(offset)
            reported = start + datetime.timedelta(days=day_offset, seconds=int((offset - day_offset) * 13 * 3600))
            if reported > now - NOW_SLACK:
                reported = now - NOW_SLACK - datetime.timedelta(seconds=rng.randrange(3600))
            point_id, street_id, point_department = world.points[rng.randrange(len(world.points))]
            category_id, area_id = world.categories[rng.randrange(len(world.categories))]
            reporter = rng.choice(world.staff_by_street[street_id])
            age = (now - reported).days
            roll = rng.random()
            if age > 30:
                state = (
                    "closed"
                    if roll < 0.88
                    else "voided"
                    if roll < 0.91
                    else "rectifying"
                    if roll < 0.96
                    else "submitted"
                    if roll < 0.98
                    else "reported"
                )
            elif age > 7:
                state = (
                    "closed"
                    if roll < 0.7
                    else "voided"
                    if roll < 0.73
                    else "rectifying"
                    if roll < 0.88
                    else "submitted"
                    if roll < 0.96
                    else "reported"
                )
            else:
                state = (
                    "closed"
                    if roll < 0.3
                    else "voided"
                    if roll < 0.33
                    else "assigned"
                    if roll < 0.38
                    else "rectifying"
                    if roll < 0.68
                    else "submitted"
                    if roll < 0.83
                    else "reported"
                )
            unit_id = point_department if rng.random() < 0.6 else rng.choice(world.departments).pk
            items = world.items_by_area.get(area_id)
            item_id = rng.choice(items) if items and rng.random() < 0.5 else None
            assigned_at = deadline = submitted_at = submitted_by = closed_at = closed_by = None
            sign_due_at = signed_at = None
            returns = reopens = 0
            event_rows = [(event_id, ticket_id, "log", reporter.pk, reported, "", "reported", "", {})]
            event_id += 1
            photo_rows = [
                (
                    photo_id,
                    ticket_id,
                    event_rows[0][0],
                    "before",
                    files[0][0],
                    files[0][0],
                    320,
                    240,
                    files[0][1],
                    "image/jpeg",
                    "scale.jpg",
                    reporter.pk,
                    reported,
                    reported,  # taken_at: on the spot
                    None,
                    None,
                    *_evidence(rng, files[0][2], None),
                )
            ]
            photo_id += 1
            current = "reported"
            if state == "voided":
                at = later(reported, 1, 12)
                event_rows.append((event_id, ticket_id, "void", sup_a.pk, at, "reported", "voided", "重复登记", {}))
                event_id += 1
                current = "voided"
            elif state != "reported":
                assigned_at = later(reported, 0.5, 24)
                deadline = timezone.localtime(assigned_at).date() + datetime.timedelta(days=rng.randrange(3, 8))
                event_rows.append(
                    (
                        event_id,
                        ticket_id,
                        "assign",
                        sup_a.pk,
                        assigned_at,
                        "reported",
                        "assigned",
                        "",
                        {"unit_id": unit_id, "deadline": deadline.isoformat()},
                    )
                )
                event_id += 1
                current = "assigned"
                sign_due_at = assigned_at + datetime.timedelta(days=1)
                if state != "assigned":
                    signed_at = later(assigned_at, 0.5, 20)
                    liaison = world.liaison_by_unit.get(unit_id, sup_a)
                    event_rows.append(
                        (event_id, ticket_id, "sign", liaison.pk, signed_at, "assigned", "rectifying", "", {})
                    )
                    event_id += 1
                    current = "rectifying"
                fixer = world.liaison_by_unit.get(unit_id, reporter)
                moment = signed_at or assigned_at
                if state in ("submitted", "closed"):
                    rounds = 2 if rng.random() < 0.08 else 1
                    for r in range(rounds):
                        moment = later(moment, 4, 72)
                        event_rows.append(
                            (
                                event_id,
                                ticket_id,
                                "submit_fix",
                                fixer.pk,
                                moment,
                                "rectifying",
                                "submitted",
                                "已整改",
                                {},
                            )
                        )
                        photo_rows.append(
                            (
                                photo_id,
                                ticket_id,
                                event_id,
                                "after",
                                files[1][0],
                                files[1][0],
                                320,
                                240,
                                files[1][1],
                                "image/jpeg",
                                "scale.jpg",
                                fixer.pk,
                                moment,
                                moment,
                                None,
                                None,
                                *_evidence(rng, files[1][2], moment),
                            )
                        )
                        event_id += 1
                        photo_id += 1
                        submitted_at, submitted_by = moment, fixer.pk
                        current = "submitted"
                        if r == 0 and rounds == 2:
                            moment = later(moment, 1, 24)
                            event_rows.append(
                                (
                                    event_id,
                                    ticket_id,
                                    "return",
                                    sup_b.pk,
                                    moment,
                                    "submitted",
                                    "rectifying",
                                    "不到位",
                                    {},
                                )
                            )
                            event_id += 1
                            returns += 1
                            current = "rectifying"
                if state == "closed":
                    moment = later(moment, 1, 48)
                    closer = sup_b if submitted_by != sup_b.pk else sup_a
                    event_rows.append(
                        (event_id, ticket_id, "close_out", closer.pk, moment, "submitted", "closed", "", {})
                    )
                    event_id += 1
                    closed_at, closed_by = moment, closer.pk
                    current = "closed"
                    if age > 20 and rng.random() < 0.02:
                        moment = later(moment, 48, 200)
                        deadline = timezone.localtime(moment).date() + datetime.timedelta(days=3)
                        event_rows.append(
                            (
                                event_id,
                                ticket_id,
                                "reopen",
                                sup_a.pk,
                                moment,
                                "closed",
                                "rectifying",
                                "反弹",
                                {"deadline": deadline.isoformat()},
                            )
                        )
                        event_id += 1
                        reopens += 1
                        closed_at = closed_by = None
                        current = "rectifying"
            tickets.add(
                (
                    ticket_id,
                    f"{world.unit.code}-{period}-{seq:04d}",
                    world.unit.pk,
                    world.campaign.pk,
                    current,
                    point_id,
                    "",
                    street_id,
                    area_id,
                    category_id,
                    DESCRIPTIONS[rng.randrange(len(DESCRIPTIONS))],
                    reporter.pk,
                    reported,
                    None,
                    None,
                    unit_id if assigned_at else None,
                    "责任人" if assigned_at else "",
                    "",
                    deadline,
                    assigned_at,
                    submitted_at,
                    submitted_by,
                    closed_at,
                    closed_by,
                    None,  # inspection_round
                    item_id,
                    returns,
                    reopens,
                    sign_due_at,
                    signed_at,
                    0,  # extensions_used
                    None,  # extension_requested_until
                    None,  # hold_until
                    0,  # escalation_step
                    None,  # yellow_card_at
                    None,  # supervised_at
                    0,  # co_units_count
                    0,  # review_level
                    "[]",  # reviewed_by
                    None,  # next_recheck_on
                    None,  # merged_into
                    event_rows[-1][4],
                )
            )
            chain = ""
            for row in event_rows:
                chain = event_hash(chain, EventRow(*row[1:]))
                events.add((*row, chain))
            for row in photo_rows:
                photos.add(row)
            ticket_id += 1
            generated += 1
            if generated % 100_000 == 0:
                tickets.flush()
                log(f"  {generated:,} tickets")
        sequences.append(LedgerSequence(district=world.unit, period=period, last=count))
    # Tickets first: events and photos point at them.
    tickets.flush()
    events.flush()
    photos.flush()
    for sequence in sequences:
        LedgerSequence.objects.update_or_create(
            district=sequence.district, period=sequence.period, defaults={"last": sequence.last}
        )
    _reset_sequences([Ticket, TicketEvent, TicketPhoto])
    return tickets.total, events.total, photos.total


def generate_reports(worlds, rng):
    today = timezone.localdate()
    rows = []
    for world in worlds:
        duties = list(ReportingDuty.objects.filter(campaign=world.campaign))
        if DailyReport.objects.filter(duty__in=duties).exists():
            continue
        for offset in range(1, 366):
            day = today - datetime.timedelta(days=offset)
            for duty in duties:
                if rng.random() < 0.06:
                    continue
                late = rng.random() < 0.08
                submitted = timezone.make_aware(datetime.datetime.combine(day, datetime.time(18 if late else 16, 0)))
                rows.append(
                    DailyReport(
                        duty=duty,
                        date=day,
                        points_visited=rng.randrange(3, 12),
                        submitted_at=submitted,
                        submitted_by=world.staff_by_street[duty.unit_id][0],
                        is_late=late,
                    )
                )
    DailyReport.objects.bulk_create(rows, batch_size=5000)
    return len(rows)
