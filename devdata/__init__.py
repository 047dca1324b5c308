"""Data for development and benchmarks: the demo city and the province-sized ledger.

Nothing in the ledger imports this app; it writes through the domain's models and services.
"""
