"""The earliest 复查 still to do, kept on the ticket (read on every ticket page)."""

from django.db import migrations, models
from django.db.models import Min


def fill(apps, schema_editor):
    Recheck = apps.get_model("campaigns", "Recheck")
    Ticket = apps.get_model("campaigns", "Ticket")
    pending = (
        Recheck.objects.filter(result="", cancelled=False, ticket__state="closed")
        .values("ticket_id")
        .annotate(first=Min("due_on"))
    )
    for row in pending.iterator():
        Ticket.objects.filter(pk=row["ticket_id"]).update(next_recheck_on=row["first"])


class Migration(migrations.Migration):
    dependencies = [
        ("campaigns", "0025_chain_notifications"),
    ]

    operations = [
        migrations.AddField(
            model_name="ticket",
            name="next_recheck_on",
            field=models.DateField(blank=True, null=True, verbose_name="下次复查日期"),
        ),
        migrations.RunPython(fill, migrations.RunPython.noop),
    ]
