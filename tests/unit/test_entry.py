"""hallway.entry: the processes start without OpenSSL, and an office key is still derived (in a
helper process, `hallway --derive-office-key`, so that OpenSSL stays out)."""

from __future__ import annotations

import hashlib
import hmac
import json
import subprocess
import sys

from hallway.core.office import derive_office_key

_PROBE = """
import json, sys
from hallway.entry import keep_openssl_out
keep_openssl_out()
import hashlib, hmac
import hallway.cli.main, hallway.engine.node, hallway.runtime
loaded = sorted(n for n in ("ssl", "_ssl", "_hashlib") if sys.modules.get(n) is not None)
maps = open("/proc/self/maps").read()
mac = hmac.new(b"k", b"m", hashlib.sha256).hexdigest()
from hallway.identity import derive_office_key
key = derive_office_key("Acme", "s3cret").hex()  # in a helper process
apart = sys.modules.get("_hashlib") is not None or "libcrypto" in open("/proc/self/maps").read()
from hallway.core.office import derive_office_key as derive_here
here = derive_here("Acme", "s3cret").hex()
print(json.dumps({"before": loaded, "libcrypto_before": "libcrypto" in maps, "mac": mac,
                  "key": key, "loaded_by_helper": apart, "here": here,
                  "after": sys.modules.get("_hashlib") is not None}))
"""


def _probe() -> dict[str, object]:
    done = subprocess.run(
        [sys.executable, "-c", _PROBE], capture_output=True, text=True, check=True, timeout=60
    )
    result: dict[str, object] = json.loads(done.stdout)
    return result


def test_the_node_and_the_client_load_without_openssl_and_scrypt_still_works() -> None:
    result = _probe()
    assert result["before"] == []  # asyncio (under zeroconf) and hashlib made do without them
    assert result["libcrypto_before"] is False
    assert result["mac"] == hmac.new(b"k", b"m", hashlib.sha256).hexdigest()
    # scrypt needs OpenSSL: a helper process loads it, so this process still has none, and the
    # key is the one derived the usual way; derived here, OpenSSL is loaded for it.
    assert result["key"] == derive_office_key("Acme", "s3cret").hex()
    assert result["loaded_by_helper"] is False
    assert result["here"] == result["key"]
    assert result["after"] is True
