"""The company's custom tree: branches, cities, departments, groups."""

from sqlalchemy import ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.db import PathString, UTCDateTime, utcnow
from core.extensions import db
from corp.models import Line, LineMonthlyUsage

NODE_KINDS = ("root", "branch", "city", "department", "group")


class Node(db.Model):
    """A node of a company's hierarchy, stored with a materialised path ("/1/5/23/")."""

    __tablename__ = "hierarchy_nodes"
    __table_args__ = (
        UniqueConstraint("company_id", "parent_id", "name", name="uq_hierarchy_nodes_sibling_name"),
        Index("ix_hierarchy_nodes_company_path", "company_id", "path"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id"), index=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("hierarchy_nodes.id"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    kind: Mapped[str] = mapped_column(String(20), default="department")
    cost_centre: Mapped[str | None] = mapped_column(String(40))
    responsible_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # Path of ids from the root, both ends slashed, so a subtree is "path LIKE prefix%".
    path: Mapped[str] = mapped_column(PathString, default="")
    depth: Mapped[int] = mapped_column(Integer, default=0)
    created_at = mapped_column(UTCDateTime, default=utcnow)

    parent = relationship("Node", remote_side=[id], back_populates="children")
    children = relationship("Node", back_populates="parent", order_by="Node.name")

    def __repr__(self) -> str:
        return f"<Node {self.id} {self.path} {self.name!r}>"


def _totals_indexes() -> tuple[Index, ...]:
    """Covering indexes that keep the tree's per-node totals cheap on big companies (lines per
    node and status is ``ix_lines_company_node_status`` in ``corp.models``): the latest line
    change per company (the totals cache stamp) and the month's spend per line."""
    return (
        Index("ix_lines_company_updated", Line.company_id, Line.updated_at),
        Index("ix_line_monthly_usage_period_line_amount", LineMonthlyUsage.period,
              LineMonthlyUsage.line_id, LineMonthlyUsage.amount),
    )


TOTALS_INDEXES = _totals_indexes()
