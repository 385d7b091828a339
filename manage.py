#!/usr/bin/env python
"""Django's command-line utility; ``safercities`` (the console script) does the same."""

from safercities.cli import main

if __name__ == "__main__":
    main()
