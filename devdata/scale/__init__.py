"""A province-sized ledger for benchmarks: 10 districts in 2 cities, a year of tickets.

Structure (units, people, campaigns, checklists) goes through the ORM; tickets, events and
photo records are written with PostgreSQL's COPY in chunks (executemany elsewhere), so a
million tickets with their four-odd events each take minutes, not hours. Everything comes
from one seeded random generator: the same seed gives the same ledger.
"""

import random

from django.contrib.auth.hashers import make_password
from django.db import connection, transaction

from campaigns.models import Ticket
from campaigns.services.tally import tally_rebuild

from .constants import BENCH_PASSWORD
from .structure import build_structure
from .tickets import generate_reports, generate_tickets

__all__ = ["BENCH_PASSWORD", "seed_scale"]


def seed_scale(*, tickets, seed=6, log=print):
    rng = random.Random(seed)  # nosec B311 # made-up demo data, repeatable by seed
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
