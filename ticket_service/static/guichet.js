// Progressive enhancement only: every page works without this file.
"use strict";
document.addEventListener("DOMContentLoaded", function () {
  // Queue: one checkbox selects every ticket for a bulk action.
  document.querySelectorAll("input.select-all").forEach(function (box) {
    box.addEventListener("change", function () {
      box.closest("form").querySelectorAll("input[name=ids]").forEach(function (item) { item.checked = box.checked; });
    });
  });
  // Desk comment form: make the public/internal choice visible on the button before sending.
  var form = document.getElementById("comment-form");
  if (form) {
    var internal = form.querySelector("input[name=internal]");
    var button = form.querySelector("button[type=submit]");
    var sync = function () { button.textContent = internal.checked ? "Ajouter la note interne" : "Envoyer au demandeur"; };
    if (document.documentElement.lang === "en") {
      sync = function () { button.textContent = internal.checked ? "Add internal note" : "Send to requester"; };
    }
    internal.addEventListener("change", sync);
    sync();
  }
});
