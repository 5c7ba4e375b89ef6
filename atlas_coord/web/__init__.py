"""The operations console: one page (``/``) and the repository's ``static/`` folder (``/static/...``).

Everything the console needs is served from this origin (no CDN, no tile server), so it works in
an operations room with the network unplugged. The page is a shell; the views are plain ES
modules under ``static/js/`` that talk to the REST API and the live channel.

Cache policy:

- ``/`` and the console's own modules and styles (``static/js``, ``static/css``): ``no-cache``,
  i.e. revalidated on every load (cheap ``304`` with ETag/Last-Modified), so a deployment is seen
  at once and ES-module imports never mix versions;
- ``static/vendor`` (pinned npm packages and the basemap data): cached for a day;
- any other path under ``static/``: revalidated as well.
"""

from __future__ import annotations

import hashlib
import mimetypes
from pathlib import Path

from flask import Blueprint, Flask, abort, make_response, render_template, send_from_directory

STATIC_ROOT = Path(__file__).resolve().parent.parent.parent / "static"
VENDOR_MAX_AGE = 24 * 3600

# Module scripts are refused unless served with a JavaScript MIME type (and the app sends
# X-Content-Type-Options: nosniff), so never leave these to the host's mime.types.
_TYPES = {
    ".js": "text/javascript; charset=utf-8",
    ".mjs": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".json": "application/json",
    ".map": "application/json",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".html": "text/html; charset=utf-8",
}

bp = Blueprint("web", __name__, template_folder="templates")


def _asset_version(root: Path) -> str:
    """A short fingerprint of the console's own files, appended to the shell's asset URLs."""
    digest = hashlib.sha256()
    for folder in ("js", "css"):
        base = root / folder
        if not base.is_dir():
            continue
        for path in sorted(base.rglob("*")):
            if path.is_file():
                stat = path.stat()
                digest.update(f"{path.relative_to(root)}:{stat.st_size}:{stat.st_mtime_ns}".encode())
    return digest.hexdigest()[:12]


@bp.get("/")
def console():
    """The single-page console shell; the views are hash routes (``#/map``, ``#/requests/7``...)."""
    response = make_response(render_template("console.html", asset_version=_asset_version(STATIC_ROOT)))
    response.headers["Cache-Control"] = "no-cache"
    return response


@bp.get("/static/<path:filename>")
def static_file(filename: str):
    """Files of ``static/`` (send_from_directory refuses paths that leave the folder)."""
    if not STATIC_ROOT.is_dir():
        abort(404)
    suffix = Path(filename).suffix.lower()
    response = send_from_directory(STATIC_ROOT, filename, conditional=True, max_age=0)
    mimetype = _TYPES.get(suffix) or mimetypes.guess_type(filename)[0]
    if mimetype:
        response.headers["Content-Type"] = mimetype
    if filename.startswith("vendor/"):
        response.headers["Cache-Control"] = f"public, max-age={VENDOR_MAX_AGE}"
    else:
        response.headers["Cache-Control"] = "no-cache"
    return response


@bp.get("/favicon.ico")
def favicon():
    """Browsers ask for it regardless; answer without a body instead of a JSON 404."""
    response = make_response("", 204)
    response.headers["Cache-Control"] = f"public, max-age={VENDOR_MAX_AGE}"
    return response


def init_web(app: Flask) -> None:
    """Register the console (called by ``create_app`` when this package is present)."""
    app.register_blueprint(bp)
    from .ack import bp as ack_bp

    app.register_blueprint(ack_bp)
