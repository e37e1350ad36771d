"""Exercise sets: seeded variants of a network, their questions, answer keys and exports."""
