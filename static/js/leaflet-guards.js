/**
 * Guards against Leaflet 1.9.4 work that lands after a map was removed (a frame or timer queued
 * mid-animation when the user leaves a view): such late calls do nothing instead of throwing
 * in the page. basemap.js installs them once, when Leaflet is loaded.
 */

/* global L */

/**
 * The same race for the map itself: a zoom animation queues _animateZoom (next frame) and
 * _onZoomTransitionEnd (a 250 ms timer); when the view is left in between, map.remove() has
 * already deleted the map pane and the late call throws "reading '_leaflet_pos'" (seen in the
 * browser tests at teardown). A removed map has nothing to animate.
 */
export function guardZoomTeardown() {
  const proto = L.Map.prototype;
  if (proto.atlasZoomGuard) return;
  for (const name of ["_animateZoom", "_onZoomTransitionEnd"]) {
    const original = proto[name];
    proto[name] = function whenMapAlive(...args) {
      if (!this._mapPane) {
        this._animatingZoom = false;
        return undefined;
      }
      return original.apply(this, args);
    };
  }
  proto.atlasZoomGuard = true;
}

/**
 * Leaflet 1.9.4's canvas renderer can still be asked to redraw after map.remove() destroyed
 * its canvas (a frame or timer queued mid-animation when the user leaves the view; upstream
 * #6030 closed only part of it), and then throws "reading 'clearRect'" in the page. A
 * destroyed renderer has nothing to draw, so such a late call does nothing. Its stale frame
 * id is also dropped, so a renderer added to a map again redraws.
 */
export function guardCanvasTeardown() {
  const proto = L.Canvas.prototype;
  if (proto.atlasTeardownGuard) return;
  for (const name of ["_redraw", "_clear", "_draw", "_update", "_updatePaths"]) {
    const original = proto[name];
    proto[name] = function whenCanvasAlive(...args) {
      if (!this._ctx) return undefined;
      return original.apply(this, args);
    };
  }
  const destroy = proto._destroyContainer;
  proto._destroyContainer = function destroyAndForgetFrame() {
    destroy.call(this);
    this._redrawRequest = null;
  };
  proto.atlasTeardownGuard = true;
}
