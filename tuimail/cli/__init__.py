"""Command-line sub-commands, one module each (see tuimail/__main__.py)."""
