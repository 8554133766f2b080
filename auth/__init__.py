"""Sign-in, sessions, API tokens and the user accounts they belong to."""
