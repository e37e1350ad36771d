"""Grading: a student's claimed numbers against the derivation, feedback as text, JSON, sheets."""
