"""The company's custom hierarchy: the tree, its totals, and what hangs on it."""
