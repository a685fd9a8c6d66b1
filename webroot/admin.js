// The admin page: its tables are re-rendered over SSE while generations run. A swap between a
// button's press and its release would eat the click, so swaps wait until the pointer is up.
(function () {
  'use strict';
  var pressed = false;
  var held = new Map(); // element -> newest content that arrived while the pointer was down

  document.addEventListener('pointerdown', function () { pressed = true; }, true);
  function released() {
    // After the click has been dispatched, apply what arrived meanwhile.
    setTimeout(function () {
      pressed = false;
      held.forEach(function (content, elt) { htmx.swap(elt, content, { swapStyle: 'innerHTML' }); });
      held.clear();
    }, 0);
  }
  document.addEventListener('pointerup', released, true);
  document.addEventListener('pointercancel', released, true);

  document.addEventListener('htmx:sseBeforeMessage', function (e) {
    if (!pressed) return;
    e.preventDefault();
    held.set(e.target, e.detail.data);
  });
})();
