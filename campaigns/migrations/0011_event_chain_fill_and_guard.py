"""Link every existing event into its ticket's chain, then let PostgreSQL refuse rewrites."""

from django.db import migrations

GUARD = """
CREATE OR REPLACE FUNCTION ledger_refuse_rewrite() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'the ledger is append-only: % on % refused', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
DROP TRIGGER IF EXISTS ticketevent_append_only ON campaigns_ticketevent;
CREATE TRIGGER ticketevent_append_only BEFORE UPDATE OR DELETE ON campaigns_ticketevent
    FOR EACH ROW EXECUTE FUNCTION ledger_refuse_rewrite();
DROP TRIGGER IF EXISTS ticket_never_deleted ON campaigns_ticket;
CREATE TRIGGER ticket_never_deleted BEFORE DELETE ON campaigns_ticket
    FOR EACH ROW EXECUTE FUNCTION ledger_refuse_rewrite();
"""
UNGUARD = """
DROP TRIGGER IF EXISTS ticketevent_append_only ON campaigns_ticketevent;
DROP TRIGGER IF EXISTS ticket_never_deleted ON campaigns_ticket;
DROP FUNCTION IF EXISTS ledger_refuse_rewrite();
"""


def fill(apps, schema_editor):
    from campaigns.models.ticket import event_hash

    TicketEvent = apps.get_model("campaigns", "TicketEvent")
    previous_ticket, previous_hash, batch = None, "", []
    for event in TicketEvent.objects.order_by("ticket_id", "id").iterator(chunk_size=5000):
        if event.ticket_id != previous_ticket:
            previous_ticket, previous_hash = event.ticket_id, ""
        previous_hash = event_hash(previous_hash, event)
        event.chain_hash = previous_hash
        batch.append(event)
        if len(batch) >= 5000:
            TicketEvent.objects.bulk_update(batch, ["chain_hash"])
            batch = []
    if batch:
        TicketEvent.objects.bulk_update(batch, ["chain_hash"])


def guard(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(GUARD, params=None)  # the % in RAISE is not a placeholder


def unguard(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(UNGUARD, params=None)


class Migration(migrations.Migration):
    dependencies = [("campaigns", "0010_event_chain")]

    operations = [
        migrations.RunPython(fill, migrations.RunPython.noop),
        migrations.RunPython(guard, unguard),
    ]
