"""Companies, contracts, billing accounts, lines, tariffs, services and their operations."""
