// Forms of a dossier that save themselves (htmx) and can also be sent with their button.
// A member who clicks the button while an automatic save is on its way would send the page's
// old version and meet their own save as a conflict: the click waits for that save to answer
// (which hands the form its new version), and no automatic save starts once the form is sent.
(function () {
  "use strict";

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.hasAttribute("data-autosave")) {
      return;
    }
    if (form.classList.contains("htmx-request")) {
      event.preventDefault();
      var submitter = event.submitter;
      var name = submitter ? submitter.getAttribute("name") : null;
      form.addEventListener(
        "htmx:afterRequest",
        function () {
          // The answer may have replaced the button (a conflict block): use its new copy.
          var button = submitter && form.contains(submitter) ? submitter : null;
          if (!button && name) {
            button = form.querySelector('button[name="' + name + '"]');
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

  // Closing the tab or leaving the page within the autosave delay: send what was typed since
  // the last save with a beacon, which the browser delivers even as the page goes away.
  document.addEventListener("input", function (event) {
    var form = event.target.form;
    if (form && form.hasAttribute("data-autosave")) {
      form.setAttribute("data-unsaved", "");
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
      var data = new FormData(form);
      form.querySelectorAll('input[type="file"]').forEach(function (input) {
        data.delete(input.name);
      });
      navigator.sendBeacon(form.getAttribute("data-hx-post"), data);
    });
  });

  document.addEventListener("htmx:beforeRequest", function (event) {
    var form = event.detail.elt;
    if (form.hasAttribute && form.hasAttribute("data-sending")) {
      event.preventDefault();
    }
  });
})();
