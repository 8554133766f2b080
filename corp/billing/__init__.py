"""Billing kept by the embedded operator: rating, charges, month close, financial documents."""
