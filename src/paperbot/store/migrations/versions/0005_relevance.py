"""relevance: paper vectors, chat libraries, papers held back by /filter

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03

"""

from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0005"
down_revision: Union[str, Sequence[str], None] = "0004"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table("recipients", schema=None) as batch_op:
        batch_op.add_column(sa.Column("filter_enabled", sa.Boolean(), nullable=False, server_default=sa.false()))
    op.create_table(
        "paper_vectors",
        sa.Column("arxiv_id", sa.String(length=40), nullable=False),
        sa.Column("model", sa.String(length=64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("dim", sa.Integer(), nullable=False),
        sa.Column("vector", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["arxiv_id"], ["papers.arxiv_id"], name=op.f("fk_paper_vectors_arxiv_id_papers"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("arxiv_id", "model", name=op.f("pk_paper_vectors")),
    )
    op.create_table(
        "library_entries",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("recipient_id", sa.Integer(), nullable=False),
        sa.Column("arxiv_id", sa.String(length=40), nullable=False),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["arxiv_id"], ["papers.arxiv_id"], name=op.f("fk_library_entries_arxiv_id_papers"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["recipient_id"],
            ["recipients.id"],
            name=op.f("fk_library_entries_recipient_id_recipients"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_library_entries")),
        sa.UniqueConstraint("recipient_id", "arxiv_id", name="uq_library_entries_recipient_paper"),
    )
    with op.batch_alter_table("library_entries", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_library_entries_recipient_id"), ["recipient_id"], unique=False)
    op.create_table(
        "held_papers",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("recipient_id", sa.Integer(), nullable=False),
        sa.Column("arxiv_id", sa.String(length=40), nullable=False),
        sa.Column(
            "subscription_ids",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("held_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("released_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["arxiv_id"], ["papers.arxiv_id"], name=op.f("fk_held_papers_arxiv_id_papers"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["recipient_id"], ["recipients.id"], name=op.f("fk_held_papers_recipient_id_recipients"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_held_papers")),
        sa.UniqueConstraint("recipient_id", "arxiv_id", name="uq_held_papers_recipient_paper"),
    )
    with op.batch_alter_table("held_papers", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_held_papers_recipient_id"), ["recipient_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("held_papers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_held_papers_recipient_id"))
    op.drop_table("held_papers")
    with op.batch_alter_table("library_entries", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_library_entries_recipient_id"))
    op.drop_table("library_entries")
    op.drop_table("paper_vectors")
    with op.batch_alter_table("recipients", schema=None) as batch_op:
        batch_op.drop_column("filter_enabled")
