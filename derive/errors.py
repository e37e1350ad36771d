"""Errors a user can act on: each prints as one line and maps to an exit code."""


class DeriveError(Exception):
    """Base of errors shown to the user as one line, without a traceback."""

    exit_code = 2


class InputError(DeriveError):
    """Bad input: names the file, the key and the problem."""

    def __init__(self, source: str, key: str, problem: str) -> None:
        self.source, self.key, self.problem = source, key, problem
        where = f"{source}: {key}" if key else source
        super().__init__(f"{where}: {problem}")


class VerificationError(DeriveError):
    """The four gradient computations disagree: a bug, never a sheet."""

    exit_code = 1
