"""The desktop app: tray, popups, windows, notifications and item models.

This is the only package that imports PySide6. It talks to the engine through the public `Node`
API and its event stream only (see `hallway.ui.bridge`). Start it with `hallway.ui.app.run`.
"""
