"""Serving the console (no browser needed): the shell, static files, types, caching, CSP."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_shell_is_served_with_the_csp_and_only_same_origin_assets(client):
    response = client.get("/")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-cache"
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    html = response.get_data(as_text=True)
    # Every asset is a path on this origin; no inline script, no style block or attribute.
    for url in re.findall(r'(?:src|href)="([^"]+)"', html):
        assert url.startswith(("/static/", "#", "data:")), url
    assert "<style" not in html
    assert " style=" not in html
    assert re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html) is None
    assert 'type="module" src="/static/js/app.js"' in html
    # The console's styles, in cascade order: the map's, then base, components, views and the
    # training views' own.
    sheets = re.findall(r'href="/static/css/([a-z]+)\.css', html)
    assert sheets == ["map", "base", "components", "views", "trainings"]


def test_static_files_have_javascript_types_and_cache_headers(client):
    module = client.get("/static/js/app.js")
    assert module.status_code == 200
    assert module.headers["Content-Type"].startswith("text/javascript")
    assert module.headers["Cache-Control"] == "no-cache"
    assert module.headers.get("ETag")
    again = client.get("/static/js/app.js", headers={"If-None-Match": module.headers["ETag"]})
    assert again.status_code == 304

    for name in ("map", "base", "components", "views", "trainings"):
        css = client.get(f"/static/css/{name}.css")
        assert css.status_code == 200, name
        assert css.headers["Content-Type"].startswith("text/css")


def test_vendor_files_are_cached_for_a_day(client):
    if not (ROOT / "static" / "vendor" / "leaflet.js").exists():
        import pytest

        pytest.skip("vendored assets missing (python3 scripts/vendor_assets.py)")
    response = client.get("/static/vendor/leaflet.js")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "public, max-age=86400"
    assert client.get("/static/vendor/countries-50m.json").headers["Content-Type"] == "application/json"


def test_paths_outside_static_and_unknown_files_are_404(client):
    assert client.get("/static/../pyproject.toml").status_code == 404
    assert client.get("/static/%2e%2e/pyproject.toml").status_code == 404
    assert client.get("/static/js/nope.js").status_code == 404
    assert client.get("/favicon.ico").status_code == 204


def test_no_module_uses_inline_styles_or_remote_urls():
    """The CSP would block them in the browser; catch them in the source too."""
    for path in (ROOT / "static" / "js").rglob("*.js"):
        text = path.read_text()
        assert 'setAttribute("style"' not in text, path
        assert "innerHTML" not in text, path
        assert re.search(r"https?://(?!127\.0\.0\.1)", text.replace("http://www.w3.org/2000/svg", "")) is None, path
    for path in (ROOT / "atlas_coord" / "web" / "templates").glob("*.html"):
        assert "http" not in path.read_text().replace("http-equiv", ""), path
