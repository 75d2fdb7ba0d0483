"""PyInstaller entry point: the ``hallway`` console script (no subcommand starts the tray)."""

from hallway.cli.main import main

raise SystemExit(main())
