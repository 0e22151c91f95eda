"""Persistence for foiwatch: models, queries and migrations. Depends on nothing else of ours."""
