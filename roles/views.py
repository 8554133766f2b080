"""Administration pages: users, roles, assignments, access explained, audit log."""

from flask import Blueprint

bp = Blueprint("roles", __name__, url_prefix="/admin")
