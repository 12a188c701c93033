// The handheld view: shift status, pages with their live wait, and the
// actions on them. Everything shown is rebuilt from the snapshot that
// starts every (re)connect, so a page that closed while the handheld was
// away never shows again.
'use strict';
(function () {
  var el = SCO.el;
  var st = {
    me: null,
    kinds: {},
    pages: new Map(),      // alert id -> page
    alerts: new Map(),     // alert id -> alert
    attendants: new Map(), // id -> status
    msgs: new Map(),       // alert id -> message on its card
    busy: new Set(),       // alert ids with an action under way
    pending: new Map(),    // command id -> alert id (waiting for the lane)
    connected: false
  };
  var armed = false, audio = null, lastRing = 0, wakeLock = null;

  var CONFIRM = {
    'void': function (p) { return 'Void ' + itemName(p, 'the item') + ' from the basket?'; },
    age_refused: function (p) { return 'Refuse the sale of ' + itemName(p, 'the age-restricted items') + '? They are voided from the basket.'; },
    out_of_service: function (p) { return 'Close lane ' + p.lane + '? Shoppers cannot use it until it is opened again.'; }
  };

  function name(id) { return SCO.name(st.attendants, id); }
  function kindText(k) { return SCO.kindText(st.kinds, k); }
  function itemName(p, dflt) {
    var a = st.alerts.get(p.alert);
    return a && a.item && a.item.name ? a.item.name : dflt;
  }

  function reasonText(r) {
    if (!r) return 'withdrawn';
    var m = /^claimed by (.+)$/.exec(r);
    if (m) return name(m[1]) + ' has it';
    switch (r) {
      case 'cancelled by lane': return 'the shopper sorted it out';
      case 'resolved': return 'resolved';
      case 'released': return 'released';
      case 'claim expired': return 'claim expired, paged again';
      case 'not open on the lane': return 'no longer open on the lane';
    }
    return r;
  }

  function errorText(j) {
    var e = j.error || '';
    if (e === 'already claimed') return (j.claimed_by ? name(j.claimed_by) : 'Someone else') + ' has it';
    if (e === 'alert closed' || e === 'unknown alert') return 'This alert is no longer open';
    if (e === 'not paged for this alert') return 'You are not paged for this alert';
    if (e.indexOf('role required') === 0) return 'You are not allowed to do that (' + e + ')';
    if (e === 'resolution pending') return 'The lane is still applying a resolution';
    if (e.indexOf('lane: ') === 0) return 'The lane refused: ' + e.slice(6);
    return e || 'Something went wrong';
  }

  // note shows a short line over the top of the view that fades after a
  // while (the latest two at most); a tap dismisses it.
  function note(text, kind) {
    var n = el('p', 'note ' + (kind || ''), text);
    var box = document.getElementById('notes');
    n.addEventListener('click', function () { n.remove(); });
    box.prepend(n);
    while (box.children.length > 2) box.lastElementChild.remove();
    setTimeout(function () { n.remove(); }, 12000);
  }
  function laneOf(p) { return 'Lane ' + p.lane; }

  // Sound and vibration, armed by the first tap as browsers require.
  function arm() {
    if (armed) return;
    try {
      var AC = window.AudioContext || window.webkitAudioContext;
      if (AC) { audio = new AC(); audio.resume(); }
    } catch (e) { audio = null; }
    armed = true;
    document.getElementById('arm').hidden = true;
  }
  function ring() {
    lastRing = Date.now();
    if (navigator.vibrate) { try { navigator.vibrate([400, 150, 400]); } catch (e) { /* not allowed yet */ } }
    if (!audio) return;
    var t = audio.currentTime;
    [[880, 0], [660, 0.25], [880, 0.5]].forEach(function (n) {
      var o = audio.createOscillator(), g = audio.createGain();
      o.type = 'square';
      o.frequency.value = n[0];
      g.gain.setValueAtTime(0.0001, t + n[1]);
      g.gain.exponentialRampToValueAtTime(0.5, t + n[1] + 0.02);
      g.gain.exponentialRampToValueAtTime(0.0001, t + n[1] + 0.22);
      o.connect(g); g.connect(audio.destination);
      o.start(t + n[1]); o.stop(t + n[1] + 0.24);
    });
  }

  // The screen stays on while the attendant is on shift.
  function keepAwake() {
    var want = st.me && (st.me.status === 'available' || st.me.status === 'busy') && document.visibilityState === 'visible';
    if (want && !wakeLock && navigator.wakeLock) {
      navigator.wakeLock.request('screen').then(function (l) {
        wakeLock = l;
        l.addEventListener('release', function () { wakeLock = null; });
      }, function () { /* not allowed: fine */ });
    } else if (!want && wakeLock) {
      wakeLock.release();
      wakeLock = null;
    }
  }

  function setStatus(s) {
    SCO.post('/api/presence', { status: s }).then(function (r) {
      if (r.status !== 200) { note(r.body.error || 'Status not changed', 'bad'); return; }
      st.me.status = s;
      localStorage.setItem('sco.status', s);
      renderShift();
      keepAwake();
    }, function () { note('No connection: status not changed', 'bad'); });
  }

  function act(p, action, resolution) {
    var id = SCO.newID();
    st.busy.add(p.alert);
    st.msgs.delete(p.alert);
    render();
    SCO.post('/api/cmd', { id: id, alert: p.alert, action: action, resolution: resolution || '' }).then(function (r) {
      st.busy.delete(p.alert);
      var j = r.body;
      if (r.status === 202) {
        st.pending.set(id, p.alert);
        st.msgs.set(p.alert, action === 'resolve' ? 'Sent to the lane, waiting for its answer…' : 'Sent, waiting for the answer…');
      } else if (!j.ok) {
        var text = errorText(j);
        if (st.pages.has(p.alert)) { st.msgs.set(p.alert, text); } else { note(laneOf(p) + ': ' + text); }
      } else if (action === 'claim') {
        var a = st.alerts.get(p.alert);
        if (a) { a.claimed_by = st.me.id; a.status = 'claimed'; }
      } else if (action === 'release') {
        st.pages.delete(p.alert);
        note(laneOf(p) + ': released');
      } else if (action === 'resolve') {
        st.pages.delete(p.alert);
        note(laneOf(p) + ': ' + SCO.label(resolution) + ' — done', 'good');
      }
      render();
    }, function () {
      st.busy.delete(p.alert);
      st.msgs.set(p.alert, 'No connection: try again');
      render();
    });
  }

  function resolve(p, r) {
    if (CONFIRM[r]) {
      SCO.confirmDialog(CONFIRM[r](p), 'Yes, ' + SCO.label(r).toLowerCase(), function () { act(p, 'resolve', r); });
      return;
    }
    act(p, 'resolve', r);
  }

  function button(text, cls, onClick, disabled) {
    var b = el('button', 'big ' + cls, text);
    b.type = 'button';
    b.disabled = !!disabled;
    b.addEventListener('click', onClick);
    return b;
  }

  function card(p) {
    var a = st.alerts.get(p.alert) || {};
    var mine = a.claimed_by === st.me.id;
    var busy = st.busy.has(p.alert) || !st.connected;
    var c = el('article', 'page sev-' + (p.severity || 'medium') + (mine ? ' mine' : '') + (st.connected ? '' : ' stale'));
    c.dataset.alert = p.alert;
    var top = el('div', 'top');
    top.append(el('span', 'lane', 'Lane ' + p.lane));
    if (p.zone) top.append(el('span', 'zone', p.zone));
    top.append(el('span', 'tier', 'tier ' + (p.tier || '–')));
    c.append(top);
    c.append(el('p', 'kind', kindText(p.kind)));
    if (a.item && a.item.name) c.append(el('p', 'item', a.item.name));
    c.append(SCO.waitEl('p', 'wait', a.raised || p.ts, 'waiting for '));
    if (mine) c.append(el('p', 'claimed', a.arrived ? 'You are at the lane' : 'You have it — on your way'));
    var acts = el('div', 'actions');
    if (!mine) {
      acts.append(button('Claim', 'primary claim', function () { arm(); act(p, 'claim'); }, busy));
      acts.append(button('Not me', 'quiet release', function () { act(p, 'release'); }, busy));
    } else {
      // Once there, the button stays in its place, dimmed: a second tap
      // on it must not land on a resolution moving up under the finger.
      if (!a.arrived) acts.append(button('I\'m at the lane', 'go arrive', function () { act(p, 'arrive'); }, busy));
      else acts.append(button('At the lane', 'go arrived', function () {}, true));
      var res = el('div', 'resolutions');
      (p.resolutions || []).forEach(function (r) {
        res.append(button(SCO.label(r), 'res res-' + r, function () { resolve(p, r); }, busy));
      });
      if (!(p.resolutions || []).length) res.append(el('p', 'quiet', 'Nothing to resolve from the handheld: see the lane.'));
      acts.append(res);
      acts.append(button('Release', 'quiet release', function () { act(p, 'release'); }, busy));
    }
    c.append(acts);
    // Below the buttons, so that they do not move when it comes.
    if (st.msgs.has(p.alert)) c.append(el('p', 'msg', st.msgs.get(p.alert)));
    return c;
  }

  function order(x, y) {
    var ax = st.alerts.get(x.alert) || {}, ay = st.alerts.get(y.alert) || {};
    var mx = ax.claimed_by === st.me.id, my = ay.claimed_by === st.me.id;
    if (mx !== my) return mx ? -1 : 1;
    return String(ax.raised || x.ts).localeCompare(String(ay.raised || y.ts));
  }

  function renderShift() {
    document.querySelectorAll('#shift button').forEach(function (b) {
      var on = st.me && b.dataset.status === st.me.status;
      b.classList.toggle('on', on);
      b.setAttribute('aria-pressed', on ? 'true' : 'false');
    });
  }

  function render() {
    if (!st.me) return;
    document.getElementById('who').textContent = st.me.name + (st.me.store ? ' · ' + st.me.store : '');
    var c = document.getElementById('conn');
    c.className = 'conn ' + (st.connected ? 'on' : 'off');
    c.textContent = st.connected ? 'online' : 'offline';
    document.getElementById('offline').hidden = st.connected;
    renderShift();
    document.getElementById('to-console').hidden = !st.me.supervisor;
    // The attendant may be on shift on another handheld (or a pager).
    var all = st.attendants.get(st.me.id);
    var away = st.me.status === 'offline' || st.me.status === 'break';
    var el2 = document.getElementById('elsewhere');
    el2.hidden = !(away && all && (all.status === 'available' || all.status === 'busy'));
    el2.textContent = 'You are ' + SCO.statusText(all ? all.status : '').toLowerCase() + ' on another device, so pages still reach you.';
    var list = Array.from(st.pages.values()).sort(order);
    SCO.showWaits();
    SCO.keep(document.getElementById('pages'), list.map(card));
    var empty = document.getElementById('empty');
    empty.hidden = list.length > 0;
    if (st.me.status === 'available') empty.textContent = 'No pages. You will hear a tone when a lane needs you.';
    else if (st.me.status === 'busy') empty.textContent = 'No pages. You are busy: you only get pages nobody else took.';
    else if (st.me.status === 'break') empty.textContent = 'You are on break: no pages.';
    else empty.textContent = 'You are off shift. Tap Available to get pages.';
  }

  function tick() {
    SCO.showWaits();
    // Ring again while a page nobody has claimed is waiting.
    var unclaimed = Array.from(st.pages.values()).some(function (p) {
      var a = st.alerts.get(p.alert);
      return !a || !a.claimed_by;
    });
    if (unclaimed && st.connected && Date.now() - lastRing > 30000) ring();
  }

  var handlers = {
    snapshot: function (s) {
      var before = new Set(st.pages.keys());
      st.me = s.me;
      st.kinds = s.kinds || {};
      st.pages = new Map((s.pages || []).map(function (p) { return [p.alert, p]; }));
      st.alerts = new Map((s.alerts || []).map(function (a) { return [a.id, a]; }));
      st.attendants = new Map((s.attendants || []).map(function (a) { return [a.id, a]; }));
      st.msgs.forEach(function (_, id) { if (!st.pages.has(id)) st.msgs.delete(id); });
      localStorage.setItem('sco.status', s.me.status);
      var fresh = Array.from(st.pages.keys()).some(function (id) { return !before.has(id); });
      render();
      keepAwake();
      if (fresh) ring();
    },
    page: function (p) {
      var old = st.pages.get(p.alert);
      if (p.withdrawn) {
        st.pages.delete(p.alert);
        st.msgs.delete(p.alert);
        if (old) note(laneOf(old) + ': ' + reasonText(p.reason), /resolved/.test(p.reason) ? 'good' : '');
      } else {
        st.pages.set(p.alert, p);
        if (!old || p.tier > old.tier) ring();
      }
      render();
    },
    alert: function (e) {
      if (e.closed) {
        st.alerts.delete(e.alert.id);
        if (st.pages.has(e.alert.id)) {
          var p = st.pages.get(e.alert.id);
          st.pages.delete(e.alert.id);
          note(laneOf(p) + ': ' + (e.alert.status === 'resolved' ? 'resolved' : 'closed'));
        }
      } else {
        st.alerts.set(e.alert.id, e.alert);
      }
      render();
    },
    attendant: function (a) {
      st.attendants.set(a.id, a);
      if (st.me && a.id === st.me.id) render();
    },
    result: function (r) {
      var alert = st.pending.get(r.id);
      if (!alert) return;
      st.pending.delete(r.id);
      if (r.ok) { st.msgs.delete(alert); } else {
        if (st.pages.has(alert)) { st.msgs.set(alert, errorText(r)); } else { note(errorText(r), 'bad'); }
      }
      render();
    },
    ping: function () {
      fetch('/api/heartbeat', { method: 'POST', credentials: 'same-origin' }).catch(function () { /* the stream notices */ });
    }
  };

  document.querySelectorAll('#shift button').forEach(function (b) {
    b.addEventListener('click', function () { arm(); setStatus(b.dataset.status); });
  });
  // Armed on a click, not a pointerdown: hiding the banner between the
  // finger going down and up would move the button away from the tap.
  document.addEventListener('click', arm, true);
  // Signing out takes this handheld off shift: asked first while on it.
  document.getElementById('signout-form').addEventListener('submit', function (e) {
    if (!st.me || (st.me.status !== 'available' && st.me.status !== 'busy')) return;
    e.preventDefault();
    var f = e.target;
    SCO.confirmDialog('Sign out? This handheld stops getting pages.', 'Yes, sign out', function () { f.submit(); });
  });
  document.addEventListener('visibilitychange', keepAwake);

  SCO.stream(function () {
    return '/api/events?view=handheld&status=' + encodeURIComponent(localStorage.getItem('sco.status') || '');
  }, handlers, function (on) {
    st.connected = on;
    render();
  });
  setInterval(tick, 1000);
})();
