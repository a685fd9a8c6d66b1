// streamchat's live streams. htmx's SSE extension asks htmx.createEventSource(url) for each
// stream; this file answers with a LiveSource, which looks like an EventSource to htmx and:
// - drops its connection when the browser goes offline, and reconnects at once, from the stream's
//   cursor, when the network returns (online), the tab is shown again (visibilitychange, pageshow
//   from the back/forward cache) or the server answers again, instead of htmx's back-off of up to
//   a minute;
// - gives a stream the server can no longer serve (its log is gone) an explicit outcome: the page
//   reloads, showing what the store holds, instead of hanging;
// - notices when something on the way buffers the stream (the server's clock events arrive in a
//   lump, or none arrive), tells the person and tells the server;
// - when the server says so (<meta name="streamchat-transport">), carries every stream of the page
//   over one WebSocket (/api/ws), or every stream of every tab of the browser over one socket held
//   by a leader tab ("shared"), instead of one EventSource each; where WebSockets cannot get
//   through (a proxy refusing the upgrade), it falls back to EventSources.
(function () {
  'use strict';

  var CONNECTING = 0;
  var OPEN = 1;
  var CLOSED = 2;
  // The n-th failure in a row waits this long before trying again (a probe, then a new stream).
  var RETRY_MS = [0, 250, 500, 1000, 2000];
  var PROBE_TIMEOUT_MS = 2500;
  // A lump: this many clock events, written at least LUMP_SENT_MS apart, arriving within LUMP_ARRIVED_MS.
  // (A second's events in one lump; a clean connection never holds three clock events that long.)
  var LUMP_EVENTS = 3;
  var LUMP_SENT_MS = 900;
  var LUMP_ARRIVED_MS = 50;
  // No clock event this long after connecting, while the server says the answer is running: held back.
  var SILENT_MS = 5000;
  // A tab hidden this long lets its streams go (a hidden tab needs none); shown again, each
  // catches up from its cursor at once.
  var HIDDEN_PAUSE_MS = 2000;

  var live = [];
  var warned = false;
  // "sse": an EventSource per stream; "websocket": one socket per page; "shared": one socket per
  // browser, held by a leader tab (where Web Locks or BroadcastChannel are missing: one per page).
  var transportMeta = document.querySelector('meta[name="streamchat-transport"]');
  var transport = transportMeta ? transportMeta.content : 'sse';
  var overSocket = (transport === 'websocket' || transport === 'shared') && 'WebSocket' in window;
  var shared = overSocket && transport === 'shared' && !!navigator.locks && 'BroadcastChannel' in window;
  var pageSocket = null;
  var socketRefusals = 0;

  /** This page (and, when told by the leader, every tab) follows its streams over SSE from now on. */
  function withoutSockets(tellTabs) {
    if (!overSocket) return;
    overSocket = false;
    if (tellTabs && shared) Tabs.channel.postMessage({ type: 'nosocket' });
    shared = false;
  }

  function LiveSource(url) {
    this.url = url;
    this.element = streamElement(url);
    this.gid = generationOf(url);
    this.listeners = {};
    this.readyState = CONNECTING;
    this.onopen = null;
    this.onerror = null;
    this.source = null;
    this.closed = false;
    this.failures = 0;
    this.attempt = 0;
    this.retryTimer = 0;
    this.silenceTimer = 0;
    this.lastEventId = '';
    this.clocks = [];
    live.push(this);
    this.connect(url);
  }

  LiveSource.prototype.addEventListener = function (name, fn) {
    if (!this.listeners[name]) {
      this.listeners[name] = [];
      // An EventSource gets a forwarder now; events from the page socket are dispatched by name anyway.
      if (this.source instanceof EventSource) this.forward(this.source, name);
    }
    this.listeners[name].push(fn);
  };

  LiveSource.prototype.removeEventListener = function (name, fn) {
    var list = this.listeners[name];
    if (list) this.listeners[name] = list.filter(function (f) { return f !== fn; });
  };

  LiveSource.prototype.close = function () {
    this.closed = true;
    this.drop();
    this.readyState = CLOSED;
    clearTimeout(this.retryTimer);
    var self = this;
    live = live.filter(function (s) { return s !== self; });
  };

  LiveSource.prototype.connect = function (url) {
    if (overSocket && this.gid) {
      this.readyState = CONNECTING;
      subscribeOverSocket(this);
      return;
    }
    var self = this;
    var es = new EventSource(url, { withCredentials: true });
    this.source = es;
    this.readyState = CONNECTING;
    this.clocks = [];
    this.clockSeen = false;
    Object.keys(this.listeners).forEach(function (name) { self.forward(es, name); });
    es.addEventListener('clock', function (e) {
      if (self.source === es) self.clock(Number(e.data));
    });
    es.onopen = function (e) {
      if (self.source !== es) return;
      self.readyState = OPEN;
      self.failures = 0;
      if (self.onopen) self.onopen(e);
    };
    es.onerror = function (e) {
      if (self.source !== es) return;
      self.drop();
      if (self.onerror) self.onerror(e); // htmx logs it; it reconnects only a CLOSED source, and this one is not
      self.recover(false);
    };
    this.watchSilence(es);
  };

  /** Hands the real EventSource's events of one name to the listeners htmx registered. */
  LiveSource.prototype.forward = function (es, name) {
    var self = this;
    es.addEventListener(name, function (e) {
      if (self.source !== es) return;
      if (e.lastEventId) self.lastEventId = e.lastEventId;
      (self.listeners[name] || []).slice().forEach(function (fn) { fn.call(self, e); });
    });
  };

  LiveSource.prototype.drop = function () {
    if (this.source) this.source.close();
    this.source = null;
    clearTimeout(this.silenceTimer);
    if (!this.closed) this.readyState = CONNECTING;
  };

  /** Tries again after the wait its failures in a row call for (none when {@code now}). */
  LiveSource.prototype.recover = function (now) {
    if (this.closed) return;
    var self = this;
    var attempt = ++this.attempt;
    clearTimeout(this.retryTimer);
    var wait = now ? 0 : RETRY_MS[Math.min(this.failures, RETRY_MS.length - 1)];
    this.failures++;
    this.retryTimer = setTimeout(function () { self.probe(attempt); }, wait);
  };

  /** The tab is hidden: no live stream until it is shown again (no retry meanwhile either). */
  LiveSource.prototype.pause = function () {
    if (this.closed) return;
    this.paused = true;
    this.attempt++;
    clearTimeout(this.retryTimer);
    this.drop();
  };

  /** Now: a new stream from the cursor (the network is back, or the tab is shown again). */
  LiveSource.prototype.reconnectNow = function () {
    if (this.closed) return;
    this.paused = false;
    this.drop();
    this.failures = 0;
    this.recover(true);
  };

  /**
   * Asks whether the generation can still be streamed before opening a new stream: an EventSource
   * cannot tell a 404 from a network failure, and a 404 here means the log is gone.
   */
  LiveSource.prototype.probe = function (attempt) {
    var self = this;
    if (!this.gid) {
      this.connect(this.resumeUrl());
      return;
    }
    generationNow(this.gid).then(function (r) {
      if (self.closed || attempt !== self.attempt || self.source) return;
      if (r.status === 404) self.gone();
      else if (r.ok) self.connect(self.resumeUrl());
      else self.recover(false);
    }, function () {
      if (!self.closed && attempt === self.attempt && !self.source) self.recover(false);
    });
  };

  /** The last chunk the page applied (app.js keeps it in data-cursor). */
  LiveSource.prototype.cursor = function () {
    var el = this.element;
    if (el && el.dataset.cursor) return Number(el.dataset.cursor) || 0;
    var m = /[?&]after=(\d+)/.exec(this.url);
    return Math.max(Number(this.lastEventId) || 0, m ? Number(m[1]) : 0);
  };

  /** Hands one event, as the server's SSE text of it, to the listeners htmx registered. */
  LiveSource.prototype.dispatchSse = function (text) {
    var type = 'message';
    var id = '';
    var data = [];
    text.split('\n').forEach(function (line) {
      var colon = line.indexOf(':');
      if (colon <= 0) return;
      var field = line.slice(0, colon);
      var value = line.slice(colon + 1).replace(/^ /, '');
      if (field === 'event') type = value;
      else if (field === 'id') id = value;
      else if (field === 'data') data.push(value);
    });
    if (id) this.lastEventId = id;
    var e = new MessageEvent(type, { data: data.join('\n'), lastEventId: id });
    (this.listeners[type] || []).slice().forEach(function (fn) { fn.call(this, e); }, this);
  };

  /** The stream's URL after the last chunk the page applied. */
  LiveSource.prototype.resumeUrl = function () {
    var el = this.element;
    var base = el && el.dataset.stream ? el.dataset.stream : this.url.replace(/[?#].*$/, '');
    return base + '?after=' + this.cursor();
  };

  /**
   * The server no longer has this stream (the answer was replaced, deleted or its log lost). The
   * page is reloaded once, so it shows what the store holds; if that page asks for the same
   * stream again, the answer says it cannot be followed instead of reloading in a loop.
   */
  LiveSource.prototype.gone = function () {
    this.close();
    var key = 'streamchat.gone.' + this.gid;
    var reloaded = false;
    try {
      reloaded = sessionStorage.getItem(key) === '1';
      sessionStorage.setItem(key, '1');
    } catch (e) {
      reloaded = true; // no storage: never risk a loop
    }
    if (!reloaded) {
      location.reload();
      return;
    }
    var notice = document.getElementById('notice');
    if (notice) notice.textContent = 'This answer can no longer be followed live; reload the page to see what was saved.';
  };

  // ---- one WebSocket for every stream of the page, or of every tab ----

  function socket() {
    if (!pageSocket) pageSocket = new PageSocket();
    return pageSocket;
  }

  /**
   * A socket to /api/ws and its subscriptions, by id. A subscriber is a LiveSource of this tab or,
   * in the leader tab, a stand-in for a stream another tab wants (see Tabs); each has an id, a gid,
   * a cursor(), and is told opened(), message(m) and failed(status).
   */
  function PageSocket() {
    this.ws = null;
    this.ready = false;
    this.subscribers = {};
  }

  PageSocket.prototype.open = function () {
    var self = this;
    var ws = new WebSocket((location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + '/api/ws');
    this.ws = ws;
    this.ready = false;
    ws.onopen = function () {
      if (self.ws !== ws) return;
      self.ready = true;
      socketRefusals = 0;
      Object.keys(self.subscribers).forEach(function (id) { self.send(self.subscribers[id]); });
    };
    ws.onmessage = function (e) {
      var m = JSON.parse(e.data);
      var subscriber = self.subscribers[m.id];
      if (!subscriber) return;
      if (m.event === 'error' || m.event === 'end') delete self.subscribers[m.id];
      if (m.event === 'error') subscriber.failed(m.status);
      else subscriber.message(m);
    };
    ws.onclose = function () {
      if (self.ws !== ws) return;
      // Refused twice before opening (a proxy that does not pass WebSocket upgrades): use SSE.
      if (!self.ready && ++socketRefusals >= 2) withoutSockets(true);
      self.reset();
    };
  };

  /** The socket is gone: every stream on it recovers on its own, from its cursor. */
  PageSocket.prototype.reset = function () {
    var ws = this.ws;
    var subscribers = this.subscribers;
    this.ws = null;
    this.ready = false;
    this.subscribers = {};
    if (ws) {
      ws.onclose = null;
      ws.close();
    }
    Object.keys(subscribers).forEach(function (id) { subscribers[id].failed(0); });
  };

  PageSocket.prototype.send = function (subscriber) {
    this.ws.send(JSON.stringify({ subscribe: subscriber.gid, id: subscriber.id, after: subscriber.cursor(), view: 'page' }));
    subscriber.opened();
  };

  PageSocket.prototype.subscribe = function (subscriber) {
    this.subscribers[subscriber.id] = subscriber;
    if (!this.ws) this.open();
    else if (this.ready) this.send(subscriber);
  };

  PageSocket.prototype.unsubscribe = function (subscriber) {
    if (this.subscribers[subscriber.id] !== subscriber) return;
    delete this.subscribers[subscriber.id];
    if (this.ready) this.ws.send(JSON.stringify({ unsubscribe: subscriber.gid, id: subscriber.id }));
  };

  /**
   * The tabs of one browser share one socket: the tab holding the Web Lock is the leader; it holds
   * the socket and relays each tab's events over a BroadcastChannel. A tab asks for a stream with
   * its own id and cursor ("want"), so each tab resumes exactly where it is. When the leader's tab
   * closes, its lock passes to another tab, which announces itself; every tab then asks again from
   * its cursor (a duplicate is dropped by app.js's cursor, so nothing shows twice).
   */
  var Tabs = {
    tab: Math.random().toString(36).slice(2) + Date.now().toString(36),
    leader: false,
    channel: null,
    wanted: {},  // this tab's subscribers by id
    remote: {},  // in the leader: other tabs' subscribers by id

    start: function () {
      var self = this;
      this.channel = new BroadcastChannel('streamchat-live');
      this.channel.onmessage = function (e) { self.heard(e.data); };
      navigator.locks.request('streamchat-live-leader', function () {
        self.lead();
        return new Promise(function () { /* held until this tab goes */ });
      });
    },

    lead: function () {
      var self = this;
      this.leader = true;
      Object.keys(this.wanted).forEach(function (id) { socket().subscribe(self.wanted[id]); });
      this.channel.postMessage({ type: 'leader' });
    },

    subscribe: function (subscriber) {
      this.wanted[subscriber.id] = subscriber;
      if (this.leader) socket().subscribe(subscriber);
      else this.channel.postMessage({ type: 'want', id: subscriber.id, gid: subscriber.gid, after: subscriber.cursor() });
    },

    unsubscribe: function (subscriber) {
      if (this.wanted[subscriber.id] !== subscriber) return;
      delete this.wanted[subscriber.id];
      if (this.leader) socket().unsubscribe(subscriber);
      else this.channel.postMessage({ type: 'drop', id: subscriber.id });
    },

    heard: function (note) {
      var self = this;
      if (note.type === 'nosocket') {
        withoutSockets(false);
        Object.keys(this.wanted).forEach(function (id) { self.wanted[id].failed(0); });
        this.wanted = {};
      } else if (note.type === 'leader') {
        // A new leader: ask it again for every stream, from where this tab is.
        Object.keys(this.wanted).forEach(function (id) {
          var s = self.wanted[id];
          self.channel.postMessage({ type: 'want', id: id, gid: s.gid, after: s.cursor() });
        });
      } else if (this.leader && note.type === 'want') {
        var stale = this.remote[note.id];
        if (stale) socket().unsubscribe(stale);
        this.remote[note.id] = relay(note);
        socket().subscribe(this.remote[note.id]);
      } else if (this.leader && note.type === 'drop') {
        if (this.remote[note.id]) socket().unsubscribe(this.remote[note.id]);
        delete this.remote[note.id];
      } else if (note.type === 'relay' && this.wanted[note.id]) {
        var s = this.wanted[note.id];
        if (note.what === 'opened') s.opened();
        else if (note.what === 'failed') {
          delete this.wanted[note.id];
          s.failed(note.status);
        } else {
          if (note.m.event === 'end') delete this.wanted[note.id];
          s.message(note.m);
        }
      }
    }
  };

  /** In the leader: the stand-in for a stream another tab wants, relaying what the socket says. */
  function relay(want) {
    function tell(what, extra) {
      var note = { type: 'relay', id: want.id, what: what };
      Object.keys(extra || {}).forEach(function (k) { note[k] = extra[k]; });
      Tabs.channel.postMessage(note);
    }
    return {
      id: want.id,
      gid: want.gid,
      cursor: function () { return want.after; },
      opened: function () { tell('opened'); },
      message: function (m) {
        if (m.seq) want.after = m.seq; // a new socket resumes this stream where the tab has got to
        if (m.event === 'end') delete Tabs.remote[want.id];
        tell('message', { m: m });
      },
      failed: function (status) {
        delete Tabs.remote[want.id];
        tell('failed', { status: status });
      }
    };
  }

  /**
   * Subscribes a LiveSource on the tabs' shared socket or the page's own; its "source" becomes a
   * handle whose close() unsubscribes. What arrives for an older handle (before a reconnect) is ignored.
   */
  function subscribeOverSocket(source) {
    var subscriber = {
      id: Tabs.tab + ':' + source.gid,
      gid: source.gid,
      cursor: function () { return source.cursor(); },
      // Later, not now: htmx sets onopen (which re-registers its listeners) after createEventSource returns.
      opened: function () { Promise.resolve().then(function () { if (source.source === handle) source.socketOpened(); }); },
      message: function (m) { if (source.source === handle) source.dispatchSse(m.sse); },
      failed: function (status) { if (source.source === handle) source.socketFailed(status); }
    };
    var handle = {
      close: function () {
        if (shared) Tabs.unsubscribe(subscriber);
        else if (pageSocket) pageSocket.unsubscribe(subscriber);
      }
    };
    source.source = handle;
    if (shared) Tabs.subscribe(subscriber);
    else socket().subscribe(subscriber);
  }

  LiveSource.prototype.socketOpened = function () {
    this.readyState = OPEN;
    this.failures = 0;
    if (this.onopen) this.onopen(new Event('open'));
  };

  LiveSource.prototype.socketFailed = function (status) {
    this.source = null;
    if (this.closed) return;
    if (status === 404) {
      this.gone();
      return;
    }
    this.readyState = CONNECTING;
    if (this.onerror) this.onerror(new Event('error'));
    this.recover(false);
  };

  // ---- buffering proxies ----

  LiveSource.prototype.clock = function (sent) {
    var now = Date.now();
    this.clockSeen = true;
    this.clocks.push([sent, now]);
    if (this.clocks.length > LUMP_EVENTS) this.clocks.shift();
    if (this.clocks.length < LUMP_EVENTS) return;
    var first = this.clocks[0];
    var last = this.clocks[this.clocks.length - 1];
    if (last[0] - first[0] >= LUMP_SENT_MS && last[1] - first[1] <= LUMP_ARRIVED_MS) {
      buffering('lumps', LUMP_EVENTS + ' events written over ' + (last[0] - first[0]) + ' ms arrived within '
        + (last[1] - first[1]) + ' ms');
    }
  };

  /**
   * A clean stream carries a clock event at once. None after SILENT_MS, while the server answers
   * a plain request quickly and says the answer is running: the stream is being held back.
   */
  LiveSource.prototype.watchSilence = function (es) {
    var self = this;
    clearTimeout(this.silenceTimer);
    this.silenceTimer = setTimeout(function () {
      if (self.source !== es || self.clockSeen || !self.gid || document.visibilityState !== 'visible') return;
      generationNow(self.gid).then(function (r) {
        return r.ok ? r.json() : null;
      }).then(function (g) {
        if (g && g.state === 'running' && self.source === es && !self.clockSeen) {
          buffering('silent', 'no event in ' + SILENT_MS + ' ms while the answer had ' + g.chunks + ' chunks');
        }
      }, function () { /* the server is not reachable: a network problem, not a proxy */ });
    }, SILENT_MS);
  };

  function buffering(kind, detail) {
    if (warned) return;
    warned = true;
    var notice = document.getElementById('proxy-notice');
    if (notice) notice.hidden = false;
    var meta = document.querySelector('meta[name="csrf-token"]');
    fetch('/live/buffering', {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': meta ? meta.content : '' },
      body: JSON.stringify({ kind: kind, detail: detail })
    }).catch(function () { /* the notice is shown either way */ });
  }

  // ---- helpers ----

  function generationNow(gid) {
    var ctl = new AbortController();
    var timer = setTimeout(function () { ctl.abort(); }, PROBE_TIMEOUT_MS);
    return fetch('/api/generations/' + encodeURIComponent(gid), {
      credentials: 'same-origin', cache: 'no-store', signal: ctl.signal
    }).finally(function () { clearTimeout(timer); });
  }

  function streamElement(url) {
    var all = document.querySelectorAll('[sse-connect]');
    for (var i = 0; i < all.length; i++) {
      if (all[i].getAttribute('sse-connect') === url) return all[i];
    }
    return null;
  }

  function generationOf(url) {
    var m = /\/(?:g|api\/generations)\/([^/?#]+)\/(?:stream|events)/.exec(url);
    return m ? decodeURIComponent(m[1]) : null;
  }

  function reconnectAll() {
    live.slice().forEach(function (s) { if (!s.paused || document.visibilityState === 'visible') s.reconnectNow(); });
  }

  window.addEventListener('online', reconnectAll);
  // The browser lost its network: the streams' connections are as good as dead, though the page may
  // not be told for minutes. Drop them; they come back from their cursors as soon as a probe passes.
  window.addEventListener('offline', function () {
    if (pageSocket) pageSocket.reset();
    live.slice().forEach(function (s) {
      if (s.closed || s.paused) return;
      s.drop();
      s.recover(false);
    });
  });
  window.addEventListener('pageshow', function (e) { if (e.persisted) reconnectAll(); });
  var pauseTimer = 0;
  document.addEventListener('visibilitychange', function () {
    clearTimeout(pauseTimer);
    if (document.visibilityState === 'hidden') {
      pauseTimer = setTimeout(function () {
        live.forEach(function (s) { s.pause(); });
      }, HIDDEN_PAUSE_MS);
      return;
    }
    // Shown: a paused stream, or one that may have died with a sleeping phone's radio, comes back.
    live.slice().forEach(function (s) { if (s.paused || s.readyState !== OPEN) s.reconnectNow(); });
  });

  if (shared) Tabs.start();
  htmx.createEventSource = function (url) { return new LiveSource(url); };
})();
