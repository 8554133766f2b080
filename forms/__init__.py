"""The operator's application forms (бланки заявлений): catalogue and PDF rendering."""
