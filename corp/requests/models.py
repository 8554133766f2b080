"""Requests (обращения), the lines they concern, comments from both sides, attachments."""

from datetime import date

from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.db import JSONType, UTCDateTime, utcnow
from core.extensions import db

REQUEST_KINDS = ("claim", "application", "question")
REQUEST_STATUSES = ("submitted", "in_progress", "done", "rejected")
OPEN_STATUSES = ("submitted", "in_progress")
# Where operator staff may move a request (the company files it and comments).
TRANSITIONS = {
    "submitted": ("in_progress", "rejected"),
    "in_progress": ("done", "rejected"),
    "done": (),
    "rejected": (),
}


class Request(db.Model):
    """One request of a company to the operator, followed until done or rejected."""

    __tablename__ = "requests"
    __table_args__ = (
        Index("ix_requests_company_created", "company_id", "created_at"),
        Index("ix_requests_status_created", "status", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # None: a connection application operator staff filed before the company existed.
    company_id: Mapped[int | None] = mapped_column(ForeignKey("companies.id"))
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    kind: Mapped[str] = mapped_column(String(20))
    subject: Mapped[str] = mapped_column(String(200))
    text: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(20), default="submitted")
    form_code: Mapped[str | None] = mapped_column(String(40))
    document_id: Mapped[int | None] = mapped_column(ForeignKey("generated_documents.id"))
    # What runs when the operator approves (consent operations), its parameters, outcome.
    consent_action: Mapped[str | None] = mapped_column(String(40))
    action_params: Mapped[dict | None] = mapped_column(JSONType)
    action_result: Mapped[dict | None] = mapped_column(JSONType)
    operation_id: Mapped[int | None] = mapped_column(ForeignKey("operations.id"), index=True)
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # An approved consent action dated later (termination, porting out) is carried out on
    # this day by the daily due run; the request stays in progress until then.
    effective_on: Mapped[date | None] = mapped_column(Date, index=True)
    created_at = mapped_column(UTCDateTime, default=utcnow)
    updated_at = mapped_column(UTCDateTime, default=utcnow)
    closed_at = mapped_column(UTCDateTime)

    lines = relationship("RequestLine", cascade="all, delete-orphan")
    comments = relationship("RequestComment", order_by="RequestComment.id",
                            cascade="all, delete-orphan")
    attachments = relationship("RequestAttachment", order_by="RequestAttachment.id",
                               cascade="all, delete-orphan")


class RequestLine(db.Model):
    """A line a request is about (the scope check of company users goes through these)."""

    __tablename__ = "request_lines"

    request_id: Mapped[int] = mapped_column(ForeignKey("requests.id"), primary_key=True)
    line_id: Mapped[int] = mapped_column(ForeignKey("lines.id"), primary_key=True, index=True)


class RequestComment(db.Model):
    """A comment on a request, by the company or by operator staff."""

    __tablename__ = "request_comments"

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("requests.id"), index=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    by_operator: Mapped[bool] = mapped_column(Boolean, default=False)
    text: Mapped[str] = mapped_column(Text)
    created_at = mapped_column(UTCDateTime, default=utcnow)


class RequestAttachment(db.Model):
    """A file attached to a request, stored under the instance folder (not in the web root)."""

    __tablename__ = "request_attachments"

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("requests.id"), index=True)
    uploaded_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    by_operator: Mapped[bool] = mapped_column(Boolean, default=False)
    filename: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(10))  # pdf | jpeg | png
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    created_at = mapped_column(UTCDateTime, default=utcnow)
