/* Progressive enhancement for the refill steps; every step works without it.
   - The delivery choice shows only the fieldset of the chosen way (mail or pick-up).
   - A confirm form is submitted once: later clicks are ignored while the first is on its way
     (the server's idempotency key makes a second submit harmless anyway). */
(function () {
  "use strict";

  var choice = document.querySelector(".rx-choice");
  if (choice) {
    var radios = choice.querySelectorAll("input[name=fulfilment]");
    var sync = function () {
      var chosen = choice.querySelector("input[name=fulfilment]:checked");
      choice.querySelectorAll("[data-fulfilment]").forEach(function (set) {
        set.hidden = Boolean(chosen) && set.getAttribute("data-fulfilment") !== chosen.value;
      });
    };
    radios.forEach(function (radio) {
      radio.addEventListener("change", sync);
    });
    sync();
  }

  document.querySelectorAll("form[data-once]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (form.getAttribute("data-submitting")) {
        event.preventDefault();
        return;
      }
      form.setAttribute("data-submitting", "1");
      var button = event.submitter;
      if (button && button.getAttribute("data-busy")) {
        button.setAttribute("aria-disabled", "true");
        button.textContent = button.getAttribute("data-busy");
      }
    });
  });
})();
