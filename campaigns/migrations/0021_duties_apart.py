"""三权分立 in the database: no account holds a system duty and a ledger membership at once.

The services and forms refuse it with a message; these triggers refuse it for every other
writer (the shell, a raw UPDATE, a forgotten path). Each side has one: a membership for an
account with a duty, and a duty for an account with a membership.
"""

from django.conf import settings
from django.db import migrations

MESSAGE = "三权分立：担任系统职责的账号不能同时担任单位角色 (duties apart)"

# PostgreSQL: both triggers first lock the account's user row, so two transactions that each
# add one half (a role here, a duty there) wait for each other and the second sees the first.
POSTGRES = """
CREATE OR REPLACE FUNCTION ledger_duties_apart() RETURNS trigger AS $$
BEGIN
    PERFORM 1 FROM {user_table} WHERE id = NEW.user_id FOR NO KEY UPDATE;
    IF TG_TABLE_NAME = 'campaigns_membership' THEN
        IF EXISTS (SELECT 1 FROM campaigns_accountprofile WHERE user_id = NEW.user_id AND duty <> '') THEN
            RAISE EXCEPTION '{message}: user % holds a duty', NEW.user_id USING ERRCODE = 'check_violation';
        END IF;
    ELSIF NEW.duty <> '' AND EXISTS (SELECT 1 FROM campaigns_membership WHERE user_id = NEW.user_id) THEN
        RAISE EXCEPTION '{message}: user % holds a ledger role', NEW.user_id USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
DROP TRIGGER IF EXISTS membership_duties_apart ON campaigns_membership;
CREATE TRIGGER membership_duties_apart BEFORE INSERT OR UPDATE OF user_id ON campaigns_membership
    FOR EACH ROW EXECUTE FUNCTION ledger_duties_apart();
DROP TRIGGER IF EXISTS profile_duties_apart ON campaigns_accountprofile;
CREATE TRIGGER profile_duties_apart BEFORE INSERT OR UPDATE OF duty, user_id ON campaigns_accountprofile
    FOR EACH ROW EXECUTE FUNCTION ledger_duties_apart();
"""
POSTGRES_DROP = """
DROP TRIGGER IF EXISTS membership_duties_apart ON campaigns_membership;
DROP TRIGGER IF EXISTS profile_duties_apart ON campaigns_accountprofile;
DROP FUNCTION IF EXISTS ledger_duties_apart();
"""

# SQLite runs one statement per execute and serialises writers, so no lock is needed. A later
# migration that rebuilds either table on SQLite (Django's remake drops the old table with its
# triggers) must create these again; tests/test_duties_apart.py fails if it does not.
MEMBERSHIP_WHEN = "EXISTS (SELECT 1 FROM campaigns_accountprofile WHERE user_id = NEW.user_id AND duty <> '')"
PROFILE_WHEN = "NEW.duty <> '' AND EXISTS (SELECT 1 FROM campaigns_membership WHERE user_id = NEW.user_id)"
SQLITE = [
    (name, f"CREATE TRIGGER {name} BEFORE {event} ON {table} WHEN {when} BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END")
    for name, event, table, when in (
        ("membership_duties_apart_insert", "INSERT", "campaigns_membership", MEMBERSHIP_WHEN),
        ("membership_duties_apart_update", "UPDATE OF user_id", "campaigns_membership", MEMBERSHIP_WHEN),
        ("profile_duties_apart_insert", "INSERT", "campaigns_accountprofile", PROFILE_WHEN),
        ("profile_duties_apart_update", "UPDATE OF duty, user_id", "campaigns_accountprofile", PROFILE_WHEN),
    )
]


def _both_held(apps):
    AccountProfile = apps.get_model("campaigns", "AccountProfile")
    Membership = apps.get_model("campaigns", "Membership")
    holders = AccountProfile.objects.exclude(duty="").values_list("user_id", flat=True)
    return sorted(
        Membership.objects.filter(user_id__in=holders).values_list("user__username", flat=True).distinct()
    )


def guard(apps, schema_editor):
    both = _both_held(apps)
    if both:
        # Which half to take away is a person's decision (and an audited one), not a migration's.
        raise RuntimeError(
            "These accounts hold a system duty and a ledger role at once (三权分立): "
            f"{', '.join(both)}. Remove the duty or the roles on /security/accounts/, then migrate again."
        )
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        user_table = schema_editor.quote_name(apps.get_model(settings.AUTH_USER_MODEL)._meta.db_table)
        # The % in RAISE is not a placeholder: no params.
        schema_editor.execute(POSTGRES.format(user_table=user_table, message=MESSAGE), params=None)
    elif vendor == "sqlite":
        for name, create in SQLITE:
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {name}", params=None)
            schema_editor.execute(create, params=None)


def unguard(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(POSTGRES_DROP, params=None)
    elif vendor == "sqlite":
        for name, _create in SQLITE:
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {name}", params=None)


class Migration(migrations.Migration):
    dependencies = [
        ("campaigns", "0020_holiday_schedule"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [migrations.RunPython(guard, unguard)]
