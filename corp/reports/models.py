"""The file a report job produced, kept for its owner until it expires."""

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from core.db import UTCDateTime, utcnow
from core.extensions import db


class ReportFile(db.Model):
    """The result of a report job (one per job): where it lies, what it is, until when."""

    __tablename__ = "report_files"

    job_id: Mapped[int] = mapped_column(ForeignKey("operation_jobs.id"), primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id"), index=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    report: Mapped[str] = mapped_column(String(30))
    format: Mapped[str] = mapped_column(String(5))
    filename: Mapped[str] = mapped_column(String(200), default="")
    mimetype: Mapped[str] = mapped_column(String(100), default="")
    path: Mapped[str | None] = mapped_column(String(500))
    size: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(String(500))
    created_at = mapped_column(UTCDateTime, default=utcnow)
    expires_at = mapped_column(UTCDateTime)
