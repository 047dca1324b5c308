import time

from django.core.management.base import BaseCommand

from devdata.scale import BENCH_PASSWORD, seed_scale


class Command(BaseCommand):
    help = "Seed a province-sized ledger for benchmarks (10 districts, 2 cities, a year of tickets)."

    def add_arguments(self, parser):
        parser.add_argument("--tickets", type=int, default=1_000_000)
        parser.add_argument("--seed", type=int, default=6)

    def handle(self, *args, tickets, seed, **options):
        started = time.monotonic()
        seed_scale(tickets=tickets, seed=seed, log=lambda line: self.stdout.write(line))
        self.stdout.write(
            self.style.SUCCESS(f"seed_scale finished in {time.monotonic() - started:.0f} s; password {BENCH_PASSWORD}")
        )
