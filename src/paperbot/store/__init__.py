"""Persistence: typed tables, migrations, and the queries the stages need."""
