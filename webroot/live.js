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
// - when the server says so (<meta name="streamchat-transport" content="websocket">), carries every
//   stream of the page over one WebSocket (/api/ws) instead of one EventSource each.
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
  var SILENT_MS = 3500;
  // A tab hidden longer than this reconnects when shown: a phone's sleeping radio may have lost the
  // connection without the page being told.
  var HIDDEN_RECONNECT_MS = 5000;

  var live = [];
  var warned = false;
  var hiddenAt = 0;
  var transportMeta = document.querySelector('meta[name="streamchat-transport"]');
  var overSocket = !!transportMeta && transportMeta.content === 'websocket' && 'WebSocket' in window;
  var pageSocket = null;

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
      this.source = socket().subscribe(this);
      this.readyState = CONNECTING;
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

  /** Now: a new stream from the cursor (the network is back, or the tab is shown again). */
  LiveSource.prototype.reconnectNow = function () {
    if (this.closed) return;
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

  /** The stream's URL after the last chunk the page applied (app.js keeps it in data-cursor). */
  LiveSource.prototype.resumeUrl = function () {
    var el = this.element;
    if (el && el.dataset.stream) return el.dataset.stream + '?after=' + (el.dataset.cursor || '0');
    if (!this.lastEventId) return this.url;
    var url = this.url.replace(/([?&])after=[^&]*/, '$1after=' + this.lastEventId);
    return url !== this.url || /[?&]after=/.test(url) ? url
      : url + (url.indexOf('?') < 0 ? '?' : '&') + 'after=' + this.lastEventId;
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

  // ---- one WebSocket for every stream of the page ----

  function socket() {
    if (!pageSocket) pageSocket = new PageSocket();
    return pageSocket;
  }

  /** The page's socket: subscriptions by generation, each a LiveSource; reopened when a source needs it. */
  function PageSocket() {
    this.ws = null;
    this.ready = false;
    this.sources = {};
  }

  PageSocket.prototype.open = function () {
    var self = this;
    var ws = new WebSocket((location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + '/api/ws');
    this.ws = ws;
    this.ready = false;
    ws.onopen = function () {
      if (self.ws !== ws) return;
      self.ready = true;
      Object.keys(self.sources).forEach(function (gid) { self.send(self.sources[gid]); });
    };
    ws.onmessage = function (e) {
      var m = JSON.parse(e.data);
      var source = self.sources[m.gid];
      if (!source) return;
      if (m.event === 'error' || m.event === 'end') delete self.sources[m.gid];
      if (m.event === 'error') source.socketFailed(m.status);
      else source.dispatchSse(m.sse);
    };
    ws.onclose = function () {
      if (self.ws !== ws) return;
      self.reset();
    };
  };

  /** The socket is gone: every stream on it recovers on its own, from its cursor. */
  PageSocket.prototype.reset = function () {
    var ws = this.ws;
    var sources = this.sources;
    this.ws = null;
    this.ready = false;
    this.sources = {};
    if (ws) {
      ws.onclose = null;
      ws.close();
    }
    Object.keys(sources).forEach(function (gid) { sources[gid].socketFailed(0); });
  };

  PageSocket.prototype.send = function (source) {
    this.ws.send(JSON.stringify({ subscribe: source.gid, after: source.cursor(), view: 'page' }));
    source.socketOpened();
  };

  /** Subscribes a source; answers the handle it keeps as its "source" (closing it unsubscribes). */
  PageSocket.prototype.subscribe = function (source) {
    var self = this;
    this.sources[source.gid] = source;
    if (!this.ws) this.open();
    else if (this.ready) this.send(source);
    return {
      close: function () {
        if (self.sources[source.gid] !== source) return;
        delete self.sources[source.gid];
        if (self.ready) self.ws.send(JSON.stringify({ unsubscribe: source.gid }));
      }
    };
  };

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
    live.slice().forEach(function (s) { s.reconnectNow(); });
  }

  window.addEventListener('online', reconnectAll);
  // The browser lost its network: the streams' connections are as good as dead, though the page may
  // not be told for minutes. Drop them; they come back from their cursors as soon as a probe passes.
  window.addEventListener('offline', function () {
    if (pageSocket) pageSocket.reset();
    live.slice().forEach(function (s) {
      if (s.closed) return;
      s.drop();
      s.recover(false);
    });
  });
  window.addEventListener('pageshow', function (e) { if (e.persisted) reconnectAll(); });
  document.addEventListener('visibilitychange', function () {
    if (document.visibilityState === 'hidden') {
      hiddenAt = Date.now();
      return;
    }
    var long = hiddenAt > 0 && Date.now() - hiddenAt > HIDDEN_RECONNECT_MS;
    live.slice().forEach(function (s) { if (long || s.readyState !== OPEN) s.reconnectNow(); });
  });

  htmx.createEventSource = function (url) { return new LiveSource(url); };
})();
