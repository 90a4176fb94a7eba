// Column choice for tables (conventions: static/css/app.css, "tables").
// A table with data-cols="<key>" gets a 列 / Columns chooser above it: one checkbox per column. Columns whose
// heading has class "opt" start hidden. A reader's choice is kept in localStorage under "cols:<key>" as the
// differences from the defaults ({on: [...], off: [...]}, by the heading's data-col or its position), so
// columns added later still show their default. Without this script the default columns show.
// Tables a template left unwrapped get a scrolling wrapper, so the page itself never scrolls sideways.
(function () {
  'use strict';

  function colKey(th, i) { return th.getAttribute('data-col') || String(i); }

  function load(key) {
    try {
      var v = JSON.parse(window.localStorage.getItem(key) || 'null');
      return v && Array.isArray(v.on) && Array.isArray(v.off) ? v : {on: [], off: []};
    } catch (e) { return {on: [], off: []}; }
  }

  function save(key, state) {
    try { window.localStorage.setItem(key, JSON.stringify(state)); } catch (e) { /* private mode: not kept */ }
  }

  // every row's cells by column position, colspans counted
  function cellsAt(table, index) {
    var out = [];
    Array.prototype.forEach.call(table.rows, function (row) {
      var pos = 0;
      for (var c = 0; c < row.cells.length; c++) {
        var cell = row.cells[c], span = cell.colSpan || 1;
        if (span === 1 && pos === index) { out.push(cell); break; }
        pos += span;
        if (pos > index) break;
      }
    });
    return out;
  }

  function setup(table, words) {
    if (!table.tHead || !table.tHead.rows.length) return;
    var storeKey = 'cols:' + table.getAttribute('data-cols');
    var heads = Array.prototype.slice.call(table.tHead.rows[0].cells);
    var state = load(storeKey);

    function shown(th, i) {
      var k = colKey(th, i);
      return th.classList.contains('opt') ? state.on.indexOf(k) >= 0 : state.off.indexOf(k) < 0;
    }

    function apply() {
      heads.forEach(function (th, i) {
        var on = shown(th, i), optional = th.classList.contains('opt');
        cellsAt(table, i).forEach(function (cell) {
          cell.classList.toggle('col-on', optional && on);
          cell.classList.toggle('col-off', !optional && !on);
        });
      });
    }

    var details = document.createElement('details');
    details.className = 'col-chooser';
    var summary = document.createElement('summary');
    details.appendChild(summary);
    var list = document.createElement('div');
    list.className = 'col-list';
    details.appendChild(list);

    function label() {
      var hidden = heads.filter(function (th, i) { return !shown(th, i); }).length;
      summary.textContent = words.label + (hidden ? ' · ' + words.hidden.replace('{n}', hidden) : '');
    }

    heads.forEach(function (th, i) {
      var name = th.textContent.trim();
      if (!name) return;  // an unnamed column (buttons) always shows
      var row = document.createElement('label');
      var box = document.createElement('input');
      box.type = 'checkbox';
      box.checked = shown(th, i);
      box.addEventListener('change', function () {
        var k = colKey(th, i), optional = th.classList.contains('opt');
        var list = optional ? state.on : state.off, want = optional ? box.checked : !box.checked;
        var at = list.indexOf(k);
        if (want && at < 0) list.push(k);
        if (!want && at >= 0) list.splice(at, 1);
        save(storeKey, state); apply(); label();
      });
      row.appendChild(box);
      row.appendChild(document.createTextNode(name));
      list.appendChild(row);
    });
    var reset = document.createElement('button');
    reset.type = 'button';
    reset.className = 'button col-reset';
    reset.textContent = words.reset;
    reset.addEventListener('click', function () {
      state = {on: [], off: []};
      save(storeKey, state);
      list.querySelectorAll('input').forEach(function (box, n) {
        var named = heads.filter(function (th) { return th.textContent.trim(); });
        box.checked = shown(named[n], heads.indexOf(named[n]));
      });
      apply(); label();
    });
    list.appendChild(reset);

    var tools = document.createElement('div');
    tools.className = 'table-tools';
    tools.appendChild(details);
    var anchor = table.closest('.table-wrap') || table;
    anchor.parentNode.insertBefore(tools, anchor);
    label();
    apply();
  }

  function init() {
    document.querySelectorAll('table.rtable').forEach(function (t) {
      if (t.closest('.table-wrap, .matrix-wrap')) return;
      var wrap = document.createElement('div');
      wrap.className = 'table-wrap';
      t.parentNode.insertBefore(wrap, t);
      wrap.appendChild(t);
    });
    var body = document.body;
    var words = {label: body.getAttribute('data-cols-label') || 'Columns',
                 hidden: body.getAttribute('data-cols-hidden') || '{n} hidden',
                 reset: body.getAttribute('data-cols-reset') || 'Default columns'};
    document.querySelectorAll('table[data-cols]').forEach(function (t) { setup(t, words); });
  }

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', init);
  else init();
})();
