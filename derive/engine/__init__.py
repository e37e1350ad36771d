"""The engine: spec, table of operations, network, exact numbers, derivation, update rules."""
