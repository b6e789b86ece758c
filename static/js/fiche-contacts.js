// Adds an « Ajouter un contact » button to the contacts of a fiche action form. Without
// JavaScript the form keeps working: an empty row waits after the contacts at each save.
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    var rows = document.querySelector("[data-formset='contacts']");
    var model = document.getElementById("contacts-modele");
    var total = document.getElementById("id_contacts-TOTAL_FORMS");
    if (!rows || !model || !total) {
      return;
    }
    var button = document.createElement("button");
    button.type = "button";
    button.className = "secondary";
    button.textContent = rows.dataset.addLabel;
    button.addEventListener("click", function () {
      var index = parseInt(total.value, 10);
      var html = model.innerHTML
        .replace(/__prefix__/g, String(index))
        .replace(/__numero__/g, String(index + 1));
      rows.insertAdjacentHTML("beforeend", html);
      total.value = String(index + 1);
      var first = rows.lastElementChild.querySelector("input:not([type='hidden'])");
      if (first) {
        first.focus();
      }
    });
    rows.insertAdjacentElement("afterend", button);
  });
})();
