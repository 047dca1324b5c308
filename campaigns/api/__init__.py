"""The ledger's API for other systems (issue 19): /api/v1/ (v1.py) and Open311 GeoReport v2
(open311.py). A door like the pages: it authorises with campaigns.access and acts through
campaigns.workflow, nothing else."""
