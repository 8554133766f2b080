"""Roles, their scoped assignments and every permission check (Casbin, per company)."""
