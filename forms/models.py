"""Every generated document is kept: who, when, which data, which form version, the bytes."""

from sqlalchemy import ForeignKey, Index, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, deferred, mapped_column

from core.db import JSONType, UTCDateTime, utcnow
from core.extensions import db


class GeneratedDocument(db.Model):
    """One PDF generated from a form; downloading it again serves these very bytes."""

    __tablename__ = "generated_documents"
    __table_args__ = (Index("ix_generated_documents_company_created", "company_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # None: a connection application filed by operator staff for a company not yet onboarded.
    company_id: Mapped[int | None] = mapped_column(ForeignKey("companies.id"))
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at = mapped_column(UTCDateTime, default=utcnow)
    form_code: Mapped[str] = mapped_column(String(40))
    form_version: Mapped[str] = mapped_column(String(20))
    number: Mapped[str] = mapped_column(String(40), unique=True)
    # The validated field values and the snapshot of the listed lines, as printed.
    data: Mapped[dict] = mapped_column(JSONType, default=dict)
    line_count: Mapped[int] = mapped_column(Integer, default=0)
    sha256: Mapped[str] = mapped_column(String(64), default="")
    size: Mapped[int] = mapped_column(Integer, default=0)
    pdf: Mapped[bytes | None] = deferred(mapped_column(LargeBinary))
