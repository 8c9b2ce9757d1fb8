"""Rendering: tables, pages, charts and console lines, from records and their analysis."""
