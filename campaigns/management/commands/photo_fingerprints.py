from django.core.management.base import BaseCommand

from campaigns.services.photo_evidence import fingerprints_backfill


class Command(BaseCommand):
    help = (
        "Compute the SHA-256 and perceptual hash of every stored photo that has none (photos stored "
        "before issue 18), and look each after-photo up among its district's earlier photos. Safe to "
        "run again; run it once after migrating."
    )

    def handle(self, *args, **options):
        def progress(done: int, total: int) -> None:
            self.stdout.write(f"{done}/{total} photos fingerprinted")

        done = fingerprints_backfill(progress)
        self.stdout.write(f"Done: {done} photos.")
