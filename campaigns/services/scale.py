"""A province-sized ledger for benchmarks: 10 districts in 2 cities, a year of tickets.

Structure (units, people, campaigns, checklists) goes through the ORM; tickets, events and
photo records are written with PostgreSQL's COPY in chunks (executemany elsewhere), so a
million tickets with their four-odd events each take minutes, not hours. Everything comes
from one seeded random generator: the same seed gives the same ledger.
"""

import datetime
import io
import json
import random
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection, transaction
from django.utils import timezone
from PIL import Image

from campaigns.models import (
    Campaign,
    CampaignKind,
    CampaignStatus,
    ChecklistItem,
    DailyReport,
    InspectionPoint,
    LedgerSequence,
    Membership,
    OrgUnit,
    ProblemCategory,
    ReportingDuty,
    ReportSchedule,
    Role,
    Ticket,
    TicketEvent,
    TicketPhoto,
    UnitKind,
)
from campaigns.services.checklist import checklist_apply_standard
from campaigns.services.standard import campaign_apply_standard, point_types_ensure
from campaigns.services.tally import tally_rebuild

BENCH_PASSWORD = "Bench@2026"
CITIES = [
    ("吉林市", "JL", [("船营区", "CY"), ("昌邑区", "CH"), ("龙潭区", "LT"), ("丰满区", "FM"), ("高新区", "GX")]),
    ("通化市", "TH", [("东昌区", "DC"), ("二道江区", "ED"), ("梅河口市", "MH"), ("集安市", "JA"), ("柳河县", "LH")]),
]
# The busiest district carries a third of the load; its last full month is the big one.
DISTRICT_WEIGHTS = [0.35, 0.1, 0.08, 0.07, 0.05, 0.1, 0.08, 0.07, 0.05, 0.05]
DEPARTMENTS = ["区卫健局", "区执法局", "区民政局", "区环卫处", "区市场监管局", "区教育局", "区住建局", "区交通局"]
DESCRIPTIONS = [
    "垃圾桶满溢，周边散落生活垃圾",
    "背街小巷堆放杂物，有卫生死角",
    "墙面张贴小广告",
    "商户占道经营",
    "餐饮店后厨未安装挡鼠板",
    "工地围挡破损，渣土未覆盖",
    "公厕有异味，设施损坏",
    "非机动车乱停乱放",
    "绿化带内有垃圾",
    "积水容器有蚊虫孳生",
]
NOW_SLACK = datetime.timedelta(minutes=5)


@dataclass
class DistrictWorld:
    unit: OrgUnit
    campaign: Campaign
    streets: list
    departments: list
    points: list  # (id, street_id, responsible_department_id)
    categories: list  # (id, area_id)
    items_by_area: dict
    staff_by_street: dict
    liaison_by_unit: dict
    supervisors: list
    admin: object
    events: int = 0
    extra: dict = field(default_factory=dict)


class CopyWriter:
    """Rows into one table, flushed in chunks: COPY on PostgreSQL, executemany elsewhere."""

    def __init__(self, model, chunk=50_000):
        self.table = model._meta.db_table
        self.columns = [f.column for f in model._meta.concrete_fields]
        self.rows = []
        self.chunk = chunk
        self.total = 0

    def add(self, row):
        self.rows.append(row)
        if len(self.rows) >= self.chunk:
            self.flush()

    def flush(self):
        if not self.rows:
            return
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                buffer = io.StringIO()
                for row in self.rows:
                    buffer.write("\t".join(_copy_value(value) for value in row))
                    buffer.write("\n")
                buffer.seek(0)
                cursor.copy_expert(f"COPY {self.table} ({', '.join(self.columns)}) FROM STDIN", buffer)
            else:
                marks = ", ".join(["%s"] * len(self.columns))
                cursor.executemany(
                    f"INSERT INTO {self.table} ({', '.join(self.columns)}) VALUES ({marks})",
                    [[_db_value(value) for value in row] for row in self.rows],
                )
        self.total += len(self.rows)
        self.rows = []


def _copy_value(value):
    if value is None:
        return "\\N"
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, (datetime.datetime, datetime.date)):
        return value.isoformat()
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def _db_value(value):
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, datetime.datetime):
        return value.isoformat()
    return value


def _next_id(model):
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {model._meta.db_table}")
        return cursor.fetchone()[0] + 1


def _reset_sequences(models):
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        for model in models:
            table = model._meta.db_table
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), COALESCE((SELECT MAX(id) FROM {table}), 1))"
            )


def _photo_files():
    files = []
    for index, color in enumerate([(130, 100, 80), (80, 140, 110)]):
        out = io.BytesIO()
        Image.new("RGB", (320, 240), color).save(out, "JPEG", quality=60)
        name = default_storage.save(f"photos/scale/{index}.jpg", ContentFile(out.getvalue()))
        files.append((name, len(out.getvalue())))
    return files


def _user(username, name, password_hash, is_staff=False):
    user, _ = get_user_model().objects.get_or_create(
        username=username, defaults={"first_name": name, "password": password_hash, "is_staff": is_staff}
    )
    return user


def build_structure(rng, password_hash, log):
    """Cities, districts, units, people, campaigns, checklists and reporting duties."""
    types = point_types_ensure()
    worlds = []
    for city_name, city_code, districts in CITIES:
        city, _ = OrgUnit.objects.get_or_create(
            parent=None, name=city_name, defaults={"kind": UnitKind.CITY, "code": city_code}
        )
        city_admin = _user(f"bench_city_{city_code.lower()}", f"{city_name}创卫办", password_hash, True)
        Membership.objects.get_or_create(user=city_admin, unit=city, role=Role.ADMIN)
        for name, code in districts:
            district = OrgUnit.objects.filter(kind=UnitKind.DISTRICT, code=code).first()
            if district is None:
                district = OrgUnit(name=name, kind=UnitKind.DISTRICT, code=code, parent=city)
                district.save()
            prefix = f"bench_{code.lower()}"
            streets = []
            for s in range(5):
                street, _ = OrgUnit.objects.get_or_create(
                    parent=district, name=f"{name}第{s + 1}街道", defaults={"kind": UnitKind.STREET, "order": s}
                )
                streets.append(street)
                for c in range(4):
                    OrgUnit.objects.get_or_create(
                        parent=street, name=f"{street.name}{c + 1}社区", defaults={"kind": UnitKind.COMMUNITY}
                    )
            departments = []
            for d, dept_name in enumerate(DEPARTMENTS):
                dept, _ = OrgUnit.objects.get_or_create(
                    parent=district, name=dept_name, defaults={"kind": UnitKind.DEPARTMENT, "order": d}
                )
                departments.append(dept)
            admin = _user(f"{prefix}_admin", f"{name}管理员", password_hash, True)
            Membership.objects.get_or_create(user=admin, unit=district, role=Role.ADMIN)
            supervisors = []
            for i in range(2):
                sup = _user(f"{prefix}_supervisor{i + 1}", f"{name}督导{i + 1}", password_hash)
                Membership.objects.get_or_create(user=sup, unit=district, role=Role.SUPERVISOR)
                supervisors.append(sup)
            leader = _user(f"{prefix}_leader", f"{name}领导", password_hash)
            Membership.objects.get_or_create(user=leader, unit=district, role=Role.LEADER)
            staff_by_street = {}
            for s, street in enumerate(streets):
                people = []
                for i in range(3):
                    user = _user(f"{prefix}_staff{s + 1}_{i + 1}", f"{street.name}网格员{i + 1}", password_hash)
                    Membership.objects.get_or_create(user=user, unit=street, role=Role.STAFF)
                    people.append(user)
                staff_by_street[street.pk] = people
            liaison_by_unit = {}
            for d, dept in enumerate(departments):
                user = _user(f"{prefix}_unit{d + 1}", f"{dept.name}联络员", password_hash)
                Membership.objects.get_or_create(user=user, unit=dept, role=Role.STAFF)
                liaison_by_unit[dept.pk] = user
            for street in streets:
                liaison_by_unit[street.pk] = staff_by_street[street.pk][0]
            today = timezone.localdate()
            campaign, created = Campaign.objects.get_or_create(
                district=district,
                name=f"{name}巩固国家卫生城市行动",
                defaults={
                    "kind": CampaignKind.CONSOLIDATE,
                    "status": CampaignStatus.RUNNING,
                    "start_date": today - datetime.timedelta(days=400),
                    "inspection_date": today + datetime.timedelta(days=60),
                },
            )
            campaign_apply_standard(campaign)
            checklist_apply_standard(campaign=campaign, actor=admin)
            ReportSchedule.objects.get_or_create(campaign=campaign)
            for street in streets:
                ReportingDuty.objects.get_or_create(
                    campaign=campaign, unit=street, defaults={"since": campaign.start_date}
                )
            points = []
            existing = list(
                InspectionPoint.objects.filter(district=district).values_list(
                    "id", "street_id", "responsible_department_id"
                )
            )
            if existing:
                points = existing
            else:
                for p in range(50):
                    street = streets[p % len(streets)]
                    point = InspectionPoint(
                        unit=street,
                        point_type=types[p % len(types)],
                        name=f"{street.name}点位{p + 1}",
                        address=f"{street.name}{p + 1}号",
                        responsible_department=departments[p % len(departments)],
                    )
                    point.save()
                    points.append((point.pk, street.pk, point.responsible_department_id))
            categories = list(ProblemCategory.objects.filter(campaign=campaign).values_list("id", "area_id"))
            items_by_area = {}
            for item_id, area_id in ChecklistItem.objects.filter(campaign=campaign).values_list("id", "area_id"):
                items_by_area.setdefault(area_id, []).append(item_id)
            worlds.append(
                DistrictWorld(
                    unit=district,
                    campaign=campaign,
                    streets=streets,
                    departments=departments,
                    points=points,
                    categories=categories,
                    items_by_area=items_by_area,
                    staff_by_street=staff_by_street,
                    liaison_by_unit=liaison_by_unit,
                    supervisors=supervisors,
                    admin=admin,
                )
            )
            log(f"  {name} ({code}) ready")
    return worlds


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
                        "rectifying",
                        "",
                        {"unit_id": unit_id, "deadline": deadline.isoformat()},
                    )
                )
                event_id += 1
                current = "rectifying"
                fixer = world.liaison_by_unit.get(unit_id, reporter)
                moment = assigned_at
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
                    item_id,
                    returns,
                    reopens,
                    event_rows[-1][4],
                )
            )
            for row in event_rows:
                events.add(row)
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


def seed_scale(*, tickets, seed=6, log=print):
    rng = random.Random(seed)
    password_hash = make_password(BENCH_PASSWORD)
    log("structure …")
    with transaction.atomic():
        worlds = build_structure(rng, password_hash, log)
    existing = Ticket.objects.filter(district__in=[w.unit for w in worlds]).count()
    if existing:
        log(f"{existing:,} tickets already there; not generating more.")
        return existing
    log(f"tickets: {tickets:,} …")
    with transaction.atomic():
        counts = generate_tickets(worlds, tickets, rng, log)
        reports = generate_reports(worlds, rng)
    log("rollup counts …")
    tally_rebuild([world.unit.pk for world in worlds])
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    log(f"done: {counts[0]:,} tickets, {counts[1]:,} events, {counts[2]:,} photos, {reports:,} daily reports")
    return counts[0]
