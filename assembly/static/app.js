// Progressive enhancement only: every page works without this file.
// Keyboard and screen-reader focus after htmx swaps content in:
// 1. a form with errors (or an error message) takes focus, as it would on a full page load;
// 2. otherwise, if the element that had focus was swapped away (say, the button just pressed),
//    focus moves to the new content instead of falling back to the top of the page.
(function () {
  "use strict";

  function focusMarked(root) {
    var target = (root || document).querySelector("[data-focus-on-load]");
    if (target) {
      target.focus();
      return true;
    }
    return false;
  }

  function swappedContent(ctx) {
    var target = ctx && ctx.target;
    if (!target) {
      return null;
    }
    if (target.isConnected) {
      return target;
    }
    // An outerHTML swap replaced the target: find its successor by id.
    return target.id ? document.getElementById(target.id) : null;
  }

  document.addEventListener("DOMContentLoaded", function () { focusMarked(document); });

  document.addEventListener("htmx:after:swap", function (event) {
    var content = swappedContent(event.detail && event.detail.ctx);
    if (focusMarked(content ? content.parentNode : document)) {
      return;
    }
    var lost = !document.activeElement || document.activeElement === document.body;
    if (lost && content) {
      if (!content.hasAttribute("tabindex")) {
        content.setAttribute("tabindex", "-1");
      }
      content.focus();
    }
  });
})();
