/* Pharmacy finder: "Use my location" fills the hidden lat/lon fields and submits the search.
   Progressive enhancement: without JavaScript (or without geolocation) the button stays hidden
   and the ZIP / city search works alone. Coordinates are rounded to 2 decimals (about half a
   mile) before they go into the URL; the server rounds them again. Messages come translated in
   the button's data-* attributes. */
(function () {
  "use strict";

  var button = document.getElementById("use-my-location");
  if (!button || !button.form || !("geolocation" in navigator)) {
    return;
  }
  var form = button.form;
  var status = document.getElementById("location-status");

  function say(message) {
    if (status) {
      status.textContent = message || "";
    }
  }

  button.hidden = false;
  button.addEventListener("click", function () {
    button.disabled = true;
    say(button.getAttribute("data-finding"));
    navigator.geolocation.getCurrentPosition(
      function (position) {
        form.elements.lat.value = position.coords.latitude.toFixed(2);
        form.elements.lon.value = position.coords.longitude.toFixed(2);
        form.elements.location.value = "";
        form.submit();
      },
      function (error) {
        button.disabled = false;
        say(
          error.code === error.PERMISSION_DENIED
            ? button.getAttribute("data-denied")
            : button.getAttribute("data-unavailable")
        );
      },
      { enableHighAccuracy: false, timeout: 15000, maximumAge: 600000 }
    );
  });
})();
