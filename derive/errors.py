"""Errors a user can act on: each prints as one line and maps to an exit code."""


class DeriveError(Exception):
    """Base of errors shown to the user as one line, without a traceback."""

    exit_code = 2


class InputError(DeriveError):
    """Bad input: names the file, the key and the problem."""

    def __init__(self, source: str, key: str, problem: str) -> None:
        super().__init__(source, key, problem)  # args as given: it survives pickling
        self.source, self.key, self.problem = source, key, problem

    def __str__(self) -> str:
        where = f"{self.source}: {self.key}" if self.key else self.source
        return f"{where}: {self.problem}"


class VerificationError(DeriveError):
    """The four gradient computations disagree: a bug, never a sheet."""

    exit_code = 1
