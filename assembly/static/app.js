// Progressive enhancement only: every page works without this file.
// After htmx swaps in a form with errors (or an error message), move keyboard and screen-reader
// focus to it, as a full page load would; otherwise the message appears silently elsewhere.
(function () {
  "use strict";
  function focusFirst(root) {
    var target = (root || document).querySelector("[data-focus-on-load]");
    if (target) {
      target.focus();
    }
  }
  document.addEventListener("DOMContentLoaded", function () { focusFirst(document); });
  document.addEventListener("htmx:after:swap", function (event) {
    var ctx = event.detail && event.detail.ctx;
    var target = ctx && ctx.target && ctx.target.isConnected ? ctx.target.parentNode : document;
    focusFirst(target || document);
  });
})();
