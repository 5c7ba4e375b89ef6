#!/usr/bin/env python3
"""Vendor the web console's third-party assets into static/vendor/.

The console must work with the network unplugged (no CDN, no tile server),
so every browser asset is served from our own origin. This script:

1. runs ``npm ci --no-audit --no-fund --prefer-offline`` when ``node_modules``
   is missing, incomplete, or older than ``package-lock.json`` (npm reuses its
   local cache, so a warm cache needs no network);
2. copies the needed files from ``node_modules`` into ``static/vendor/``.

It is idempotent: files whose content already matches are left alone, and
each file is reported as ``copied`` or ``unchanged``. Called by ``make run``
and ``make test``; run it from the repository root (it also works from
elsewhere, since paths are resolved from this file's location).

Python 3.11 standard library only.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NODE_MODULES = ROOT / "node_modules"
LOCKFILE = ROOT / "package-lock.json"
VENDOR = ROOT / "static" / "vendor"

# (source relative to node_modules, destination relative to static/vendor)
FILES: list[tuple[str, str]] = [
    ("leaflet/dist/leaflet.js", "leaflet.js"),
    ("leaflet/dist/leaflet.js.map", "leaflet.js.map"),
    ("leaflet/dist/leaflet.css", "leaflet.css"),
    ("socket.io-client/dist/socket.io.min.js", "socket.io.min.js"),
    ("socket.io-client/dist/socket.io.min.js.map", "socket.io.min.js.map"),
    ("topojson-client/dist/topojson-client.min.js", "topojson-client.min.js"),
    ("world-atlas/countries-50m.json", "countries-50m.json"),
    ("world-atlas/countries-110m.json", "countries-110m.json"),
    # Licences travel with the code and data we redistribute.
    ("leaflet/LICENSE", "licenses/leaflet.LICENSE.txt"),
    ("socket.io-client/LICENSE", "licenses/socket.io-client.LICENSE.txt"),
    ("topojson-client/LICENSE", "licenses/topojson-client.LICENSE.txt"),
    ("world-atlas/LICENSE", "licenses/world-atlas.LICENSE.txt"),
]

# Whole directories: leaflet.css refers to url(images/...), relative to itself.
DIRS: list[tuple[str, str]] = [
    ("leaflet/dist/images", "images"),
]

PACKAGES = ["leaflet", "socket.io-client", "topojson-client", "world-atlas"]


class VendorError(Exception):
    """A failure with a message meant for the person running the script."""


def _rel(path: Path) -> str:
    try:
        return str(path.relative_to(ROOT))
    except ValueError:
        return str(path)


def _expected_sources() -> list[Path]:
    sources = [NODE_MODULES / src for src, _ in FILES]
    sources += [NODE_MODULES / src for src, _ in DIRS]
    return sources


def install_reason() -> str | None:
    """Why ``npm ci`` must run, or None when node_modules is usable as is."""
    if not LOCKFILE.is_file():
        raise VendorError(f"{_rel(LOCKFILE)} not found: run this script from the atlas-coord repository")
    if not NODE_MODULES.is_dir():
        return "node_modules is missing"
    # npm writes node_modules/.package-lock.json on every install; its mtime
    # is a better "installed at" stamp than the directory's own mtime.
    stamp = NODE_MODULES / ".package-lock.json"
    installed_at = (stamp if stamp.is_file() else NODE_MODULES).stat().st_mtime
    if installed_at < LOCKFILE.stat().st_mtime:
        return "node_modules is older than package-lock.json"
    missing = [p for p in _expected_sources() if not p.exists()]
    if missing:
        return f"node_modules is incomplete ({_rel(missing[0])} is missing)"
    return None


def npm_ci(reason: str) -> None:
    npm = shutil.which("npm")
    if npm is None:
        raise VendorError(
            f"{reason}, and npm is not installed (or not on PATH).\n"
            "Install Node.js 20+ with npm, then run again: python3 scripts/vendor_assets.py"
        )
    cmd = [npm, "ci", "--no-audit", "--no-fund", "--prefer-offline"]
    print(f"vendor_assets: {reason}; running: {' '.join(['npm'] + cmd[1:])}", flush=True)
    env = dict(os.environ, npm_config_update_notifier="false")
    result = subprocess.run(cmd, cwd=ROOT, env=env)
    if result.returncode != 0:
        raise VendorError(
            f"npm ci failed with exit code {result.returncode}. With no network, npm needs a warm "
            "cache (~/.npm) holding every package in package-lock.json."
        )
    if not NODE_MODULES.is_dir():
        raise VendorError("npm ci reported success but node_modules was not created")
    # Mark the install as fresh even if npm preserved older mtimes.
    stamp = NODE_MODULES / ".package-lock.json"
    with contextlib.suppress(OSError):
        (stamp if stamp.is_file() else NODE_MODULES).touch()


def _same_content(a: Path, b: Path) -> bool:
    if not b.is_file() or a.stat().st_size != b.stat().st_size:
        return False
    with a.open("rb") as fa, b.open("rb") as fb:
        while True:
            chunk_a = fa.read(1 << 16)
            if chunk_a != fb.read(1 << 16):
                return False
            if not chunk_a:
                return True


def copy_file(src: Path, dst: Path) -> bool:
    """Copy src to dst atomically unless identical; return True if it was copied."""
    if not src.is_file():
        raise VendorError(f"expected file not found after install: {_rel(src)}")
    if _same_content(src, dst):
        return False
    dst.parent.mkdir(parents=True, exist_ok=True)
    # Write beside the target then rename, so a running server never serves
    # a half-written file.
    fd, tmp = tempfile.mkstemp(prefix=f".{dst.name}.", dir=dst.parent)
    try:
        with os.fdopen(fd, "wb") as out, src.open("rb") as inp:
            shutil.copyfileobj(inp, out)
        os.chmod(tmp, 0o644)
        os.replace(tmp, dst)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    return True


def vendor() -> tuple[int, int]:
    copied = unchanged = 0
    pairs: list[tuple[Path, Path]] = [(NODE_MODULES / s, VENDOR / d) for s, d in FILES]
    for src_dir, dst_dir in DIRS:
        base = NODE_MODULES / src_dir
        if not base.is_dir():
            raise VendorError(f"expected directory not found after install: {_rel(base)}")
        for src in sorted(p for p in base.rglob("*") if p.is_file()):
            pairs.append((src, VENDOR / dst_dir / src.relative_to(base)))
    for src, dst in pairs:
        if copy_file(src, dst):
            copied += 1
            print(f"  copied     {_rel(src)} -> {_rel(dst)}")
        else:
            unchanged += 1
            print(f"  unchanged  {_rel(dst)}")
    return copied, unchanged


def versions() -> dict[str, str]:
    out = {}
    for name in PACKAGES:
        with (NODE_MODULES / name / "package.json").open(encoding="utf-8") as fh:
            out[name] = json.load(fh)["version"]
    return out


def main() -> int:
    try:
        VENDOR.mkdir(parents=True, exist_ok=True)
        # `make run` and `make test` may call this at the same time: one at a time.
        with (VENDOR / ".vendor.lock").open("w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            reason = install_reason()
            if reason is not None:
                npm_ci(reason)
                reason = install_reason()
                if reason is not None:
                    raise VendorError(f"after npm ci, {reason}")
            print(f"vendor_assets: copying into {_rel(VENDOR)}/")
            copied, unchanged = vendor()
            vers = ", ".join(f"{k} {v}" for k, v in versions().items())
        print(f"vendor_assets: {copied} copied, {unchanged} unchanged ({vers})")
        return 0
    except VendorError as exc:
        print(f"vendor_assets: ERROR: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
