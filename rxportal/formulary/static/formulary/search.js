/* Drug search: suggestions as you type, as an ARIA 1.2 combobox (editable, list autocomplete).

   Progressive enhancement: without JavaScript the box is a plain text field and the form
   submits to the results page. With it, the field becomes role="combobox" controlling the
   listbox below it; focus stays in the field and aria-activedescendant points at the active
   option.

   Keys: Down / Up move through the suggestions (Alt+Down opens them), Enter opens the active
   suggestion's drug page (with none active it submits the search), Escape closes the list
   (and clears the field when the list is already closed), Tab closes it. Requests wait for a
   pause in typing (debounced), at least 2 characters, and an older answer never replaces a
   newer one. A polite live region announces how many suggestions there are; its messages
   come translated in the form's data-* attributes. */
(function () {
  "use strict";

  var DEBOUNCE_MS = 200;
  var MAX_CHARS = 80;

  var form = document.querySelector("form.drug-search[data-suggest-url]");
  if (!form || !window.fetch || !window.JSON) {
    return;
  }
  var input = form.elements.q;
  var listbox = document.getElementById("drug-suggestions");
  var status = document.getElementById("drug-suggestions-status");
  if (!input || !listbox || !status) {
    return;
  }
  var suggestUrl = form.getAttribute("data-suggest-url");
  var minChars = parseInt(form.getAttribute("data-min-chars"), 10) || 2;

  var options = []; // [{element, url}]
  var active = -1;
  var timer = null;
  var controller = null;
  var latestRequest = 0;
  var lastQuery = null;

  input.setAttribute("role", "combobox");
  input.setAttribute("aria-autocomplete", "list");
  input.setAttribute("aria-expanded", "false");
  input.setAttribute("aria-controls", listbox.id);
  input.setAttribute("maxlength", String(MAX_CHARS));

  function announce(message) {
    // Cleared first so the same count typed twice is announced again.
    status.textContent = "";
    window.setTimeout(function () {
      status.textContent = message || "";
    }, 50);
  }

  function countMessage(count) {
    if (count === 0) {
      return form.getAttribute("data-none");
    }
    if (count === 1) {
      return form.getAttribute("data-one");
    }
    return (form.getAttribute("data-many") || "").replace("{count}", String(count));
  }

  function setActive(index) {
    if (active >= 0 && options[active]) {
      options[active].element.setAttribute("aria-selected", "false");
    }
    active = index;
    if (active >= 0 && options[active]) {
      var element = options[active].element;
      element.setAttribute("aria-selected", "true");
      input.setAttribute("aria-activedescendant", element.id);
      element.scrollIntoView({ block: "nearest" });
    } else {
      input.removeAttribute("aria-activedescendant");
    }
  }

  function isOpen() {
    return !listbox.hidden;
  }

  function close() {
    setActive(-1);
    listbox.hidden = true;
    input.setAttribute("aria-expanded", "false");
  }

  function open() {
    if (options.length) {
      listbox.hidden = false;
      input.setAttribute("aria-expanded", "true");
    }
  }

  function choose(index) {
    var option = options[index];
    if (option) {
      close();
      window.location.assign(option.url);
    }
  }

  function render(results) {
    setActive(-1);
    listbox.textContent = "";
    options = [];
    results.forEach(function (result, index) {
      var item = document.createElement("li");
      item.id = "drug-suggestion-" + index;
      item.className = "drug-search__option";
      item.setAttribute("role", "option");
      item.setAttribute("aria-selected", "false");
      var name = document.createElement("span");
      name.className = "drug-search__option-name";
      name.textContent = result.name;
      var detail = document.createElement("span");
      detail.className = "drug-search__option-detail";
      detail.textContent = result.detail;
      item.appendChild(name);
      item.appendChild(document.createTextNode(" "));
      item.appendChild(detail);
      // mousedown would move focus out of the field and close the list before the click.
      item.addEventListener("mousedown", function (event) {
        event.preventDefault();
      });
      item.addEventListener("click", function () {
        choose(index);
      });
      listbox.appendChild(item);
      options.push({ element: item, url: result.url });
    });
    if (options.length) {
      open();
    } else {
      close();
    }
    announce(countMessage(options.length));
  }

  function fetchSuggestions(query) {
    if (controller) {
      controller.abort();
    }
    controller = window.AbortController ? new window.AbortController() : null;
    var request = ++latestRequest;
    var url = suggestUrl + "?q=" + encodeURIComponent(query);
    window
      .fetch(url, {
        headers: { Accept: "application/json" },
        credentials: "same-origin",
        signal: controller ? controller.signal : undefined,
      })
      .then(function (response) {
        if (!response.ok) {
          throw new Error("HTTP " + response.status);
        }
        return response.json();
      })
      .then(function (data) {
        if (request === latestRequest) {
          render(data.results || []);
        }
      })
      .catch(function (error) {
        if (error && error.name === "AbortError") {
          return;
        }
        if (request === latestRequest) {
          options = [];
          listbox.textContent = "";
          close();
          announce(form.getAttribute("data-failed"));
        }
      });
  }

  function onInput() {
    var query = input.value.trim();
    window.clearTimeout(timer);
    setActive(-1);
    if (query.length < minChars) {
      latestRequest++;
      if (controller) {
        controller.abort();
      }
      lastQuery = null;
      options = [];
      listbox.textContent = "";
      close();
      status.textContent = "";
      return;
    }
    if (query === lastQuery) {
      open();
      return;
    }
    timer = window.setTimeout(function () {
      lastQuery = query;
      fetchSuggestions(query);
    }, DEBOUNCE_MS);
  }

  input.addEventListener("input", onInput);

  input.addEventListener("keydown", function (event) {
    switch (event.key) {
      case "ArrowDown":
      case "Down":
        if (!options.length) {
          return;
        }
        event.preventDefault();
        if (!isOpen()) {
          open();
          if (event.altKey) {
            return;
          }
        }
        setActive(active < options.length - 1 ? active + 1 : 0);
        break;
      case "ArrowUp":
      case "Up":
        if (!options.length) {
          return;
        }
        event.preventDefault();
        open();
        setActive(active > 0 ? active - 1 : options.length - 1);
        break;
      case "Enter":
        if (isOpen() && active >= 0) {
          event.preventDefault();
          choose(active);
        }
        break;
      case "Escape":
      case "Esc":
        if (isOpen()) {
          event.preventDefault();
          close();
        } else if (input.value) {
          event.preventDefault();
          input.value = "";
          onInput();
        }
        break;
      case "Tab":
        close();
        break;
      default:
        break;
    }
  });

  input.addEventListener("blur", function () {
    close();
  });

  input.addEventListener("focus", function () {
    if (options.length && input.value.trim() === lastQuery) {
      open();
    }
  });
})();
