"""PyInstaller entry point: the ``hallway`` console script (no subcommand starts the tray)."""

from hallway.entry import main

raise SystemExit(main())
