"""Cross-cutting pieces every domain package uses: extensions, config, audit, access marks."""
