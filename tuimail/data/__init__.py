"""Data shipped with tuimail (the ISP database)."""
