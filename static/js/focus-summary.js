// A summary the server puts at the top of a page (form errors, unanswered questions)
// takes the focus, so that keyboard and screen-reader users hear it first; its links
// move the focus to the field they name. The pages work the same without this script.
(function () {
  "use strict";
  var summary = document.querySelector("[data-focus-summary]");
  if (!summary) return;
  summary.focus();
  summary.addEventListener("click", function (event) {
    var link = event.target.closest("a[href^='#']");
    if (!link) return;
    var target = document.getElementById(decodeURIComponent(link.hash.slice(1)));
    if (!target) return;
    var field = target.matches("input, select, textarea")
      ? target
      : target.querySelector("input:checked, input, select, textarea");
    if (!field) return;
    event.preventDefault();
    (field.closest("fieldset, .field") || field).scrollIntoView();
    field.focus({ preventScroll: true });
    history.replaceState(null, "", link.hash);
  });
})();
