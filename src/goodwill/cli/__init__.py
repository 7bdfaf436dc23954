"""The `goodwill` command line: thin commands over services; `format_*` pure, printing with Rich."""
