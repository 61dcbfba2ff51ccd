/*
 * Idle-session warning (progressive enhancement; CSP-safe: no inline code, no eval).
 *
 * The server signs a session out after 15 minutes without activity and 12 hours after sign-in
 * (rxportal/accounts/session_timeouts.py), with or without this script. This script only warns:
 * two minutes before the end it opens the <dialog id="session-timeout"> (role="alertdialog"),
 * moves focus to "Stay signed in", keeps focus inside while open, and puts focus back where it
 * was when closed. "Stay signed in" (or Escape) POSTs to the keep-alive endpoint. When the time
 * is up it asks the status endpoint (which does not count as activity) and goes to the sign-in
 * page only if the server agrees the session has ended.
 *
 * Every figure comes from data attributes on the dialog: seconds left when the page was made.
 * Other tabs of the same site share the newest deadline through localStorage.
 */
(function () {
  "use strict";

  var dialog = document.getElementById("session-timeout");
  if (!dialog || typeof dialog.showModal !== "function" || !window.fetch) {
    return;
  }

  var STORAGE_KEY = "rxportal.session.idleDeadline";
  var data = dialog.dataset;
  var warningMs = seconds(data.warningSeconds, 120) * 1000;
  var statusUrl = data.statusUrl;
  var signInUrl = data.signInUrl;
  var keepAliveForm = dialog.querySelector("form[data-keep-alive]");
  var stayButton = dialog.querySelector("[data-stay]");
  var signOutButton = dialog.querySelector("[data-sign-out]");
  var problem = dialog.querySelector("[data-problem]");
  var idleText = dialog.querySelector('[data-when="idle"]');
  var absoluteText = dialog.querySelector('[data-when="absolute"]');
  var countdowns = dialog.querySelectorAll("[data-countdown]");

  var loadedAt = Date.now();
  var idleDeadline = loadedAt + seconds(data.idleRemainingSeconds, 900) * 1000;
  var absoluteDeadline = loadedAt + seconds(data.absoluteRemainingSeconds, 43200) * 1000;
  var warnTimer = null;
  var endTimer = null;
  var tickTimer = null;
  var returnFocusTo = null;
  var busy = false;

  function seconds(value, fallback) {
    var number = parseInt(value, 10);
    return isFinite(number) && number >= 0 ? number : fallback;
  }

  function sharedDeadline() {
    try {
      return parseInt(window.localStorage.getItem(STORAGE_KEY), 10) || 0;
    } catch (error) {
      return 0;
    }
  }

  function shareDeadline(value) {
    try {
      if (value > sharedDeadline()) {
        window.localStorage.setItem(STORAGE_KEY, String(value));
      }
    } catch (error) {
      /* storage unavailable (private mode): each tab keeps its own deadline */
    }
  }

  function adoptSharedDeadline() {
    var shared = sharedDeadline();
    if (shared > idleDeadline) {
      idleDeadline = Math.min(shared, absoluteDeadline);
      return true;
    }
    return false;
  }

  function deadline() {
    return Math.min(idleDeadline, absoluteDeadline);
  }

  function clearTimers() {
    window.clearTimeout(warnTimer);
    window.clearTimeout(endTimer);
    window.clearInterval(tickTimer);
    warnTimer = endTimer = tickTimer = null;
  }

  function schedule() {
    clearTimers();
    var now = Date.now();
    var end = deadline();
    warnTimer = window.setTimeout(warn, Math.max(0, end - warningMs - now));
    endTimer = window.setTimeout(checkWithServer, Math.max(0, end - now) + 1000);
  }

  function formatRemaining(ms) {
    var total = Math.max(0, Math.ceil(ms / 1000));
    var minutes = Math.floor(total / 60);
    var rest = total % 60;
    return minutes + ":" + (rest < 10 ? "0" : "") + rest;
  }

  function tick() {
    var text = formatRemaining(deadline() - Date.now());
    for (var i = 0; i < countdowns.length; i += 1) {
      countdowns[i].textContent = text;
    }
  }

  function warn() {
    if (adoptSharedDeadline() && deadline() - Date.now() > warningMs) {
      schedule(); // another tab was active: not time to warn yet
      return;
    }
    var absolute = absoluteDeadline <= idleDeadline;
    idleText.hidden = absolute;
    absoluteText.hidden = !absolute;
    keepAliveForm.hidden = absolute; // the 12-hour limit cannot be extended
    problem.hidden = true;
    tick();
    window.clearInterval(tickTimer);
    tickTimer = window.setInterval(tick, 1000);
    if (!dialog.open) {
      returnFocusTo = document.activeElement;
      dialog.showModal();
    }
    (absolute ? signOutButton : stayButton).focus();
  }

  function close() {
    window.clearInterval(tickTimer);
    tickTimer = null;
    if (dialog.open) {
      dialog.close();
    }
    if (returnFocusTo && typeof returnFocusTo.focus === "function" && document.contains(returnFocusTo)) {
      returnFocusTo.focus();
    }
    returnFocusTo = null;
  }

  function goToSignIn() {
    var here = window.location.pathname + window.location.search;
    var separator = signInUrl.indexOf("?") === -1 ? "?" : "&";
    window.location.assign(signInUrl + separator + "next=" + encodeURIComponent(here));
  }

  function applyTimes(json) {
    var now = Date.now();
    idleDeadline = now + seconds(json.idle_remaining_seconds, 0) * 1000;
    absoluteDeadline = now + seconds(json.absolute_remaining_seconds, 0) * 1000;
    shareDeadline(idleDeadline);
  }

  function request(url, options) {
    options.credentials = "same-origin";
    options.headers = { Accept: "application/json" };
    return window.fetch(url, options).then(function (response) {
      if (response.status === 401) {
        goToSignIn();
        return null;
      }
      if (!response.ok) {
        throw new Error("HTTP " + response.status);
      }
      return response.json();
    });
  }

  function staySignedIn(event) {
    if (event) {
      event.preventDefault();
    }
    if (busy) {
      return;
    }
    busy = true;
    request(keepAliveForm.action, { method: "POST", body: new FormData(keepAliveForm) })
      .then(function (json) {
        if (json) {
          applyTimes(json);
          close();
          schedule();
        }
      })
      .catch(function () {
        problem.hidden = false;
        stayButton.focus();
      })
      .then(function () {
        busy = false;
      });
  }

  function checkWithServer() {
    request(statusUrl, { method: "GET" })
      .then(function (json) {
        if (!json) {
          return;
        }
        applyTimes(json);
        if (deadline() - Date.now() > warningMs) {
          close();
        }
        schedule();
      })
      .catch(function () {
        /* offline: try again shortly; the server has the last word anyway */
        endTimer = window.setTimeout(checkWithServer, 15000);
      });
  }

  keepAliveForm.addEventListener("submit", staySignedIn);

  // Escape closes a modal <dialog>: treat it as "Stay signed in" (unless only sign-out is left).
  dialog.addEventListener("cancel", function (event) {
    event.preventDefault();
    if (!keepAliveForm.hidden) {
      staySignedIn(null);
    }
  });

  // Keep Tab and Shift+Tab inside the dialog (showModal already makes the page behind inert).
  dialog.addEventListener("keydown", function (event) {
    if (event.key !== "Tab") {
      return;
    }
    var focusable = Array.prototype.filter.call(
      dialog.querySelectorAll("button, [href], input:not([type=hidden])"),
      function (element) {
        return !element.disabled && element.offsetParent !== null;
      }
    );
    if (!focusable.length) {
      return;
    }
    var first = focusable[0];
    var last = focusable[focusable.length - 1];
    if (event.shiftKey && document.activeElement === first) {
      event.preventDefault();
      last.focus();
    } else if (!event.shiftKey && document.activeElement === last) {
      event.preventDefault();
      first.focus();
    }
  });

  // Another tab stayed signed in: close this tab's warning and follow the new deadline.
  window.addEventListener("storage", function (event) {
    if (event.key === STORAGE_KEY && adoptSharedDeadline()) {
      if (deadline() - Date.now() > warningMs) {
        close();
      }
      schedule();
    }
  });

  shareDeadline(idleDeadline);
  schedule();
})();
