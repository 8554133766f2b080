"""The operator staff's workspace: every company's requests, and the company onboarding."""
