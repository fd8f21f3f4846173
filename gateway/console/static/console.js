// The console's small progressive enhancement; every page works without it.
// - The language menu switches at once when changed (its button stays for keyboard use and
//   for browsers without scripts).
// - A form being sent is marked busy, and its buttons disabled, so a double click sends once.
"use strict";
document.addEventListener("DOMContentLoaded", function () {
  var choice = document.getElementById("language-choice");
  if (choice && choice.form) {
    choice.addEventListener("change", function () { choice.form.requestSubmit(); });
  }
  document.querySelectorAll("form").forEach(function (form) {
    form.addEventListener("submit", function () {
      form.setAttribute("aria-busy", "true");
      window.setTimeout(function () {
        form.querySelectorAll("button").forEach(function (b) { b.disabled = true; });
      }, 0);
    });
  });
});
