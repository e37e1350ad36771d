"""Sheets: the worked solution as a document of plain data (words, LaTeX, tables, diagram)."""
