"""Data sources shared by the papers; each needs no download (generated, or shipped inside a PyPI package)."""
