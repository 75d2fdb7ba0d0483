"""The tray app's entry points: `run()` (called by `hallway` with no subcommand) and `main()`
(the `hallway-tray` GUI script, used by the desktop and autostart entries).

What is imported here is what the tray icon needs to show. The node, and the session that shows
it, are imported and started behind that icon (`hallway.ui.starting`).
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import logging
import signal
import socket
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QCoreApplication, QLocale, QObject, QSocketNotifier, QTranslator, Signal
from PySide6.QtWidgets import QApplication, QMessageBox, QSystemTrayIcon

from hallway import __version__, assets
from hallway.core.errors import HallwayError
from hallway.store.config import Config, load_config, save_config
from hallway.store.errors import HomeBusy
from hallway.store.home import control_socket_path, resolve_home
from hallway.ui.icons import app_icon
from hallway.ui.starting import Starting
from hallway.ui.text import tr
from hallway.ui.theme import ThemeFollower

if TYPE_CHECKING:
    from hallway.runtime import Runtime
    from hallway.ui.settings import SettingsResult

log = logging.getLogger(__name__)

APP_ID = "io.github.hallway.Hallway"


class ShowRelay(QObject):
    """Carries the control socket's "show" request (a server thread) to the GUI thread.

    Signals:
        requested(): someone asked to bring the window forward.
    """

    requested = Signal()

    def __call__(self) -> None:
        self.requested.emit()  # queued to GUI-thread receivers


def application() -> QApplication:
    existing = QApplication.instance()
    # argv[0] names the X11 window class; `python -m hallway` would make it "__main__.py".
    app = existing if isinstance(existing, QApplication) else QApplication(["hallway"])
    app.setApplicationName("Hallway")
    app.setApplicationDisplayName("Hallway")
    app.setApplicationVersion(__version__)
    app.setOrganizationDomain("hallway.github.io")
    app.setDesktopFileName(APP_ID)
    app.setWindowIcon(app_icon())
    app.setQuitOnLastWindowClosed(False)
    if app.findChild(ThemeFollower) is None:
        ThemeFollower(app)
    _install_translator(app)
    return app


def _install_translator(app: QApplication) -> None:
    try:
        folder = assets.resources_dir() / "translations"
    except assets.AssetError:
        return
    translator = QTranslator(app)
    if folder.is_dir() and translator.load(QLocale(), "hallway", "_", str(folder)):
        app.installTranslator(translator)


@contextlib.contextmanager
def quit_on_signals(app: QCoreApplication) -> Iterator[None]:
    """Quit cleanly (colleagues see us offline at once) on SIGINT and SIGTERM.

    Python runs signal handlers only when it gets control; a wake-up socket watched by the event
    loop gives it control at once without a polling timer.
    """
    reader, writer = socket.socketpair()
    reader.setblocking(False)
    writer.setblocking(False)
    notifier = QSocketNotifier(reader.fileno(), QSocketNotifier.Type.Read)
    notifier.activated.connect(lambda: _drain(reader))
    old_fd = signal.set_wakeup_fd(writer.fileno())
    signals = (signal.SIGINT, signal.SIGTERM)
    old = {sig: signal.signal(sig, lambda *_: leave(app)) for sig in signals}
    try:
        yield
    finally:
        for sig, handler in old.items():
            signal.signal(sig, handler)
        signal.set_wakeup_fd(old_fd)
        notifier.setEnabled(False)
        notifier.deleteLater()
        reader.close()
        writer.close()


def leave(app: QCoreApplication) -> None:
    """End `app.exec()` for sure.

    Not `quit()`: since Qt 6 it first asks every window to close, and the main window refuses
    while the tray icon can bring it back (it hides instead), so Quit did nothing while the
    window was open (the end-to-end test found it).
    """
    app.exit(0)


def _drain(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):
        while sock.recv(64):
            pass


def _show_running(home: Path) -> bool:
    """Ask the instance already running for `home` to bring its window forward."""
    from hallway.control.client import ControlClient

    try:
        ControlClient(control_socket_path(home), timeout=5.0).request("show")
    except (HallwayError, OSError):
        log.warning("Hallway is running for %s but did not answer", home, exc_info=True)
        return False
    return True


def _error(message: str) -> None:
    QMessageBox.critical(None, tr("Hallway"), message)


def _first_run(home: Path) -> Config | None:
    from hallway.runtime import init_home
    from hallway.ui.autostart import set_autostart
    from hallway.ui.first_run import ask_first_run

    values = ask_first_run()
    if values is None:
        return None
    config = init_home(
        home,
        name=values.name,
        office=values.office.office,
        passphrase=values.office.passphrase,
        open_office=values.office.open_office,
        interface=None,
    )
    if values.start_at_login:
        config.start_at_login = True
        save_config(home, config)
        with contextlib.suppress(OSError):
            set_autostart(True, home=home)
    return config


def _reinit(home: Path, result: SettingsResult) -> None:
    """Apply settings that need a new node: a new office or network interface."""
    from hallway.runtime import init_home

    config = result.config
    save_config(home, config)
    if result.office_change is not None:
        change = result.office_change
        init_home(
            home,
            name=config.name,
            office=change.office,
            passphrase=change.passphrase,
            open_office=change.open_office,
            interface=config.interface,
        )


def run(home: Path | None, *, demo: bool = False, minimized: bool = False) -> int:
    """Run the tray app for `home` (None: `$HALLWAY_HOME` or the platform default).

    Returns the exit status: 0 after Quit (or when another instance was brought forward),
    1 if the app could not start.
    """
    app = application()
    # The window opens by itself only where a person expects it: the first run and the demo (a
    # showcase). Otherwise the app starts in the tray (see `AppController.start`).
    open_window = demo
    try:
        home = Path(resolve_home(home))
        config = load_config(home)
        if config is None:
            if _first_run(home) is None:
                return 0
            open_window = True
    except HomeBusy:
        return 0 if _show_running(home) else 1  # type: ignore[arg-type]
    except HallwayError as error:
        _error(str(error))
        return 1

    relay = ShowRelay()
    status = 0
    with quit_on_signals(app):
        while True:
            started = _start_behind_icon(app, home, relay)
            if isinstance(started, int):
                return started
            runtime, icon = started
            from hallway.ui.controller import AppController  # imported by `_start`
            from hallway.ui.idle_sources import find_idle_source

            controller = AppController(
                runtime,
                runtime.config,
                home=home,
                demo=demo,
                save_config=functools.partial(save_config, home),
                find_idle=find_idle_source,
                tray_icon=icon,
            )
            relay.requested.connect(controller.bring_forward)
            restart: list[SettingsResult] = []
            controller.quit_requested.connect(lambda: leave(app))
            controller.restart_requested.connect(restart.append)
            controller.restart_requested.connect(lambda _: leave(app))
            try:
                controller.start(open_window=open_window, minimized=minimized)
                status = app.exec()
            finally:
                # A restart (new office) keeps the window as it was.
                open_window = controller.window_visible()
                relay.requested.disconnect(controller.bring_forward)
                controller.close()
                controller.deleteLater()
            if not restart:
                return status
            try:
                _reinit(home, restart[0])
            except HallwayError as error:
                _error(str(error))
            minimized = False


def _start_behind_icon(
    app: QApplication, home: Path, relay: ShowRelay
) -> tuple[Runtime, QSystemTrayIcon] | int:
    """The node, started while the tray shows a "starting" icon, and that icon; or the exit
    status when it could not start or the person quit meanwhile."""
    starting = Starting(app, functools.partial(_start, home, relay), _stop)
    try:
        runtime = starting.run()
    except HomeBusy:
        return 0 if _show_running(home) else 1
    except HallwayError as error:
        _error(str(error))
        return 1
    if runtime is None:
        return 0
    return runtime, starting.take_icon()


def _start(home: Path, relay: ShowRelay) -> Runtime:
    """On the starting thread: the session's modules (Qt classes only, no objects), then the
    node."""
    import hallway.ui.controller  # noqa: F401 -- imported here, off the GUI thread
    from hallway.runtime import Runtime

    return Runtime.start(home, keep_port=True, on_show=relay)


def _stop(runtime: Runtime) -> None:
    try:
        runtime.close()
    except HallwayError:
        log.exception("stopping the node failed")


def main(argv: list[str] | None = None) -> int:
    """`hallway-tray [--home DIR] [--minimized] [--demo]`.

    With a system tray the app starts in the tray unless this is the first run or the demo;
    `--minimized` (used by the autostart entry) keeps even those in the tray, and without a
    tray it shows the window minimized.
    """
    parser = argparse.ArgumentParser(prog="hallway-tray", description=tr("Hallway tray app"))
    parser.add_argument("--home", type=Path, default=None)
    parser.add_argument("--minimized", action="store_true")
    parser.add_argument("--demo", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    return run(args.home, demo=args.demo, minimized=args.minimized)


if __name__ == "__main__":
    sys.exit(main())
