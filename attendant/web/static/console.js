// The store console: a tile per lane, the store's counts, the queue of
// open alerts and the attendants; close or open a lane, escalate an alert.
'use strict';
(function () {
  var el = SCO.el;
  var st = {
    kinds: {},
    lanes: new Map(),      // lane id -> state
    alerts: new Map(),     // alert id -> alert
    assists: new Map(),    // lane id -> assist
    attendants: new Map(), // id -> status
    busy: new Set(),
    connected: false
  };
  var STATE = {
    idle: 'Idle', shopping: 'In use', attention: 'Prompting', assist: 'Needs assistance',
    out_of_service: 'Out of service', offline: 'Offline'
  };

  function name(id) { return SCO.name(st.attendants, id); }
  function kindText(k) { return SCO.kindText(st.kinds, k); }
  function money(c) {
    c = c || 0;
    var s = c < 0 ? '-' : '';
    c = Math.abs(c);
    return s + Math.floor(c / 100) + '.' + String(c % 100).padStart(2, '0');
  }
  function offline(l) { return !l.online || l.state === 'offline'; }
  function laneAlerts(id) {
    return Array.from(st.alerts.values()).filter(function (a) { return a.lane === id; });
  }
  function oldest(list) {
    return list.reduce(function (o, a) { return !o || a.raised < o ? a.raised : o; }, '');
  }
  function byLane(x, y) {
    var nx = Number(x), ny = Number(y);
    if (!isNaN(nx) && !isNaN(ny)) return nx - ny;
    return x.localeCompare(y);
  }

  function msg(text) {
    var m = document.getElementById('msg');
    m.textContent = text;
    m.hidden = false;
    clearTimeout(msg.t);
    msg.t = setTimeout(function () { m.hidden = true; }, 8000);
  }

  function errorText(j) {
    var e = j.error || '';
    if (e === 'already claimed') return 'Already claimed by ' + name(j.claimed_by);
    if (e === 'unknown alert' || e === 'alert closed') return 'That alert is no longer open';
    if (e.indexOf('lane: ') === 0) return 'The lane refused: ' + e.slice(6);
    return e || 'Something went wrong';
  }

  function send(url, body, key, done) {
    st.busy.add(key);
    render();
    SCO.post(url, body).then(function (r) {
      st.busy.delete(key);
      if (r.status === 202) msg('Sent; waiting for the lane to answer…');
      else if (!r.body.ok) msg(errorText(r.body));
      else if (done) msg(done);
      render();
    }, function () {
      st.busy.delete(key);
      msg('No connection: try again');
      render();
    });
  }

  function setLane(l, action) {
    var go = function () {
      send('/api/lane', { id: SCO.newID(), lane: l.lane, action: action }, 'lane:' + l.lane,
        'Lane ' + l.lane + (action === 'out_of_service' ? ' closed' : ' opened'));
    };
    if (action === 'out_of_service') {
      SCO.confirmDialog('Close lane ' + l.lane + '? A shopper there now can finish only with an attendant.', 'Yes, close lane ' + l.lane, go);
    } else {
      go();
    }
  }

  function escalate(a) {
    send('/api/escalate', { id: SCO.newID(), alert: a.id }, 'alert:' + a.id, 'Lane ' + a.lane + ': paged the next tier');
  }

  function counts() {
    var c = { all: 0, inUse: 0, idle: 0, assist: 0, fault: 0, oos: 0, offline: 0 };
    var faults = new Set();
    st.alerts.forEach(function (a) { if (a.kind === 'device_fault') faults.add(a.lane); });
    st.lanes.forEach(function (l) {
      c.all++;
      if (offline(l)) { c.offline++; return; }
      if (faults.has(l.lane)) c.fault++;
      switch (l.state) {
        case 'idle': c.idle++; break;
        case 'out_of_service': c.oos++; break;
        case 'assist': c.assist++; c.inUse++; break;
        default: c.inUse++;
      }
    });
    return c;
  }

  function renderCounts() {
    var c = counts();
    var box = document.getElementById('counts');
    box.replaceChildren();
    [['all', 'Lanes', c.all], ['in-use', 'In use', c.inUse], ['idle', 'Idle', c.idle],
      ['assist', 'Need assistance', c.assist], ['fault', 'Device fault', c.fault],
      ['oos', 'Out of service', c.oos], ['offline', 'Offline', c.offline]].forEach(function (x) {
      var d = el('div', 'count ' + x[0] + (x[2] && x[0] !== 'all' && x[0] !== 'in-use' && x[0] !== 'idle' ? ' hot' : ''));
      d.dataset.count = x[0];
      d.append(el('b', '', String(x[2])), el('span', '', x[1]));
      box.append(d);
    });
  }

  function coming(l) {
    var as = st.assists.get(l.lane);
    if (!as) return '';
    var a = st.alerts.get(as.alert);
    if (as.attendant) return (as.name || name(as.attendant)) + (a && a.arrived ? ' is at the lane' : ' is on the way');
    return as.tier ? 'Paged, tier ' + as.tier : 'Nobody to page';
  }

  function tile(l) {
    var off = offline(l);
    var list = laneAlerts(l.lane);
    var t = el('article', 'tile st-' + (off ? 'offline' : l.state));
    t.dataset.lane = l.lane;
    var head = el('div', 'head');
    head.append(el('span', 'lane', 'Lane ' + l.lane));
    if (l.zone) head.append(el('span', 'zone', l.zone));
    var light = el('span', 'light ' + (off ? 'off' : (l.light || 'off')));
    light.title = 'light: ' + (off ? 'off' : (l.light || 'off'));
    head.append(light);
    t.append(head);
    t.append(el('p', 'state', off ? 'Offline' : (STATE[l.state] || l.state)));
    if (!off && (l.items || l.state === 'shopping' || l.state === 'attention' || l.state === 'assist')) {
      t.append(el('p', 'basket', l.items + (l.items === 1 ? ' item · ' : ' items · ') + money(l.total_cents)));
    }
    if (list.length) {
      t.append(SCO.waitEl('p', 'wait', oldest(list), 'Waiting '));
      t.append(el('p', 'alerts', list.length === 1 ? kindText(list[0].kind) : list.length + ' open alerts'));
      var who = coming(l);
      if (who) t.append(el('p', 'coming', who));
    }
    var key = 'lane:' + l.lane, b;
    if (l.state === 'out_of_service') {
      b = el('button', 'small go', 'Open lane');
      b.addEventListener('click', function () { setLane(l, 'in_service'); });
    } else {
      b = el('button', 'small close', 'Close lane');
      b.addEventListener('click', function () { setLane(l, 'out_of_service'); });
    }
    b.type = 'button';
    b.disabled = off || st.busy.has(key) || !st.connected;
    if (!off) t.append(b);
    return t;
  }

  function renderQueue() {
    var list = Array.from(st.alerts.values()).sort(function (x, y) { return String(x.raised).localeCompare(String(y.raised)); });
    SCO.keep(document.querySelector('#queue tbody'), list.map(function (a) {
      var r = el('tr', 'sev-' + (a.severity || 'medium'));
      r.dataset.alert = a.id;
      var w = SCO.waitEl('td', 'wait', a.raised);
      var what = el('td', '', kindText(a.kind));
      if (a.item && a.item.name) what.append(el('small', '', ' ' + a.item.name));
      var who = a.claimed_by ? name(a.claimed_by) + (a.arrived ? ' (at lane)' : '') : (a.tier ? 'paged' : 'nobody free');
      var act = el('td');
      if (!a.claimed_by) {
        var b = el('button', 'small', a.tier >= 3 ? 'Page again' : 'Escalate now');
        b.type = 'button';
        b.disabled = st.busy.has('alert:' + a.id) || !st.connected;
        b.addEventListener('click', function () { escalate(a); });
        act.append(b);
      }
      r.append(w, el('td', 'lane', a.lane), what, el('td', '', a.tier ? String(a.tier) : '–'), el('td', a.claimed_by ? 'claimed' : 'quiet', who), act);
      return r;
    }));
    document.getElementById('queue-n').textContent = list.length ? '(' + list.length + ')' : '';
    document.getElementById('queue-empty').hidden = list.length > 0;
  }

  function renderStaff() {
    var body = document.querySelector('#staff tbody');
    body.replaceChildren();
    Array.from(st.attendants.values()).forEach(function (a) {
      var al = a.alert ? st.alerts.get(a.alert) : null;
      var r = el('tr');
      r.dataset.attendant = a.id;
      r.append(el('td', '', a.name), el('td', 'status s-' + a.status, SCO.statusText(a.status)), el('td', '', a.zone),
        el('td', '', al ? 'Lane ' + al.lane + ': ' + kindText(al.kind) : (a.alert ? a.alert : '')));
      body.append(r);
    });
  }

  function render() {
    var c = document.getElementById('conn');
    c.className = 'conn ' + (st.connected ? 'on' : 'off');
    c.textContent = st.connected ? 'live' : 'offline';
    document.getElementById('offline').hidden = st.connected;
    renderCounts();
    SCO.showWaits();
    var ids = Array.from(st.lanes.keys()).sort(byLane);
    SCO.keep(document.getElementById('lanes'), ids.map(function (id) { return tile(st.lanes.get(id)); }));
    renderQueue();
    renderStaff();
  }

  var handlers = {
    snapshot: function (s) {
      st.kinds = s.kinds || {};
      document.getElementById('who').textContent = 'Store console' + (s.me.store ? ' · ' + s.me.store : '') + ' · ' + s.me.name;
      st.lanes = new Map((s.lanes || []).map(function (l) { return [l.lane, l]; }));
      st.alerts = new Map((s.alerts || []).map(function (a) { return [a.id, a]; }));
      st.assists = new Map(Object.entries(s.assists || {}));
      st.attendants = new Map((s.attendants || []).map(function (a) { return [a.id, a]; }));
      render();
    },
    lane: function (l) { st.lanes.set(l.lane, l); render(); },
    alert: function (e) {
      if (e.closed) st.alerts.delete(e.alert.id); else st.alerts.set(e.alert.id, e.alert);
      render();
    },
    assist: function (e) {
      if (e.assist) st.assists.set(e.lane, e.assist); else st.assists.delete(e.lane);
      render();
    },
    attendant: function (a) { st.attendants.set(a.id, a); render(); },
    ping: function () { /* the console is not a handheld: no presence */ }
  };
  SCO.stream('/api/events?view=console', handlers, function (on) { st.connected = on; render(); });
  setInterval(SCO.showWaits, 1000);
})();
