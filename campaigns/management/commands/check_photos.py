"""Does every stored file the ledger refers to still exist? Run after restoring a backup.

A ticket's photos are the evidence behind a 销号; a database restored without its media (or
from a different day than the media) would show broken evidence only when someone opens
it. This walks every ticket photo and checklist evidence file through the storage API (local
disk or S3 alike) and names what is missing, by ledger number.
"""

from django.core.files.storage import default_storage
from django.core.management.base import BaseCommand, CommandError

from campaigns.models import ChecklistEvidence, OrgUnit, TicketPhoto, UnitKind


class Command(BaseCommand):
    help = "Check that every photo and evidence file referred to by the ledger exists in storage."

    def add_arguments(self, parser):
        parser.add_argument("--district", help="District code; all districts when left out")
        parser.add_argument("--limit", type=int, default=50, help="How many missing files to list (default 50)")

    def handle(self, *args, district=None, limit=50, **options):
        photos = TicketPhoto.objects.filter(ticket__isnull=False)
        evidence = ChecklistEvidence.objects.all()
        if district:
            unit = OrgUnit.objects.filter(kind=UnitKind.DISTRICT, code=district.upper()).first()
            if unit is None:
                raise CommandError(f"No district with code {district!r}.")
            photos = photos.filter(ticket__district=unit)
            evidence = evidence.filter(item__campaign__district=unit)

        checked, missing, thumbs_missing = 0, [], 0
        rows = photos.order_by("id").values_list("id", "ticket__number", "image", "thumbnail")
        for pk, number, image, thumbnail in rows.iterator(chunk_size=5000):
            checked += 1
            if not image or not default_storage.exists(image):
                missing.append(f"{number}: photo {pk} ({image or 'no file name'})")
            if thumbnail and not default_storage.exists(thumbnail):
                thumbs_missing += 1  # a small copy; the original stands in for it
        for pk, name in evidence.order_by("id").values_list("id", "file").iterator(chunk_size=5000):
            checked += 1
            if not name or not default_storage.exists(name):
                missing.append(f"evidence {pk} ({name or 'no file name'})")

        for line in missing[:limit]:
            self.stderr.write(f"missing: {line}")
        if len(missing) > limit:
            self.stderr.write(f"… and {len(missing) - limit} more.")
        if thumbs_missing:
            self.stdout.write(f"{thumbs_missing} small copies are missing; the originals are shown instead.")
        if missing:
            raise CommandError(f"{len(missing)} of {checked} files are missing from storage.")
        self.stdout.write(f"{checked} files checked, every one present.")
