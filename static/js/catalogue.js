// The Atlaas catalogue with htmx: after the results change, say how many there are to screen
// readers (the counter is replaced, so a live region of its own would not speak), and give the
// focus to the results when the link that had it is gone.
(function () {
  "use strict";

  document.addEventListener("htmx:afterSettle", function (event) {
    if (!event.detail.target || event.detail.target.id !== "catalogue") {
      return;
    }
    var titre = document.getElementById("resultats-titre");
    var annonce = document.getElementById("annonce");
    if (titre && annonce) {
      annonce.textContent = "";
      window.setTimeout(function () {
        annonce.textContent = titre.textContent.replace(/\s+/g, " ").trim();
      }, 50);
    }
    if (!document.activeElement || document.activeElement === document.body) {
      var resultats = document.getElementById("resultats");
      if (resultats) {
        resultats.focus({ preventScroll: true });
      }
    }
  });
})();
