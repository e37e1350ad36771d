"""Verification: every number of a derivation checked against independent computations."""
