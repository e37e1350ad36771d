"""The command line: `derive` and its commands, each a parser table and a function."""
