/* newsproof report: the failing-rows table (filter + paging), copy buttons, print support.
   Data comes from <script type="application/json" id="findings-data">; every value is put in the
   page with textContent, never as markup. Row layout: see "fields" in the data. */
(function () {
  "use strict";
  document.documentElement.classList.add("js");

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  /* ---- copy buttons for reproduce SQL ---- */
  function selectNode(node) {
    var range = document.createRange();
    range.selectNodeContents(node);
    var sel = window.getSelection();
    sel.removeAllRanges();
    sel.addRange(range);
  }
  Array.prototype.forEach.call(document.querySelectorAll("button.copy"), function (button) {
    button.addEventListener("click", function () {
      var source = document.getElementById(button.getAttribute("data-copy"));
      var status = button.parentNode.querySelector(".copy-status");
      if (!source) return;
      var text = source.textContent;
      function fallback() {
        selectNode(source);
        var copied = false;
        try { copied = document.execCommand("copy"); } catch (e) { copied = false; }
        status.textContent = copied ? "Copied" : "Selected: press Ctrl+C";
      }
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(text).then(function () { status.textContent = "Copied"; }, fallback);
      } else {
        fallback();
      }
    });
  });

  /* ---- failing rows ---- */
  var dataNode = document.getElementById("findings-data");
  var body = document.getElementById("findings-body");
  if (!dataNode || !body) return;
  var data = JSON.parse(dataNode.textContent);
  var F = {};
  data.fields.forEach(function (name, i) { F[name] = i; });
  var rows = data.rows;
  var SEVERITY = data.severities;
  var LABELS = ["Severity", "Check", "Location", "Record", "Value", "Message and evidence"];

  function searchText(r) {
    var parts = [data.checks[r[F.check]], SEVERITY[r[F.severity]], r[F.table], r[F.key], r[F.column],
                 r[F.value], r[F.message], r[F.dataset], r[F.file], r[F.line]];
    var ev = r[F.evidence];
    if (ev && ev.s) parts.push(ev.s.join(""));
    return parts.join(" ").toLowerCase();
  }
  var haystack = rows.map(searchText);

  var controls = {
    text: document.getElementById("f-text"),
    severity: document.getElementById("f-severity"),
    check: document.getElementById("f-check"),
    size: document.getElementById("f-size"),
    form: document.getElementById("filters"),
    status: document.getElementById("f-status"),
    info: document.getElementById("p-info"),
    first: document.getElementById("p-first"),
    prev: document.getElementById("p-prev"),
    next: document.getElementById("p-next"),
    last: document.getElementById("p-last")
  };
  var state = { matches: [], page: 0 };

  function chainList(title, chain, cls) {
    var col = el("div", "chain-col " + cls);
    col.appendChild(el("h5", null, title));
    if (Array.isArray(chain)) {
      var ol = el("ol");
      chain.forEach(function (item) { ol.appendChild(el("li", null, item)); });
      col.appendChild(ol);
    } else {
      col.appendChild(el("p", null, chain === null || chain === undefined ? "(none)" : chain));
    }
    return col;
  }

  function evidenceNode(ev) {
    var box = el("div", "evidence");
    if (ev.s) {
      var quote = el("blockquote", "sentence");
      quote.appendChild(document.createTextNode(ev.s[0]));
      if (ev.s[1]) quote.appendChild(el("mark", null, ev.s[1]));
      quote.appendChild(document.createTextNode(ev.s[2]));
      box.appendChild(quote);
    }
    if ("r" in ev || "e" in ev) {
      var chains = el("div", "chains");
      chains.appendChild(chainList("Recorded chain", ev.r, "chain-recorded"));
      chains.appendChild(chainList("Expected chain", ev.e, "chain-expected"));
      box.appendChild(chains);
    }
    if (ev.x) {
      var dl = el("dl");
      ev.x.forEach(function (pair) {
        dl.appendChild(el("dt", null, pair[0]));
        dl.appendChild(el("dd", null, pair[1]));
      });
      box.appendChild(dl);
    }
    return box;
  }

  function rowNode(r) {
    var sev = SEVERITY[r[F.severity]];
    var tr = el("tr", "sev-row-" + r[F.severity]);
    var cells = [];
    for (var i = 0; i < LABELS.length; i++) {
      var td = el("td");
      td.setAttribute("data-label", LABELS[i]);
      cells.push(td);
      tr.appendChild(td);
    }
    cells[0].appendChild(el("span", "badge sev-" + sev, sev));
    cells[1].appendChild(el("code", null, data.checks[r[F.check]]));
    var loc = el("span", "loc", (r[F.file] || "?") + (r[F.line] ? ":" + r[F.line] : ""));
    cells[2].appendChild(loc);
    if (r[F.dataset]) cells[2].appendChild(el("span", "ds", r[F.dataset]));
    var href = r[F.href];
    // Only the report's own article pages are ever linked.
    if (href && /^articles\/[A-Za-z0-9._-]+\/[A-Za-z0-9._-]+\.html(#[A-Za-z0-9._-]+)?$/.test(href)) {
      var link = el("a", "open-article", "Open in article");
      link.setAttribute("href", href);
      cells[2].appendChild(link);
    }
    if (r[F.key] !== null) cells[3].appendChild(el("span", "key", r[F.key]));
    var where = [r[F.table], r[F.column]].filter(function (x) { return x; }).join(" · ");
    if (where) cells[3].appendChild(el("span", "ds", where));
    cells[4].className = "val";
    cells[4].textContent = r[F.value] === null ? "" : String(r[F.value]);
    cells[5].className = "msg";
    cells[5].appendChild(el("span", null, r[F.message]));
    if (r[F.evidence]) cells[5].appendChild(evidenceNode(r[F.evidence]));
    return tr;
  }

  function renderRows(indexes) {
    var fragment = document.createDocumentFragment();
    indexes.forEach(function (i) { fragment.appendChild(rowNode(rows[i])); });
    body.replaceChildren(fragment);
  }

  function pageSize() { return parseInt(controls.size.value, 10) || 50; }
  function pageCount() { return Math.max(1, Math.ceil(state.matches.length / pageSize())); }
  function fmt(n) { return n.toLocaleString("en-US"); }

  function render() {
    var size = pageSize();
    var pages = pageCount();
    state.page = Math.min(Math.max(0, state.page), pages - 1);
    var start = state.page * size;
    var shown = state.matches.slice(start, start + size);
    renderRows(shown);
    var total = state.matches.length;
    controls.status.textContent = total
      ? "Rows " + fmt(start + 1) + "–" + fmt(start + shown.length) + " of " + fmt(total) + " matching" +
        (total < rows.length ? " (of " + fmt(rows.length) + " in this page)" : "")
      : "No row matches the filters.";
    controls.info.textContent = "Page " + fmt(state.page + 1) + " of " + fmt(pages);
    controls.first.disabled = controls.prev.disabled = state.page === 0;
    controls.next.disabled = controls.last.disabled = state.page >= pages - 1;
  }

  function applyFilters() {
    var text = controls.text.value.trim().toLowerCase();
    var sev = controls.severity.value;
    var check = controls.check.value;
    var matches = [];
    for (var i = 0; i < rows.length; i++) {
      if (sev !== "" && String(rows[i][F.severity]) !== sev) continue;
      if (check !== "" && String(rows[i][F.check]) !== check) continue;
      if (text && haystack[i].indexOf(text) === -1) continue;
      matches.push(i);
    }
    state.matches = matches;
    state.page = 0;
    render();
  }

  var typing = null;
  controls.text.addEventListener("input", function () {
    clearTimeout(typing);
    typing = setTimeout(applyFilters, 120);
  });
  [controls.severity, controls.check].forEach(function (c) { c.addEventListener("change", applyFilters); });
  controls.size.addEventListener("change", function () { state.page = 0; render(); });
  controls.form.addEventListener("submit", function (e) { e.preventDefault(); applyFilters(); });
  controls.form.addEventListener("reset", function () { setTimeout(applyFilters, 0); });
  controls.first.addEventListener("click", function () { state.page = 0; render(); });
  controls.prev.addEventListener("click", function () { state.page -= 1; render(); });
  controls.next.addEventListener("click", function () { state.page += 1; render(); });
  controls.last.addEventListener("click", function () { state.page = pageCount() - 1; render(); });

  Array.prototype.forEach.call(document.querySelectorAll("button.show-rows"), function (button) {
    button.addEventListener("click", function () {
      controls.form.reset();
      controls.check.value = button.getAttribute("data-check");
      applyFilters();
      document.getElementById("findings").scrollIntoView();
      controls.check.focus();
    });
  });

  /* Print every row the page holds (not just the current page) and open collapsed sections. */
  var closedDetails = [];
  var printing = false;
  function beforePrint() {
    if (printing) return;
    printing = true;
    renderRows(rows.map(function (_, i) { return i; }));
    closedDetails = Array.prototype.filter.call(document.querySelectorAll("details"), function (d) { return !d.open; });
    closedDetails.forEach(function (d) { d.open = true; });
  }
  function afterPrint() {
    if (!printing) return;
    printing = false;
    closedDetails.forEach(function (d) { d.open = false; });
    closedDetails = [];
    render();
  }
  window.addEventListener("beforeprint", beforePrint);
  window.addEventListener("afterprint", afterPrint);
  var printQuery = window.matchMedia("print");
  printQuery.addEventListener("change", function (e) { if (e.matches) beforePrint(); else afterPrint(); });

  applyFilters();
})();
