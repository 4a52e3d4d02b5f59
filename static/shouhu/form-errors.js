/* A form that came back with errors: go to the first invalid field, and let the links of the
   error summary (#error-summary) move the focus to their field, not only scroll to it. */
(function () {
  "use strict";

  function focusTarget(id) {
    var target = document.getElementById(id);
    if (!target) return false;
    target.scrollIntoView({ block: "center" });
    target.focus({ preventScroll: true });
    return true;
  }

  document.addEventListener("DOMContentLoaded", function () {
    var summary = document.querySelector("[data-error-summary]");
    if (!summary) return;
    summary.addEventListener("click", function (event) {
      var link = event.target.closest("a[href^='#']");
      if (link && focusTarget(link.getAttribute("href").slice(1))) event.preventDefault();
    });
    var first = document.querySelector("form .is-invalid");
    if (first && first.id) {
      focusTarget(first.id);
    } else {
      summary.focus();
    }
  });
})();
