"""What the runtime role may do on a PostgreSQL database that another role (the migrator)
owns: read and write the rows of the tables, draw from their sequences, and keep the Dapr
state store's tables in a schema of their own. Never create, alter or drop the tables."""

import sqlalchemy as sa

# The Dapr state store's schema (its tablePrefix in dapr-components/*/statestore.yaml).
DAPR_STATE_SCHEMA = "dapr"


def grant_runtime_role(connection: sa.Connection, role: str) -> None:
    """Run by the migrator after every upgrade, so new tables are granted too."""
    quote = connection.dialect.identifier_preparer.quote
    grantee, dapr = quote(role), quote(DAPR_STATE_SCHEMA)
    for statement in (
        # PostgreSQL before 15 lets every role create in `public`.
        "REVOKE CREATE ON SCHEMA public FROM PUBLIC",
        f"GRANT USAGE ON SCHEMA public TO {grantee}",
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {grantee}",
        f"GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO {grantee}",
        f"CREATE SCHEMA IF NOT EXISTS {dapr}",
        f"GRANT USAGE, CREATE ON SCHEMA {dapr} TO {grantee}",
    ):
        connection.execute(sa.text(statement))
