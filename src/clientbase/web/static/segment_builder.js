// The segment rule builder: nested AND/OR groups of rules over the field catalogue the
// page embeds (the segments service's own, as GET /api/v1/segments/fields returns it).
// It keeps the hidden `criteria` input equal to the S6 criteria JSON
//   {"operator": "AND", "rules": [{field, operator, value, timeframe}, {operator, rules}]}
// so the form posts through the service's validation; it asks the server for a live
// preview count as the rules change (debounced) and shows validation errors next to the
// rule their path names (criteria.rules[2].rules[0].value).
(function () {
  "use strict";

  var root = document.getElementById("rule-builder");
  if (!root) return;
  var catalogue = JSON.parse(document.getElementById("segment-fields").textContent);
  var hidden = document.getElementById("criteria-input");
  var fieldset = document.getElementById("rules-fieldset");
  var previewBox = document.getElementById("preview");
  var form = hidden.form;
  var byName = {};
  catalogue.forEach(function (f) { byName[f.field] = f; });

  var GROUP_TITLES = {
    profile: "Profile", address: "Address", metrics: "Purchases and scores",
    purchases: "Bought", custom_fields: "Custom fields",
  };
  var OPERATOR_WORDS = {
    equals: "equals", not_equals: "does not equal", greater_than: "greater than",
    greater_or_equal: "greater than or equal to", less_than: "less than",
    less_or_equal: "less than or equal to", between: "between", in: "is any of",
    not_in: "is none of", contains: "contains", not_contains: "does not contain",
    is_set: "is set", is_not_set: "is not set", within_last_days: "within the last (days)",
    not_within_last_days: "not within the last (days)",
  };
  var TIMEFRAME_WORDS = {
    last_30_days: "in the last 30 days", last_90_days: "in the last 90 days",
    last_365_days: "in the last 365 days", lifetime: "over the whole history",
  };
  var NUMERIC = ["integer", "number", "float"];
  var NO_VALUE = ["is_set", "is_not_set"];
  var DAYS = ["within_last_days", "not_within_last_days"];
  var LISTS = ["in", "not_in"];
  var PREVIEW_DELAY = 400;

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (name) { node.setAttribute(name, attrs[name]); });
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function option(value, text, selected) {
    var node = el("option", { value: value }, text);
    if (selected) node.selected = true;
    return node;
  }

  function button(text, cls) {
    return el("button", { type: "button", class: "compact " + (cls || "secondary outline") }, text);
  }

  function isGroup(node) {
    return node && typeof node === "object" &&
      ("rules" in node || (!("field" in node) && "operator" in node));
  }

  // -- values ------------------------------------------------------------------------
  function numberOrText(text) {
    var raw = String(text).trim();
    if (raw === "") return null;
    return /^-?\d+(\.\d+)?([eE][-+]?\d+)?$/.test(raw) ? Number(raw) : raw;
  }

  function scalarFrom(field, text) {
    if (NUMERIC.indexOf(field.type) !== -1) return numberOrText(text);
    if (field.type === "boolean") return text === "" ? null : text === "true";
    var raw = String(text).trim();
    return raw === "" ? null : raw;
  }

  function asText(value) {
    if (value === null || value === undefined) return "";
    return String(value);
  }

  // One scalar input fitting the field's type; `label` names it for screen readers.
  function scalarInput(field, value, label) {
    var input;
    if (field.type === "boolean") {
      input = el("select", { "aria-label": label });
      input.appendChild(option("", "Choose…", value === undefined || value === null));
      input.appendChild(option("true", "Yes", value === true));
      input.appendChild(option("false", "No", value === false));
      return input;
    }
    if (field.options && field.options.length) {
      input = el("select", { "aria-label": label });
      input.appendChild(option("", "Choose…", !value));
      field.options.forEach(function (o) { input.appendChild(option(o, o, o === value)); });
      if (value && field.options.indexOf(value) === -1) input.appendChild(option(value, value, true));
      return input;
    }
    var type = "text";
    if (NUMERIC.indexOf(field.type) !== -1) type = "number";
    var text = asText(value);
    if ((field.type === "date" || field.type === "datetime") && text.length <= 10) type = "date";
    input = el("input", { type: type, "aria-label": label });
    if (type === "number") input.setAttribute("step", field.type === "integer" ? "1" : "any");
    input.value = text;
    return input;
  }

  // The value part of a rule: {node, read()} for the field and operator.
  function valueWidget(field, operator, value) {
    var box = el("span", { class: "rule-value" });
    if (!field || !operator || NO_VALUE.indexOf(operator) !== -1) {
      return { node: box, read: function () { return undefined; } };
    }
    if (DAYS.indexOf(operator) !== -1) {
      var days = el("input", { type: "number", min: "0", step: "1", "aria-label": "Number of days" });
      days.value = asText(value);
      box.appendChild(days);
      box.appendChild(el("span", { class: "unit" }, "days"));
      return { node: box, read: function () { return numberOrText(days.value); } };
    }
    if (operator === "between") {
      var pair = Array.isArray(value) ? value : [];
      var low = scalarInput(field, pair[0], "From");
      var high = scalarInput(field, pair[1], "To");
      box.appendChild(low);
      box.appendChild(el("span", { class: "unit" }, "and"));
      box.appendChild(high);
      return {
        node: box,
        read: function () {
          var a = scalarFrom(field, low.value), b = scalarFrom(field, high.value);
          return a === null && b === null ? null : [a, b];
        },
      };
    }
    if (LISTS.indexOf(operator) !== -1) {
      var values = Array.isArray(value) ? value : (value === undefined || value === null ? [] : [value]);
      if (field.options && field.options.length) {
        var many = el("select", { multiple: "", "aria-label": "Values", size: String(Math.min(field.options.length, 5)) });
        field.options.forEach(function (o) { many.appendChild(option(o, o, values.indexOf(o) !== -1)); });
        box.appendChild(many);
        return {
          node: box,
          read: function () {
            var chosen = Array.prototype.filter.call(many.options, function (o) { return o.selected; })
              .map(function (o) { return o.value; });
            return chosen.length ? chosen : null;
          },
        };
      }
      var list = el("input", { type: "text", "aria-label": "Values", placeholder: "Separate values with commas" });
      list.value = values.map(asText).join(", ");
      box.appendChild(list);
      return {
        node: box,
        read: function () {
          var items = list.value.split(",").map(function (t) { return scalarFrom(field, t); })
            .filter(function (v) { return v !== null; });
          return items.length ? items : null;
        },
      };
    }
    var input = scalarInput(field, value, "Value");
    box.appendChild(input);
    return { node: box, read: function () { return scalarFrom(field, input.value); } };
  }

  // -- rules and groups --------------------------------------------------------------
  function fieldSelect(name) {
    var select = el("select", { "aria-label": "Field", class: "rule-field" });
    select.appendChild(option("", "Choose a field…", !name));
    var groups = {};
    catalogue.forEach(function (f) {
      if (!groups[f.group]) {
        groups[f.group] = el("optgroup", { label: GROUP_TITLES[f.group] || f.group });
        select.appendChild(groups[f.group]);
      }
      groups[f.group].appendChild(option(f.field, f.label, f.field === name));
    });
    if (name && !byName[name]) select.appendChild(option(name, name + " (not available)", true));
    return select;
  }

  function makeRule(rule) {
    var li = el("li", { class: "rule" });
    var fieldSel = fieldSelect(rule.field);
    var opSel = el("select", { "aria-label": "Operator", class: "rule-operator" });
    var tfSel = el("select", { "aria-label": "Timeframe", class: "rule-timeframe" });
    var remove = button("Remove rule");
    remove.setAttribute("data-remove", "rule");
    var errors = el("small", { class: "field-error rule-error", hidden: "" });
    var state = { widget: valueWidget(null) };
    li.append(fieldSel, opSel, state.widget.node, tfSel, remove, errors);

    function current() {
      var read = state.widget.read();
      return read === undefined ? undefined : read;
    }

    function setOperators(field, wanted) {
      opSel.textContent = "";
      var ops = field ? field.operators : [];
      if (!field && wanted) ops = [wanted];
      ops.forEach(function (op) { opSel.appendChild(option(op, OPERATOR_WORDS[op] || op, op === wanted)); });
      if (wanted && ops.indexOf(wanted) === -1) opSel.appendChild(option(wanted, wanted, true));
      opSel.disabled = ops.length === 0 && !wanted;
    }

    function setTimeframes(field, wanted) {
      tfSel.textContent = "";
      var frames = field ? field.timeframes : [];
      tfSel.hidden = frames.length === 0 && !wanted;
      tfSel.appendChild(option("", "as stored on the profile", !wanted));
      frames.forEach(function (t) { tfSel.appendChild(option(t, TIMEFRAME_WORDS[t] || t, t === wanted)); });
      if (wanted && frames.indexOf(wanted) === -1) tfSel.appendChild(option(wanted, wanted, true));
    }

    function setValue(field, value) {
      var next = valueWidget(field, opSel.value, value);
      li.replaceChild(next.node, state.widget.node);
      state.widget = next;
    }

    function keepable(value, operator) {
      // A value carries over between operators of the same shape only.
      if (value === undefined || value === null) return undefined;
      var list = LISTS.indexOf(operator) !== -1 || operator === "between";
      return Array.isArray(value) === list ? value : undefined;
    }

    var field = byName[rule.field];
    setOperators(field, rule.operator || (field ? field.operators[0] : ""));
    setTimeframes(field, rule.timeframe);
    setValue(field, rule.value);

    fieldSel.addEventListener("change", function () {
      var f = byName[fieldSel.value];
      var op = f && f.operators.indexOf(opSel.value) !== -1 ? opSel.value : (f ? f.operators[0] : "");
      setOperators(f, op);
      setTimeframes(f, f && f.timeframes.indexOf(tfSel.value) !== -1 ? tfSel.value : "");
      setValue(f, undefined);
    });
    opSel.addEventListener("change", function () {
      setValue(byName[fieldSel.value], keepable(current(), opSel.value));
    });

    li.serialise = function (path) {
      li.setAttribute("data-path", path);
      var out = { field: fieldSel.value, operator: opSel.value };
      var value = current();
      if (value !== undefined && value !== null) out.value = value;
      if (!tfSel.hidden && tfSel.value) out.timeframe = tfSel.value;
      return out;
    };
    li.errorBox = errors;
    return li;
  }

  function makeGroup(node, isRoot) {
    var group = el("fieldset", { class: "rule-group" + (isRoot ? " root-group" : "") });
    var head = el("div", { class: "group-head" });
    var match = el("select", { "aria-label": "Match", class: "group-operator" });
    match.appendChild(option("AND", "All of these (AND)", node.operator !== "OR"));
    match.appendChild(option("OR", "Any of these (OR)", node.operator === "OR"));
    head.append(el("span", {}, "Match"), match);
    if (!isRoot) {
      var remove = button("Remove group");
      remove.setAttribute("data-remove", "group");
      head.appendChild(remove);
    }
    var list = el("ol", { class: "rule-list" });
    (node.rules || []).forEach(function (child) { list.appendChild(makeItem(child)); });
    var errors = el("small", { class: "field-error rule-error", hidden: "" });
    var actions = el("div", { class: "group-actions" });
    var addRule = button("Add rule", "secondary");
    var addGroup = button("Add group");
    addRule.setAttribute("data-add", "rule");
    addGroup.setAttribute("data-add", "group");
    actions.append(addRule, addGroup);
    group.append(head, list, errors, actions);

    group.serialise = function (path) {
      group.setAttribute("data-path", path);
      var rules = [];
      Array.prototype.forEach.call(list.children, function (item, i) {
        rules.push(item.serialise(path + ".rules[" + i + "]"));
      });
      return { operator: match.value, rules: rules };
    };
    group.errorBox = errors;
    group.list = list;
    return group;
  }

  function makeItem(node) {
    if (!isGroup(node)) return makeRule(node || {});
    var li = el("li", { class: "group-item" });
    var group = makeGroup(node, false);
    li.appendChild(group);
    li.serialise = function (path) { return group.serialise(path); };
    return li;
  }

  // -- errors --------------------------------------------------------------------------
  function clearErrors() {
    root.querySelectorAll(".rule-error").forEach(function (box) {
      box.textContent = "";
      box.hidden = true;
    });
    root.querySelectorAll("[aria-invalid]").forEach(function (n) { n.removeAttribute("aria-invalid"); });
  }

  // Each error goes to the rule or group its path names (the longest matching prefix).
  function showErrors(errors) {
    clearErrors();
    var nodes = root.querySelectorAll("[data-path]");
    Object.keys(errors || {}).forEach(function (path) {
      var best = null;
      nodes.forEach(function (n) {
        var p = n.getAttribute("data-path");
        if ((path === p || path.indexOf(p + ".") === 0) && (!best || p.length > best.getAttribute("data-path").length)) {
          best = n;
        }
      });
      if (!best) return;
      var rest = path.slice(best.getAttribute("data-path").length + 1);
      var line = el("span", { class: "error-line", "data-error-path": path },
        (rest ? rest + ": " : "") + errors[path].join("; "));
      best.errorBox.hidden = false;
      best.errorBox.appendChild(line);
      var control = best.querySelector(rest === "field" ? ".rule-field" : rest === "operator" ? ".rule-operator" : rest === "timeframe" ? ".rule-timeframe" : ".rule-value input, .rule-value select");
      if (control && best.classList.contains("rule")) control.setAttribute("aria-invalid", "true");
    });
  }

  // -- serialising and the live preview -----------------------------------------------
  var top;
  var timer = null;
  var sequence = 0;

  function serialise() {
    var criteria = top.serialise("criteria");
    hidden.value = JSON.stringify(criteria);
    return criteria;
  }

  function csrfToken() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.content : "";
  }

  function businessId() {
    var select = form.querySelector("[data-segment-business]");
    return select ? select.value : "";
  }

  function changed() {
    var criteria = serialise();
    clearErrors();
    window.clearTimeout(timer);
    if (!criteria.rules.length) {
      sequence += 1;
      previewBox.removeAttribute("aria-busy");
      previewBox.innerHTML = "";
      previewBox.appendChild(el("p", { class: "empty" }, "Add a rule to see how many customers match."));
      return;
    }
    timer = window.setTimeout(preview, PREVIEW_DELAY);
  }

  function preview() {
    if (fieldset && fieldset.disabled) return;
    var mine = ++sequence;
    var body = new FormData();
    body.append("criteria", hidden.value);
    body.append("business_id", businessId());
    previewBox.setAttribute("aria-busy", "true");
    fetch("/segments/preview", {
      method: "POST",
      body: body,
      credentials: "same-origin",
      headers: { "X-CSRF-Token": csrfToken(), "HX-Request": "true" },
    }).then(function (response) {
      var redirect = response.headers.get("HX-Redirect");
      if (redirect) {
        window.location.assign(redirect);
        return null;
      }
      return response.text();
    }).then(function (html) {
      if (html === null || mine !== sequence) return;
      previewBox.removeAttribute("aria-busy");
      previewBox.innerHTML = html;
      var invalid = previewBox.querySelector("[data-preview-errors]");
      if (invalid) showErrors(JSON.parse(invalid.getAttribute("data-preview-errors")));
    }).catch(function () {
      if (mine !== sequence) return;
      previewBox.removeAttribute("aria-busy");
      previewBox.textContent = "The preview is not available right now.";
    });
  }

  // -- wiring ----------------------------------------------------------------------------
  var initial;
  try {
    initial = JSON.parse(hidden.value || "{}");
  } catch (err) {
    initial = {};
  }
  if (!isGroup(initial)) initial = { operator: "AND", rules: [] };
  top = makeGroup(initial, true);
  root.appendChild(top);
  serialise();
  showErrors(JSON.parse(root.getAttribute("data-errors") || "{}"));
  if (top.list.children.length) preview();
  else changed();

  root.addEventListener("click", function (event) {
    var add = event.target.closest("[data-add]");
    if (add) {
      var group = add.closest(".rule-group");
      var item = add.getAttribute("data-add") === "rule"
        ? makeRule({})
        : makeItem({ operator: "AND", rules: [{}] });
      group.list.appendChild(item);
      item.querySelector("select").focus();
      changed();
      return;
    }
    var remove = event.target.closest("[data-remove]");
    if (remove) {
      var gone = remove.getAttribute("data-remove") === "rule" ? remove.closest("li.rule") : remove.closest("li.group-item");
      var owner = gone.parentElement.closest(".rule-group");
      gone.remove();
      owner.querySelector(":scope > .group-actions [data-add=rule]").focus();
      changed();
    }
  });
  root.addEventListener("change", changed);
  root.addEventListener("input", function (event) {
    if (event.target.matches("input")) changed();
  });

  var typeSelect = form.querySelector("[data-segment-type]");
  if (typeSelect && fieldset) {
    typeSelect.addEventListener("change", function () {
      var isStatic = typeSelect.value === "static";
      fieldset.hidden = isStatic;
      fieldset.disabled = isStatic;
      if (!isStatic) changed();
    });
  }
  var business = form.querySelector("[data-segment-business]");
  if (business) business.addEventListener("change", changed);
  form.addEventListener("submit", function () {
    if (!fieldset || !fieldset.disabled) serialise();
  });
})();
