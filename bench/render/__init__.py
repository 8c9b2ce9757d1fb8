"""Rendering: tables, Markdown pages, charts and console lines, from records and their analysis.

Nothing here measures or trains; every output can be rebuilt from the stored records.
"""
