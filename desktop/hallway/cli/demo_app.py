"""`hallway demo`: a private office on 127.0.0.1, your instance plus simulated colleagues."""

from __future__ import annotations

import argparse
import contextlib
import getpass
import logging
import os
import shutil
import tempfile
from pathlib import Path

from hallway.cli.app import UiUnavailable, load_ui
from hallway.cli.node import run_headless
from hallway.cli.output import message
from hallway.demo import (
    DEMO_INTERFACE,
    DEMO_OFFICE,
    DEMO_PASSPHRASE,
    KEYRING_ENV,
    NAMES,
    DemoOffice,
)
from hallway.runtime import SetupError, UsageError, init_home
from hallway.store.config import load_config
from hallway.store.home import resolve_home

__all__ = ["run_demo"]


def run_demo(args: argparse.Namespace, home_arg: str | None) -> int:
    """A private office on 127.0.0.1: your own instance plus `--colleagues` simulated ones."""
    if not 1 <= args.colleagues <= len(NAMES):
        raise UsageError(f"--colleagues takes a number from 1 to {len(NAMES)}")
    # Throwaway demo keys must not land in the person's keyring (set before keyring loads).
    os.environ.update(KEYRING_ENV)
    logging.getLogger("hallway.identity").setLevel(logging.ERROR)  # files are intended here
    with contextlib.ExitStack() as stack:
        if home_arg is None:
            base = Path(tempfile.mkdtemp(prefix="hallway-demo-"))
            stack.callback(shutil.rmtree, base, ignore_errors=True)
            home = Path(resolve_home(base / "you"))
            colleagues = base / "colleagues"
        else:
            home = Path(resolve_home(home_arg))
            colleagues = home / "demo-colleagues"
        _prepare_demo_home(home)
        run = None
        if not args.headless:
            try:
                run = load_ui()
            except UiUnavailable as exc:
                message(f"hallway: {exc}; running the demo headless.")
        office = stack.enter_context(DemoOffice(colleagues, args.colleagues))
        message(
            f"Demo office with {', '.join(office.names)} on {DEMO_INTERFACE}; your home is {home}."
        )
        if run is not None:
            message("Stop it with Ctrl-C here, or with Quit in Hallway's tray menu.")
            return run(home, demo=True)
        return run_headless(home, as_json=False, interface=DEMO_INTERFACE)


def _prepare_demo_home(home: Path) -> None:
    config = load_config(home)
    if config is not None and config.office != DEMO_OFFICE:
        office = repr(config.office) if config.office else "an open office"
        raise SetupError(
            f"{home} is set up for {office}, not the demo; give the demo another --home, or "
            "none for a temporary one"
        )
    if config is None or config.interface != DEMO_INTERFACE:
        init_home(
            home,
            name=config.name if config is not None else _your_name(),
            office=DEMO_OFFICE,
            passphrase=DEMO_PASSPHRASE,
            open_office=False,
            interface=DEMO_INTERFACE,
        )


def _your_name() -> str:
    """The account's full name where the system has one, as the first-run dialog does."""
    with contextlib.suppress(ImportError, KeyError, OSError):
        import pwd

        full = pwd.getpwuid(os.getuid()).pw_gecos.split(",")[0].strip()
        if full:
            return full[:64]
    with contextlib.suppress(OSError, KeyError):
        return getpass.getuser()[:64] or "You"
    return "You"
