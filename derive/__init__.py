"""derive: verified, step-by-step backpropagation worked solutions for small MLPs."""

__version__ = "0.1.0"
