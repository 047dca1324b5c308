from django.core.management.base import BaseCommand, CommandError

from campaigns.services.tally import tally_check, tally_rebuild


class Command(BaseCommand):
    help = "Check the ticket rollup counts against a recount, or rebuild them."

    def add_arguments(self, parser):
        parser.add_argument("--rebuild", action="store_true", help="Recount from the tickets and replace the rollup.")

    def handle(self, *args, rebuild, **options):
        if rebuild:
            cells = tally_rebuild()
            self.stdout.write(self.style.SUCCESS(f"Rollup rebuilt: {cells} cells."))
            return
        wrong = tally_check()
        if wrong:
            for key, (stored, counted) in sorted(wrong.items(), key=str)[:50]:
                self.stderr.write(f"{key}: stored {stored}, counted {counted}")
            raise CommandError(f"{len(wrong)} rollup cells disagree with the tickets; run `tally --rebuild`.")
        self.stdout.write(self.style.SUCCESS("Rollup counts agree with the tickets."))
