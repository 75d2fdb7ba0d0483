"""The `hallway` command line: argparse, the client commands, the headless node, the demo.

No Qt here: `hallway` with no command imports `hallway.ui` lazily, and only then.
"""

from hallway.cli.main import main

__all__ = ["main"]
