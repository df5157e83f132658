// Clientbase web UI behaviour. Loaded as a file: the CSP allows no inline script.
(function () {
  "use strict";

  function csrfToken() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.content : "";
  }

  // htmx requests carry the CSRF token as a header (forms also carry it as a field).
  document.addEventListener("htmx:configRequest", function (event) {
    event.detail.headers["X-CSRF-Token"] = csrfToken();
  });

  document.addEventListener("htmx:responseError", function () {
    var notice = document.getElementById("notice");
    if (notice) {
      notice.innerHTML = "";
      var p = document.createElement("p");
      p.className = "flash flash-error";
      p.setAttribute("role", "alert");
      p.textContent = "Something went wrong; reload the page and try again.";
      notice.appendChild(p);
    }
  });

  // Content loaded in place of the control that asked for it ("Load more") takes the
  // focus, so keyboard users carry on from the first new row.
  document.addEventListener("htmx:afterSettle", function () {
    var next = document.querySelector("[data-autofocus]");
    if (next) {
      next.removeAttribute("data-autofocus");
      next.focus();
    }
  });

  // Plain (non-htmx) forms and buttons that ask before doing something destructive.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    // Live filtering changes the address; forms that come back here take the current one.
    form.querySelectorAll("[data-current-url]").forEach(function (input) {
      input.value = window.location.pathname + window.location.search;
    });
    var button = event.submitter;
    var message = (button && button.dataset.confirm) || form.dataset.confirm;
    if (message && !form.hasAttribute("hx-post") && !window.confirm(message)) {
      event.preventDefault();
    }
  });

  // The customer form: show the fieldsets for the chosen type; hidden ones are disabled
  // so their inputs are not sent.
  function applyType(select) {
    var type = select.value;
    document.querySelectorAll("[data-for-types]").forEach(function (fieldset) {
      var show = fieldset.dataset.forTypes.split(" ").indexOf(type) !== -1;
      fieldset.hidden = !show;
      fieldset.disabled = !show;
    });
  }

  document.addEventListener("change", function (event) {
    var target = event.target;
    if (target.matches("[data-type-switch]")) {
      applyType(target);
    }
    if (target.matches("[data-select-all]")) {
      var form = target.closest("form");
      form.querySelectorAll('input[name="' + target.dataset.selectAll + '"]').forEach(function (box) {
        box.checked = target.checked;
      });
    }
  });

  // "Reload the dashboard" after a recalculation: on the dashboard itself, reload it in
  // place, keeping the chosen period and the scroll position.
  document.addEventListener("click", function (event) {
    if (event.target.closest("[data-reload-dashboard]") && window.location.pathname === "/") {
      event.preventDefault();
      window.location.reload();
    }
  });

  // Repeatable contact and address rows, cloned from a <template>.
  document.addEventListener("click", function (event) {
    var add = event.target.closest("[data-add-row]");
    if (add) {
      var template = document.getElementById(add.dataset.addRow);
      var rows = document.getElementById(add.dataset.rows);
      var index = parseInt(rows.dataset.nextIndex || "0", 10);
      rows.dataset.nextIndex = String(index + 1);
      var holder = document.createElement("div");
      holder.innerHTML = template.innerHTML.split("__INDEX__").join(String(index));
      var row = holder.firstElementChild;
      rows.appendChild(row);
      var first = row.querySelector("input:not([type=hidden]), select");
      if (first) first.focus();
      return;
    }
    var remove = event.target.closest("[data-remove-row]");
    if (remove) {
      var gone = remove.closest("[data-row]");
      var section = gone.parentElement;
      gone.remove();
      var next = section.parentElement.querySelector("[data-add-row]");
      if (next) next.focus();
    }
  });
})();
