"""The load test's steps inside Django (run by `manage.py shell`): choose the people, prepare
tickets, check the ledger afterwards. bench/load.py calls them through bench.shell()."""

import json
import random
import sys
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from load_config import CLOSE_PER_SUPERVISOR_SECOND  # noqa: E402


def django_setup(config_path):
    """Pick distinct accounts for the simulated users and queue submitted tickets for the
    supervisors. Writes a JSON plan next to the config."""
    import itertools

    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import make_password
    from django.db.models import Count, Max

    from campaigns import workflow
    from campaigns.models import (
        Campaign,
        CampaignStatus,
        ClosingLevel,
        InspectionPoint,
        Membership,
        OrgUnit,
        PhotoKind,
        ProblemCategory,
        Role,
        Ticket,
        TicketEvent,
        TicketPhoto,
        TicketState,
        UnitKind,
    )
    from devdata.demo import DEMO_PASSWORD
    from devdata.scale import BENCH_PASSWORD

    config = json.loads(Path(config_path).read_text())
    rng = random.Random(config["seed"])
    User = get_user_model()
    bench_hash = make_password(BENCH_PASSWORD)

    def password(username):
        # seed_scale's accounts are bench_*, this script's load_*; seed_demo's have its password.
        return BENCH_PASSWORD if username.startswith(("bench_", "load_")) else DEMO_PASSWORD

    districts = {
        unit.pk: unit
        for unit in OrgUnit.objects.filter(
            kind=UnitKind.DISTRICT, campaigns__status=CampaignStatus.RUNNING, is_active=True
        ).distinct()
    }
    codes = {pk: unit.code for pk, unit in districts.items()}
    taken = set()

    def members(role, unit_filter):
        rows = (
            Membership.objects.filter(role=role, user__is_active=True, **unit_filter)
            .order_by("user__username")
            .values_list("user__username", "unit__district_id", "unit__kind")
        )
        return [row for row in rows if row[0] not in taken]

    def extra_user(username, unit, role):
        user, _ = User.objects.get_or_create(
            username=username, defaults={"first_name": f"压测{username}", "password": bench_hash}
        )
        Membership.objects.get_or_create(user=user, unit=unit, role=role)
        return username

    # Supervisors 销号 in one step only where the campaign closes in one level (铁西区's demo
    # runs 专班复核 → 创卫办销号; the suite tests that chain, the load test the one-step close).
    one_level = set(districts) - set(
        ClosingLevel.objects.filter(campaign__status=CampaignStatus.RUNNING).values_list(
            "campaign__district_id", flat=True
        )
    )
    # Supervisors: where the submitted (and fixable) tickets are, two per district at least
    # where there is work, the rest by D'Hondt on the size of each district's pool.
    pool = dict(
        Ticket.objects.filter(district_id__in=one_level, state__in=[TicketState.SUBMITTED, TicketState.RECTIFYING])
        .values_list("district_id")
        .annotate(n=Count("id"))
        .values_list("district_id", "n")
    )
    sup_count = config["supervisors"]
    per_district = defaultdict(int)
    for _ in range(sup_count):
        best = max(pool, key=lambda d: (pool[d] / (per_district[d] + 1), -d))
        per_district[best] += 1
    supervisors = []  # (username, district_id)
    for district_id, wanted in sorted(per_district.items()):
        real = members(Role.SUPERVISOR, {"unit_id": district_id})
        chosen = [row[0] for row in real[:wanted]]
        for index in itertools.count(1):
            if len(chosen) >= wanted:
                break
            name = f"load_{codes[district_id].lower()}_supervisor{index}"
            if name not in taken and name not in chosen:
                chosen.append(extra_user(name, districts[district_id], Role.SUPERVISOR))
        taken.update(chosen)
        supervisors += [(name, district_id) for name in chosen]

    # Enough submitted tickets for them: the seed's, topped up through the workflow verb.
    sup_ids = dict(User.objects.filter(username__in=[s[0] for s in supervisors]).values_list("username", "id"))
    sup_pks = set(sup_ids.values())
    after_photo = (
        TicketPhoto.objects.filter(kind=PhotoKind.AFTER)
        .exclude(image="")
        .values_list("image", "size", "width", "height")
        .first()
    )
    topped_up, queues = 0, {}
    for district_id, count in sorted(per_district.items()):
        wanted = int(count * config["seconds"] * CLOSE_PER_SUPERVISOR_SECOND)
        ready = list(
            Ticket.objects.filter(district_id=district_id, state=TicketState.SUBMITTED)
            .exclude(fix_submitted_by_id__in=sup_pks)
            .order_by("fix_submitted_at", "id")
            .values_list("number", flat=True)
        )
        short = wanted - len(ready)
        if short > 0:
            for ticket in (
                Ticket.objects.filter(district_id=district_id, state=TicketState.RECTIFYING)
                .select_related("responsible_unit")
                .order_by("deadline", "id")[:short]
            ):
                fixer = _fixer_for(Membership, Role, ticket.responsible_unit)
                if fixer is None:
                    continue
                photo = TicketPhoto.objects.create(
                    kind=PhotoKind.AFTER,
                    uploaded_by=fixer,
                    image=after_photo[0],
                    size=after_photo[1],
                    width=after_photo[2],
                    height=after_photo[3],
                    content_type="image/jpeg",
                    original_name="fix.jpg",
                )
                workflow.ticket_submit_fix(ticket=ticket, actor=fixer, note="已整改（压测准备）", photos=[photo])
                ready.append(ticket.number)
                topped_up += 1
        rng.shuffle(ready)
        queues[codes[district_id]] = ready

    def district_lists(district_id):
        points = list(
            InspectionPoint.objects.filter(district_id=district_id, is_active=True).values_list("id", flat=True)
        )
        campaign = (
            Campaign.objects.filter(district_id=district_id, status=CampaignStatus.RUNNING)
            .order_by("-start_date")
            .first()
        )
        categories = list(
            ProblemCategory.objects.filter(campaign=campaign, is_active=True).values_list("id", flat=True)
        )
        return points, categories

    # Staff: street members (网格员, liaisons) spread over the districts, each logging in their own.
    by_district = defaultdict(list)
    for username, district_id, _kind in members(Role.STAFF, {"unit__kind__in": [UnitKind.STREET, UnitKind.TOWNSHIP]}):
        if district_id in districts:
            by_district[district_id].append(username)
    order = sorted(by_district, key=lambda d: codes[d])
    staff = []
    for round_ in itertools.count():
        if len(staff) >= config["staff"] or not any(len(by_district[d]) > round_ for d in order):
            break
        for district_id in order:
            if len(staff) < config["staff"] and len(by_district[district_id]) > round_:
                staff.append((by_district[district_id][round_], district_id))
    for index in itertools.count(1):
        if len(staff) >= config["staff"]:
            break
        district_id = order[index % len(order)]
        street = OrgUnit.objects.filter(district_id=district_id, kind=UnitKind.STREET).order_by("id").first()
        staff.append((extra_user(f"load_{codes[district_id].lower()}_staff{index}", street, Role.STAFF), district_id))
    taken.update(name for name, _ in staff)

    # Viewers: city admins first (the city overview), then district admins and leaders.
    viewers = []
    for username, _city, _kind in members(Role.ADMIN, {"unit__kind": UnitKind.CITY}):
        if len(viewers) < config["viewers"]:
            viewers.append((username, None))
    by_district = defaultdict(list)
    for role in (Role.ADMIN, Role.LEADER):
        for username, district_id, _kind in members(role, {"unit__kind": UnitKind.DISTRICT}):
            if district_id in districts and username not in taken:
                by_district[district_id].append(username)
    order = sorted(by_district, key=lambda d: codes[d])
    for round_ in range(max(map(len, by_district.values()), default=0)):
        for district_id in order:
            if len(viewers) < config["viewers"] and len(by_district[district_id]) > round_:
                viewers.append((by_district[district_id][round_], district_id))
    for index in itertools.count(1):
        if len(viewers) >= config["viewers"]:
            break
        district_id = order[index % len(order)]
        viewers.append(
            (
                extra_user(f"load_{codes[district_id].lower()}_leader{index}", districts[district_id], Role.LEADER),
                district_id,
            )
        )

    lists = {district_id: district_lists(district_id) for district_id in districts}
    city_districts = defaultdict(list)
    for unit in districts.values():
        city_districts[unit.parent_id].append(unit.code)
    users = []
    for username, district_id in staff:
        points, categories = lists[district_id]
        users.append(
            {
                "username": username,
                "kind": "staff",
                "district": codes[district_id],
                "points": points,
                "categories": categories,
            }
        )
    for username, district_id in supervisors:
        users.append({"username": username, "kind": "supervisor", "district": codes[district_id]})
    city_of = dict(
        Membership.objects.filter(role=Role.ADMIN, unit__kind=UnitKind.CITY).values_list("user__username", "unit_id")
    )
    for username, district_id in viewers:
        if district_id is None:
            users.append({"username": username, "kind": "city", "boards": sorted(city_districts[city_of[username]])})
        else:
            users.append({"username": username, "kind": "viewer", "district": codes[district_id]})
    for user in users:
        user["password"] = password(user["username"])
    plan = {
        "users": users,
        "queues": queues,
        "topped_up": topped_up,
        "baseline": {
            "ticket_id": Ticket.objects.aggregate(m=Max("id"))["m"] or 0,
            "event_id": TicketEvent.objects.aggregate(m=Max("id"))["m"] or 0,
            "tickets": Ticket.objects.count(),
            "submitted": Ticket.objects.filter(state=TicketState.SUBMITTED).count(),
        },
    }
    Path(config["plan"]).write_text(json.dumps(plan, ensure_ascii=False))
    print("ok")


def _fixer_for(Membership, Role, unit):
    """Who submits the fix: a staff member of the responsible unit, or of its street."""
    if unit is None:
        return None
    for unit_id in filter(None, [unit.pk, unit.street_id]):
        membership = (
            Membership.objects.filter(unit_id=unit_id, role=Role.STAFF).select_related("user").order_by("id").first()
        )
        if membership is not None:
            return membership.user
    return None


def django_check(path):
    """The ledger after the run, against what the clients were told. Writes a JSON verdict."""
    from django.db.models import Count

    from campaigns.models import PhotoKind, Ticket, TicketAction, TicketEvent, TicketPhoto, TicketState

    data = json.loads(Path(path).read_text())
    base_ticket, base_event = data["baseline"]["ticket_id"], data["baseline"]["event_id"]
    logged = set(data["logged"])
    closed = {number: username for number, username in data["closed"]}
    checks = []

    def check(name, ok, detail=""):
        checks.append({"name": name, "ok": bool(ok), "detail": detail})

    created = dict(Ticket.objects.filter(id__gt=base_ticket).values_list("number", "id"))
    check(
        "tickets created during the run = successful log POSTs",
        len(created) == len(logged) and set(created) == logged,
        f"{len(created)} created, {len(logged)} log POSTs answered with a ticket number"
        + _diff(set(created), logged, "created but not reported to a client", "reported but not in the database"),
    )
    events = list(
        TicketEvent.objects.filter(id__gt=base_event).values_list(
            "ticket_id", "action", "actor__username", "ticket__number"
        )
    )
    log_events = defaultdict(int)
    for ticket_id, action, _actor, _number in events:
        if action == TicketAction.LOG:
            log_events[ticket_id] += 1
    wrong_logs = [number for number, pk in created.items() if log_events.get(pk) != 1]
    check(
        "each created ticket has exactly one log event",
        not wrong_logs and set(log_events) <= set(created.values()),
        f"{sum(log_events.values())} log events for {len(created)} tickets"
        + (f"; wrong: {sorted(wrong_logs)[:10]}" if wrong_logs else ""),
    )
    extra = Ticket.objects.filter(id__in=created.values()).exclude(state=TicketState.REPORTED).count()
    other_events = TicketEvent.objects.filter(ticket_id__in=created.values()).exclude(action=TicketAction.LOG).count()
    check(
        "created tickets are 已登记 with no other events (the form assigns nobody)",
        extra == 0 and other_events == 0,
        f"{extra} not reported, {other_events} other events",
    )
    photos = dict(
        TicketPhoto.objects.filter(ticket_id__in=created.values(), kind=PhotoKind.BEFORE)
        .values_list("ticket_id")
        .annotate(n=Count("id"))
        .values_list("ticket_id", "n")
    )
    check(
        "each created ticket has its one before-photo",
        all(photos.get(pk) == 1 for pk in created.values()),
        f"{sum(photos.values())} photos on {len(created)} tickets",
    )
    close_events = [(number, actor) for _t, action, actor, number in events if action == TicketAction.CLOSE_OUT]
    per_ticket = defaultdict(int)
    for number, _actor in close_events:
        per_ticket[number] += 1
    check(
        "close_out events written = successful 销号",
        len(close_events) == len(closed) and set(per_ticket) == set(closed),
        f"{len(close_events)} close_out events, {len(closed)} 销号 answered with success"
        + _diff(set(per_ticket), set(closed), "closed but not reported", "reported but no event"),
    )
    twice = sorted(number for number, n in per_ticket.items() if n > 1)
    check("no ticket closed twice", not twice, f"{len(twice)} closed twice {twice[:10]}" if twice else "")
    wrong_actor = [number for number, actor in close_events if closed.get(number) not in (None, actor)]
    check(
        "each close_out event names the supervisor who was told it succeeded",
        not wrong_actor,
        f"{len(wrong_actor)} differ {wrong_actor[:10]}" if wrong_actor else "",
    )
    states = dict(
        Ticket.objects.filter(number__in=list(closed))
        .values_list("state")
        .annotate(n=Count("id"))
        .values_list("state", "n")
    )
    check(
        "every ticket closed in the run is 已销号",
        states.get(TicketState.CLOSED, 0) == len(closed) and len(states) <= 1,
        ", ".join(f"{state}: {n}" for state, n in sorted(states.items())),
    )
    unexpected = sorted({action for _t, action, _a, _n in events} - {TicketAction.LOG, TicketAction.CLOSE_OUT})
    check("no other events were written during the run", not unexpected, ", ".join(unexpected))
    Path(data["verdict"]).write_text(json.dumps(checks, ensure_ascii=False))
    print("ok")


def _diff(found, reported, found_label, reported_label):
    parts = []
    if found - reported:
        parts.append(f"{len(found - reported)} {found_label} {sorted(found - reported)[:10]}")
    if reported - found:
        parts.append(f"{len(reported - found)} {reported_label} {sorted(reported - found)[:10]}")
    return ("; " + "; ".join(parts)) if parts else ""
