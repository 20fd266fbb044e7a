"""tuimail: a terminal mail client on Textual."""

__version__ = "0.1.0"
