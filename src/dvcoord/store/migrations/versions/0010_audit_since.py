"""audit_log index on (table_name, at)

"What changed since a date" (``plans.changes_since``) asks for a few tables from a
date on; without this index SQLite walks every audit row of those tables through
``ix_audit_log_row``.  Only an index is added: the table is not rebuilt.

Revision ID: 0010_audit_since
Revises: 0009_indicators
Create Date: 2026-11-23 05:52:44.662548
"""

from __future__ import annotations

from alembic import op

revision = "0010_audit_since"
down_revision = "0009_indicators"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_audit_log_table_at", "audit_log", ["table_name", "at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_audit_log_table_at", table_name="audit_log")
