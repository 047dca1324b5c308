from django.core.management.base import BaseCommand, CommandError

from campaigns.models import OrgUnit, UnitKind
from campaigns.services.ledger_chain import files_verify, ledger_verify


class Command(BaseCommand):
    help = "Verify that every ticket event of a district still chains to the one before it."

    def add_arguments(self, parser):
        parser.add_argument("--district", help="District code; all districts when left out")
        parser.add_argument(
            "--no-files", action="store_true", help="Check the event chains only, not the photo files' SHA-256"
        )

    def handle(self, *args, district=None, no_files=False, **options):
        districts = OrgUnit.objects.filter(kind=UnitKind.DISTRICT).order_by("code")
        if district:
            districts = districts.filter(code=district.upper())
            if not districts.exists():
                raise CommandError(f"No district with code {district!r}.")
        broken = False
        for unit in districts:
            checked, link = ledger_verify(unit)
            if link:
                broken = True
                self.stderr.write(
                    f"{unit.code}: chain broken at {link.ticket_number}, event {link.event_id} ({link.action}): "
                    f"{link.reason}; {checked} events checked up to there."
                )
            else:
                self.stdout.write(f"{unit.code}: {checked} events, every chain intact.")
            if no_files:
                continue
            files, swapped = files_verify(unit)
            for bad in swapped:
                broken = True
                self.stderr.write(f"{unit.code}: {bad.ticket_number}, photo {bad.photo_id}: {bad.reason}")
            if not swapped:
                self.stdout.write(f"{unit.code}: {files} photo files, each as recorded.")
        if broken:
            raise CommandError("The ledger has been changed outside the application.")
