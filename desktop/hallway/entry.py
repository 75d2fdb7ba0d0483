"""The processes' entry points: `hallway` (`python -m hallway`) and `hallway-tray`.

Before anything else is imported, they keep OpenSSL out of the process. Nothing in Hallway speaks
TLS (ZeroMQ's CURVE is libsodium's), yet asyncio (under zeroconf) imports `ssl` and hashlib
imports `_hashlib`, and together they map libssl and libcrypto: 4.4 MB of a node's memory once
its modules are imported (docs/benchmarks.md). Without them asyncio simply has no TLS, and
hashlib and hmac use Python's own SHA-2. The one thing that needs OpenSSL, scrypt for an office
key, runs in a helper process (`hallway.identity.office_key.derive_office_key`).

Code imported any other way (tests, `python -c`) keeps the usual modules, and so do the helper
processes (`hallway --keyring-helper`, `--derive-office-key`: `hallway.identity.helper`), which
load the keyring and OpenSSL so that a node or the tray app never does.
"""

from __future__ import annotations

import sys

__all__ = ["main", "tray_main"]

_WITHOUT = ("ssl", "_ssl", "_hashlib")


def keep_openssl_out() -> None:
    """Make `import ssl` and `import _hashlib` fail (as on a Python built without OpenSSL),
    unless something has imported them already."""
    for name in _WITHOUT:
        sys.modules.setdefault(name, None)  # type: ignore[arg-type]  # None: "not installed"


def main() -> int:
    if sys.argv[1:] in (["--keyring-helper"], ["--derive-office-key"]):  # identity/helper.py
        return _helper(sys.argv[1])
    keep_openssl_out()
    from hallway.cli.main import main as cli_main  # after keep_openssl_out

    return cli_main()


def tray_main() -> int:
    keep_openssl_out()
    from hallway.ui.app import main as app_main  # after keep_openssl_out

    return app_main()


def _helper(flag: str) -> int:
    """A helper process (`hallway.identity.helper`): short-lived, so OpenSSL may stay."""
    if flag == "--keyring-helper":
        from hallway.identity.keyring_access import serve_keyring

        return serve_keyring()
    from hallway.identity.office_key import serve_derive

    return serve_derive()
