"""`python -m hallway`: the same as the `hallway` command."""

import sys

from hallway.entry import main

if __name__ == "__main__":
    sys.exit(main())
