from django.core.management.base import BaseCommand, CommandError

from campaigns.models import OrgUnit, UnitKind
from campaigns.services.ledger_chain import ledger_verify


class Command(BaseCommand):
    help = "Verify that every ticket event of a district still chains to the one before it."

    def add_arguments(self, parser):
        parser.add_argument("--district", help="District code; all districts when left out")

    def handle(self, *args, district=None, **options):
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
        if broken:
            raise CommandError("The ledger has been changed outside the application.")
