// Shared by the handheld view and the store console: the event stream
// with its reconnects, the server's clock, actions, and texts.
'use strict';
var SCO = (function () {
  var offset = 0; // server clock minus this device's clock, in ms

  function setClock(ts) {
    var t = Date.parse(ts);
    if (!isNaN(t)) offset = t - Date.now();
  }
  function now() { return Date.now() + offset; }

  // wait formats the time since ts as m:ss (h:mm:ss past an hour).
  function wait(ts) {
    var t = Date.parse(ts);
    if (isNaN(t)) return '';
    var s = Math.max(0, Math.floor((now() - t) / 1000));
    var h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), r = s % 60;
    var mm = h ? String(m).padStart(2, '0') : String(m);
    return (h ? h + ':' : '') + mm + ':' + String(r).padStart(2, '0');
  }
  function waitSeconds(ts) {
    var t = Date.parse(ts);
    return isNaN(t) ? 0 : (now() - t) / 1000;
  }

  // waitEl is an element counting the wait since raised, after prefix;
  // showWaits brings every such element up to now (red from a minute).
  function showWait(e) {
    e.textContent = (e.dataset.prefix || '') + wait(e.dataset.raised);
    e.classList.toggle('long', waitSeconds(e.dataset.raised) >= 60);
  }
  function waitEl(tag, cls, raised, prefix) {
    var e = el(tag, cls);
    e.dataset.raised = raised;
    if (prefix) e.dataset.prefix = prefix;
    showWait(e);
    return e;
  }
  function showWaits() { document.querySelectorAll('[data-raised]').forEach(showWait); }

  // keep makes nodes the children of box, in order, keeping every child
  // already there that looks the same (isEqualNode) instead of its new
  // copy: on a busy store a view re-renders several times a second, and
  // a button swapped for its copy between a gloved finger going down and
  // up loses the tap. Call showWaits first, so that the counters of the
  // nodes already there read as those of the new ones.
  function keep(box, nodes) {
    var old = Array.from(box.children);
    nodes = nodes.map(function (n) {
      var i = old.findIndex(function (o) { return o.isEqualNode(n); });
      return i < 0 ? n : old.splice(i, 1)[0];
    });
    nodes.forEach(function (n, i) {
      if (box.children[i] !== n) box.insertBefore(n, box.children[i] || null);
    });
    old.forEach(function (o) { o.remove(); });
  }

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = text;
    return e;
  }

  function newID() {
    var b = new Uint8Array(12);
    crypto.getRandomValues(b);
    return 'web-' + Array.prototype.map.call(b, function (x) { return x.toString(16).padStart(2, '0'); }).join('');
  }

  function toLogin(expired) {
    var next = location.pathname === '/console' ? '/console' : '/';
    location.href = '/login?next=' + next + (expired ? '&expired=1' : '');
  }

  // post sends a JSON action and resolves to {status, body}; a session
  // that has ended goes to the sign-in form.
  function post(url, body) {
    return fetch(url, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(body),
      credentials: 'same-origin'
    }).then(function (r) {
      if (r.status === 401) { toLogin(true); throw new Error('signed out'); }
      return r.json().catch(function () { return {}; }).then(function (j) { return { status: r.status, body: j }; });
    });
  }

  // stream opens the event stream and keeps it open: EventSource retries
  // by itself after a dropped connection; after a refusal (401, 429, 503)
  // it gives up, so stream checks the sign-in and tries again with a
  // growing delay. Every (re)connect starts with a snapshot, from which
  // the view rebuilds everything it shows.
  function stream(url, handlers, onState) {
    var es = null, delay = 1000, timer = null;
    function open() {
      timer = null;
      es = new EventSource(typeof url === 'function' ? url() : url);
      Object.keys(handlers).forEach(function (ev) {
        es.addEventListener(ev, function (e) {
          var v;
          try { v = JSON.parse(e.data); } catch (err) { return; }
          if (ev === 'snapshot') { delay = 1000; onState(true); }
          if (v && v.now) setClock(v.now);
          handlers[ev](v);
        });
      });
      es.addEventListener('bye', function (e) {
        var why = '';
        try { why = JSON.parse(e.data).reason; } catch (err) { /* empty */ }
        es.close();
        onState(false);
        if (why === 'session expired') { toLogin(true); } else { later(); }
      });
      es.onerror = function () {
        onState(false);
        if (es.readyState === EventSource.CLOSED) later();
      };
    }
    function later() {
      if (timer) return;
      fetch('/api/me', { credentials: 'same-origin' }).then(function (r) {
        if (r.status === 401) { toLogin(true); return; }
        timer = setTimeout(open, delay);
        delay = Math.min(delay * 2, 15000);
      }, function () {
        timer = setTimeout(open, delay);
        delay = Math.min(delay * 2, 15000);
      });
    }
    open();
  }

  var LABELS = {
    approve: 'Approve',
    void: 'Void item',
    age_ok: 'Age OK',
    age_refused: 'Refuse sale',
    clear: 'Done',
    out_of_service: 'Close lane',
    in_service: 'Open lane'
  };
  function label(a) { return LABELS[a] || a; }

  var STATUS = { available: 'Available', busy: 'Busy', 'break': 'On break', offline: 'Off shift' };
  function statusText(s) { return STATUS[s] || s; }

  // confirmDialog asks before a step that cannot be undone.
  function confirmDialog(text, yes, onYes) {
    var box = document.getElementById('confirm');
    if (!box) {
      box = el('div', 'modal');
      box.id = 'confirm';
      box.setAttribute('role', 'dialog');
      box.setAttribute('aria-modal', 'true');
      var inner = el('div', 'box'), p = el('p'), y0 = el('button', 'big danger'), n = el('button', 'big', 'Cancel');
      p.id = 'confirm-text';
      y0.id = 'confirm-yes';
      n.id = 'confirm-no';
      y0.type = n.type = 'button';
      inner.append(p, y0, n);
      box.append(inner);
      document.body.append(box);
    }
    document.getElementById('confirm-text').textContent = text;
    var y = document.getElementById('confirm-yes');
    y.textContent = yes;
    box.hidden = false;
    function close() { box.hidden = true; y.onclick = null; }
    y.onclick = function () { close(); onYes(); };
    document.getElementById('confirm-no').onclick = close;
  }

  // kindText is the human text of a kind from the snapshot's kinds, with a
  // capital; an unknown kind shows as its name, as the contract asks.
  function kindText(kinds, k) {
    var t = kinds[k];
    return t ? t.charAt(0).toUpperCase() + t.slice(1) : k;
  }
  // name is an attendant's name from a map of attendants, else the id.
  function name(attendants, id) {
    var a = attendants.get(id);
    return a && a.name ? a.name : id;
  }

  return {
    kindText: kindText, name: name,
    waitEl: waitEl, showWaits: showWaits, keep: keep,
    el: el, newID: newID, post: post, stream: stream, label: label,
    statusText: statusText, confirmDialog: confirmDialog
  };
})();
