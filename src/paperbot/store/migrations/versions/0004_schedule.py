"""schedule: weekly digests, quiet hours, revision notices, the matcher's cursor

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-24

"""

from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: Union[str, Sequence[str], None] = "0003"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table("recipients", schema=None) as batch_op:
        batch_op.add_column(sa.Column("digest_weekday", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("quiet_start", sa.Time(), nullable=True))
        batch_op.add_column(sa.Column("quiet_end", sa.Time(), nullable=True))
        batch_op.add_column(
            sa.Column("revision_notices", sa.Boolean(), nullable=False, server_default=sa.true())
        )
        batch_op.add_column(sa.Column("last_digest_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("digest_late", sa.Boolean(), nullable=False, server_default=sa.false()))
    with op.batch_alter_table("recipients", schema=None) as batch_op:
        # The server defaults only filled existing rows; the application sets them from now on.
        batch_op.alter_column("revision_notices", server_default=None)
        batch_op.alter_column("digest_late", server_default=None)
    with op.batch_alter_table("source_cursors", schema=None) as batch_op:
        batch_op.add_column(sa.Column("position", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("source_cursors", schema=None) as batch_op:
        batch_op.drop_column("position")
    with op.batch_alter_table("recipients", schema=None) as batch_op:
        batch_op.drop_column("digest_late")
        batch_op.drop_column("last_digest_at")
        batch_op.drop_column("revision_notices")
        batch_op.drop_column("quiet_end")
        batch_op.drop_column("quiet_start")
        batch_op.drop_column("digest_weekday")
