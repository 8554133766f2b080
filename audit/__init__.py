"""The audit-log viewer: a company's audit events, filtered, paged and exported (the events
themselves are written by ``core.audit``)."""
