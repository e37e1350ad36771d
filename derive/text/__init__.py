"""Text: words per language, how numbers read, Korean particles.

Below sheets/ (sheets, grading, exercises, typeset and training all write words and numbers);
it imports nothing from sheets/, so any of them can use it without drawing in the document model.
"""
