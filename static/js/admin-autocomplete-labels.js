// Admin autocomplete pickers (Select2) name their combobox only by the value chosen, so
// an empty picker has no accessible name (axe: aria-input-field-name). Add the field's
// own label to the name, whenever Django's autocomplete.js builds a picker.
(function () {
  "use strict";
  function name(select) {
    var label = document.querySelector('label[for="' + select.id + '"]');
    var box = select.nextElementSibling;
    var combo = box && box.querySelector('[role="combobox"]');
    if (!combo) return;
    if (!label) {
      // A tabular inline names its columns only in the table head; the select carries
      // its name as aria-label (records.admin.label_inputs): give the picker the same.
      var named = select.getAttribute("aria-label");
      if (!named) return;
      combo.setAttribute("aria-label", named);
      var inner = combo.querySelector('[role="textbox"]');
      if (inner && !inner.hasAttribute("aria-label")) inner.setAttribute("aria-label", named);
      return;
    }
    if (!label.id) label.id = select.id + "-label";
    var ids = (combo.getAttribute("aria-labelledby") || "").split(" ");
    if (ids.indexOf(label.id) === -1) {
      combo.setAttribute("aria-labelledby", [label.id].concat(ids).join(" ").trim());
    }
    // The read-only "textbox" inside, which shows the choice, is empty until one is made.
    var shown = combo.querySelector('[role="textbox"]');
    if (shown && !shown.hasAttribute("aria-labelledby")) {
      shown.setAttribute("aria-labelledby", label.id);
    }
  }
  function nameAll() {
    document.querySelectorAll("select.admin-autocomplete").forEach(name);
  }
  new MutationObserver(function (changes) {
    var built = changes.some(function (change) {
      return Array.prototype.some.call(change.addedNodes, function (node) {
        return node.classList && node.classList.contains("select2-container");
      });
    });
    if (built) nameAll();
  }).observe(document.documentElement, { childList: true, subtree: true });
  document.addEventListener("DOMContentLoaded", nameAll);
})();
