"""Alembic environment for dvcoord: in-process only, on a connection we hand it.

Deliberately does not call ``logging.config.fileConfig`` (it would silence the app's
loggers) and never builds its own engine.
"""

from __future__ import annotations

from alembic import context

from dvcoord.store.schema import metadata

config = context.config
connection = config.attributes.get("connection")
if connection is None:  # pragma: no cover - only reachable by misuse
    raise RuntimeError("dvcoord migrations run in-process on a given connection")


def render_item(type_: str, obj: object, autogen_context) -> str | bool:  # noqa: ANN001
    """Render dvcoord's column types as plain SQLAlchemy ones, so revisions stand alone."""
    from dvcoord.store.base import UTCDateTime

    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime()"
    return False


only_tables = config.attributes.get("only_tables")


def include_object(obj, name, type_, reflected, compare_to) -> bool:  # noqa: ANN001
    """With ``only_tables`` (tools/new_migration.py --tables), autogenerate just those."""
    if not only_tables:
        return True
    table = name if type_ == "table" else getattr(getattr(obj, "table", None), "name", None)
    return table in only_tables


context.configure(
    connection=connection,
    include_object=include_object,
    target_metadata=metadata,
    render_as_batch=True,
    compare_type=False,
    render_item=render_item,
)
with context.begin_transaction():
    context.run_migrations()
