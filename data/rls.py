"""PostgreSQL row-level security: the policy every site-owned table gets, and the app role's grants.

Policies read two per-transaction settings written by data.db.apply_scope: app.site_ids (a comma
list) and app.all_sites ('on' for system jobs). Migrations call these helpers, so a table added
later gets the same policy by calling enable_site_rls in its migration.
"""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.engine import Connection

_VISIBLE = (
    "(coalesce(current_setting('app.all_sites', true), '') = 'on' "
    "OR {column} = ANY (string_to_array(nullif(current_setting('app.site_ids', true), ''), ',')::int[]))"
)


def policy_condition(column: str = "site_id") -> str:
    """The SQL condition under which a row of a site is visible and writable."""
    return _VISIBLE.format(column=column)


def enable_site_rls_sql(table: str, column: str = "site_id") -> list[str]:
    """Statements that turn on RLS for table, keyed on its site column."""
    cond = policy_condition(column)
    return [
        f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY",
        f"DROP POLICY IF EXISTS site_isolation ON {table}",
        f"CREATE POLICY site_isolation ON {table} USING {cond} WITH CHECK {cond}",
    ]


def disable_site_rls_sql(table: str) -> list[str]:
    """Statements that undo enable_site_rls_sql."""
    return [f"DROP POLICY IF EXISTS site_isolation ON {table}", f"ALTER TABLE {table} DISABLE ROW LEVEL SECURITY"]


def grant_app_role(conn: Connection, role: str) -> None:
    """Let the app's role read and write data (not change the schema); idempotent."""
    quoted = conn.dialect.identifier_preparer.quote(role)
    for stmt in (
        f"GRANT USAGE ON SCHEMA public TO {quoted}",
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {quoted}",
        f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {quoted}",
        f"REVOKE INSERT, UPDATE, DELETE ON alembic_version FROM {quoted}",
    ):
        conn.execute(text(stmt))
