"""Accounts: users, their API tokens and dashboard sessions, and who a request acts as (routes, service, schemas)."""
