"""The ledger's forms, one module per part of the site (tickets, checklist, points, setup …)."""
