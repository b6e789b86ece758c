// The evaluation form saves itself as the juror types (htmx) and can also be sent with its
// buttons (« Enregistrer le brouillon », « Soumettre »). A click while an automatic save is on its
// way would send the page's old version and meet that save as a conflict: the click waits for
// the save to answer (which hands the form its new version). Once the form is sent, no
// automatic save starts; leaving the page sends what was typed since the last save.
(function () {
  "use strict";

  function autosaved(form) {
    return form && form.hasAttribute && form.hasAttribute("data-autosave");
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!autosaved(form)) {
      return;
    }
    if (form.classList.contains("htmx-request")) {
      event.preventDefault();
      var submitter = event.submitter;
      var name = submitter ? submitter.getAttribute("name") : null;
      var action = submitter ? submitter.getAttribute("formaction") : null;
      form.addEventListener(
        "htmx:afterRequest",
        function () {
          var button = submitter && form.contains(submitter) ? submitter : null;
          if (!button && name) {
            button = form.querySelector('button[name="' + name + '"]');
          }
          if (!button && action) {
            button = form.querySelector('button[formaction="' + action + '"]');
          }
          if (button) {
            form.requestSubmit(button);
          } else {
            form.requestSubmit();
          }
        },
        { once: true }
      );
      return;
    }
    form.setAttribute("data-sending", "");
  });

  document.addEventListener("input", function (event) {
    if (autosaved(event.target.form)) {
      event.target.form.setAttribute("data-unsaved", "");
    }
  });
  document.addEventListener("htmx:afterRequest", function (event) {
    var form = event.detail.elt;
    if (form.removeAttribute) {
      form.removeAttribute("data-unsaved");
    }
  });
  window.addEventListener("pagehide", function () {
    document.querySelectorAll("form[data-autosave][data-unsaved]:not([data-sending])").forEach(function (form) {
      navigator.sendBeacon(form.getAttribute("data-hx-post"), new FormData(form));
    });
  });

  document.addEventListener("htmx:beforeRequest", function (event) {
    if (autosaved(event.detail.elt) && event.detail.elt.hasAttribute("data-sending")) {
      event.preventDefault();
    }
  });
})();
