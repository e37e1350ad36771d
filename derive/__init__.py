"""derive: verified, step-by-step backpropagation worked solutions for small MLPs."""

__version__ = "0.1.0"
LANGUAGES = ("en", "ko")  # the languages of sheets, feedback and spec titles
