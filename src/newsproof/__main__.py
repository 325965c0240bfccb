"""`python -m newsproof` runs the command line (the same as the `newsproof` script)."""

from .cli import main

main()
