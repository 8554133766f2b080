"""Requests to the operator (обращения): claims, applications with a generated form, questions."""
