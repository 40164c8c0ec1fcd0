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

  // The boxes wide tables scroll in come with tabindex="0", so the keyboard can scroll them
  // without JavaScript too. Where the table fits, that stop only gets in the way: take it out,
  // and put it back when the window narrows (or text is enlarged) and the table no longer fits.
  function tableStops() {
    var boxes = document.querySelectorAll(".table-wrap[role='region']");
    for (var i = 0; i < boxes.length; i++) {
      var box = boxes[i];
      if (box.scrollWidth > box.clientWidth) {
        box.setAttribute("tabindex", "0");
      } else if (box !== document.activeElement) {
        box.removeAttribute("tabindex");
      }
    }
  }

  document.addEventListener("DOMContentLoaded", function () {
    focusMarked(document);
    tableStops();
  });
  window.addEventListener("resize", tableStops);
  document.addEventListener("htmx:after:settle", tableStops);

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
