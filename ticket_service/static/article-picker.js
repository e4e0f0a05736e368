// Desk article picker: filter the checkboxes as the technician types. Without this file the list and its
// « Filtrer » button (a GET of the page) still work; a checked article always stays in sight.
"use strict";
document.addEventListener("DOMContentLoaded", function () {
  var picker = document.getElementById("article-picker");
  var input = document.getElementById("article-filter");
  if (!picker || !input) { return; }
  var items = Array.prototype.slice.call(picker.querySelectorAll(".picker-item"));
  var count = document.querySelector("#article-count span");
  var none = document.getElementById("article-none");
  var button = document.getElementById("article-filter-button");
  if (button) { button.hidden = true; }
  // The server folds data-search the same way (search.analysis.fold): lower case, no accents, straight apostrophes.
  var fold = function (text) {
    return text.replace(/[\u2019\u02bc]/g, "'").normalize("NFKD").replace(/[\u0300-\u036f]/g, "").toLowerCase();
  };
  var apply = function () {
    var words = fold(input.value).split(/\s+/).filter(function (word) { return word; });
    var shown = 0;
    items.forEach(function (item) {
      var text = item.getAttribute("data-search") || "";
      var match = words.every(function (word) { return text.indexOf(word) !== -1; });
      item.hidden = !(match || item.querySelector("input").checked);
      if (!item.hidden) { shown += 1; }
    });
    if (count) { count.textContent = String(shown); }
    if (none) { none.hidden = shown > 0; }
  };
  input.addEventListener("input", apply);
  input.addEventListener("keydown", function (event) {
    if (event.key === "Enter") { event.preventDefault(); }  // typing filters; Enter must not reload the page
  });
  apply();
});
