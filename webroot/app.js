// streamchat's page behaviour: each stream's cursor, the composer as the place to send and to
// stop, following the newest text, thinking timers, notices, the sidebar on phones, Copy.
(function () {
  'use strict';

  function $(selector) { return document.querySelector(selector); }

  // htmx's SSE extension reconnects with a new EventSource that sends no Last-Event-ID, so
  // each stream keeps its own cursor: an event at or below it was applied already and is
  // dropped, and the connect URL always resumes after it.
  document.addEventListener('htmx:sseBeforeMessage', function (e) {
    var source = e.target.closest('[sse-connect]');
    var event = e.detail;
    // The end and held events ("checking…") carry no chunk, so no id: they are not cursor-checked.
    if (!source || !event || event.type === 'end' || event.type === 'held') return;
    var seq = Number(event.lastEventId);
    var cursor = Number(source.dataset.cursor || 0);
    if (!(seq > cursor)) {
      e.preventDefault();
      return;
    }
    source.dataset.cursor = String(seq);
    source.setAttribute('sse-connect', source.dataset.stream + '?after=' + seq);
  });

  // Every htmx request carries the page's CSRF token; the server refuses page POSTs without it.
  document.addEventListener('htmx:configRequest', function (e) {
    var meta = $('meta[name="csrf-token"]');
    if (meta) e.detail.headers['X-CSRF-Token'] = meta.content;
  });

  // ---- Following the newest text. A reader who scrolled up, even a little, stays where they
  // are; a "new text" control then takes them down.
  var FOLLOW_PX = 40;
  var follow = true;

  function distanceFromBottom() {
    var el = document.scrollingElement;
    return el.scrollHeight - el.scrollTop - el.clientHeight;
  }

  function toBottom() {
    var el = document.scrollingElement;
    el.scrollTop = el.scrollHeight;
    follow = true;
    showJump(false);
  }

  function showJump(show) {
    var jump = document.getElementById('jump');
    if (jump) jump.hidden = !show;
  }

  // Measured before the event changes the page: in the capture phase, and before render.js's own
  // capturing listener (this file is loaded first), which applies the event's blocks at once.
  document.addEventListener('htmx:sseBeforeMessage', function (e) {
    if (e.detail && e.detail.type !== 'end') follow = distanceFromBottom() < FOLLOW_PX;
  }, true);
  document.addEventListener('htmx:sseMessage', function (e) {
    noteThinking(e.target.closest('.msg.assistant'));
    if (follow) toBottom();
    else if (streamingAnswer()) showJump(true);
  });
  window.addEventListener('scroll', function () {
    if (distanceFromBottom() < FOLLOW_PX) showJump(false);
  }, { passive: true });

  // ---- The answer being written: Send becomes Stop, Esc stops it. (Told by its Stop button, not
  // by its class: htmx keeps the old element's attributes on a replacement until it settles.)
  function isStreaming(answer) {
    return !!answer.querySelector('button.stop');
  }

  function streamingAnswer() {
    var stop = $('#messages .msg.assistant button.stop');
    return stop && stop.closest('.msg.assistant');
  }

  function stopAnswer() {
    var answer = streamingAnswer();
    var button = answer && answer.querySelector('button.stop');
    if (button) htmx.trigger(button, 'click');
  }

  function updateComposer() {
    var answer = streamingAnswer();
    var send = document.getElementById('send');
    var stop = document.getElementById('stop-answer');
    if (!send || !stop) return;
    var swapFocus = document.activeElement === (answer ? send : stop);
    send.hidden = !!answer;
    stop.hidden = !answer;
    if (swapFocus) (answer ? stop : send).focus();
    if (!answer) showJump(false);
  }

  // ---- Thinking: "Thinking… N s" while the model reasons, then "Thought for N s".
  var thinking = new Map(); // answer id -> { start, end }

  function noteThinking(answer) {
    if (!answer || !isStreaming(answer)) return;
    var t = thinking.get(answer.id);
    if (!t) {
      t = { start: Date.now(), end: 0 };
      thinking.set(answer.id, t);
    }
    var reasoning = answer.querySelector('.reasoning-text');
    var body = answer.querySelector('.body');
    var hasReasoning = reasoning && reasoning.textContent !== '';
    var answering = body && body.textContent.trim() !== '';
    if (hasReasoning && answering && !t.end) t.end = Date.now();
    answer.classList.toggle('thinking', hasReasoning && !t.end);
    label(answer, t);
  }

  function seconds(t) {
    return Math.max(1, Math.round(((t.end || Date.now()) - t.start) / 1000));
  }

  function label(answer, t) {
    var el = answer.querySelector('.reasoning-label');
    if (!el || !t) return;
    el.textContent = t.end || !isStreaming(answer)
      ? 'Thought for ' + seconds(t) + ' s' : 'Thinking… ' + seconds(t) + ' s';
  }

  setInterval(function () {
    document.querySelectorAll('#messages .msg.assistant.thinking').forEach(function (answer) {
      label(answer, thinking.get(answer.id));
    });
  }, 1000);

  // What a streaming answer carries over its end: the end swaps its buttons (render.js keeps the
  // element and its text), and the new ones do not know the answer's versions.
  var ending = new Map(); // answer id -> { open, nav }
  document.addEventListener('htmx:sseBeforeMessage', function (e) {
    if (!e.detail || e.detail.type !== 'end') return;
    var answer = e.target.closest('.msg.assistant');
    if (!answer) return;
    var t = thinking.get(answer.id);
    if (t && !t.end && answer.querySelector('.reasoning-text').textContent !== '') t.end = Date.now();
    var details = answer.querySelector('details.reasoning');
    var nav = answer.querySelector('.versions');
    ending.set(answer.id, { open: !!(details && details.open), nav: nav && nav.cloneNode(true) });
  });

  // An answer that ended in this page (streamchat:answerEnded, fired by render.js once its end is
  // swapped in) or that replaced another (a version switch).
  function answerEnded(answer) {
    var kept = ending.get(answer.id);
    ending.delete(answer.id);
    var t = thinking.get(answer.id);
    if (!isStreaming(answer)) {
      answer.classList.remove('thinking');
      if (t && t.end) label(answer, t);
      thinking.delete(answer.id);
    }
    if (!kept) return;
    var details = answer.querySelector('details.reasoning');
    if (details && kept.open) details.open = true;
    var actions = answer.querySelector('.actions');
    if (kept.nav && actions && !answer.querySelector('.versions')) {
      actions.insertBefore(kept.nav, actions.firstChild);
      htmx.process(kept.nav);
    }
    announce(answer);
    clearNotice();
  }

  document.addEventListener('streamchat:answerEnded', function (e) {
    answerEnded(e.target);
    updateComposer();
  });

  // A screen reader hears an answer once, when it is complete, not every token of it.
  function announce(answer) {
    var region = document.getElementById('announcer');
    var body = answer.querySelector('.body');
    if (!region || !body) return;
    // Typeset math holds its formula three times (drawn, as MathML and as TeX): it is said once.
    var said = body.cloneNode(true);
    said.querySelectorAll('.katex-html, annotation').forEach(function (n) { n.remove(); });
    region.textContent = '';
    setTimeout(function () { region.textContent = 'Answer: ' + said.textContent.trim(); }, 50);
  }

  // Anything that adds or replaces a message: the composer, the newest-only buttons, timers.
  function messagesChanged(mutations) {
    mutations.forEach(function (m) {
      m.addedNodes.forEach(function (node) {
        if (node.nodeType !== 1 || !node.classList.contains('assistant')) return;
        if (isStreaming(node)) noteThinking(node);
        else answerEnded(node);
      });
    });
    if (!streamingAnswer()) clearNotice();
    updateComposer();
  }

  // ---- Notices say what went wrong; one goes away once it is no longer true.
  function clearNotice() {
    var notice = document.getElementById('notice');
    if (notice) notice.textContent = '';
  }

  function notify(text) {
    var notice = document.getElementById('notice');
    if (notice) notice.textContent = text;
  }

  document.addEventListener('htmx:afterRequest', function (e) {
    var xhr = e.detail.xhr;
    if (e.detail.successful && xhr && xhr.status < 300) clearNotice();
    var form = e.target;
    if (form.id !== 'composer' || !e.detail.successful) return;
    if (xhr.status < 300) {
      form.reset();
      var empty = $('#messages .empty');
      if (empty) empty.remove();
      toBottom();
      focusComposer();
    }
  });

  document.addEventListener('htmx:sendError', function () {
    notify('The server could not be reached. Check your connection and try again.');
  });

  document.addEventListener('htmx:responseError', function (e) {
    notify('The server could not do that (' + e.detail.xhr.status + '). Try again.');
  });

  function focusComposer() {
    var input = $('#composer textarea[name=content]');
    if (input && !document.body.classList.contains('sidebar-open')) input.focus();
  }

  // ---- Keys: Enter sends, Shift+Enter is a new line; Escape closes the sidebar, else stops.
  document.addEventListener('keydown', function (e) {
    var t = e.target;
    if (t.name === 'content' && t.form && t.form.id === 'composer' && e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
      e.preventDefault();
      if (t.value.trim() !== '' && !streamingAnswer()) htmx.trigger(t.form, 'submit');
      return;
    }
    if (e.key !== 'Escape' || e.isComposing) return;
    if (document.body.classList.contains('sidebar-open')) {
      setSidebar(false);
    } else if (streamingAnswer()) {
      e.preventDefault();
      stopAnswer();
    }
  });

  document.addEventListener('input', function (e) {
    var t = e.target;
    if (t.name === 'content') {
      t.style.height = 'auto';
      t.style.height = Math.min(t.scrollHeight, 240) + 'px';
      t.style.overflowY = t.scrollHeight > 240 ? 'auto' : 'hidden';
    }
  });

  // ---- The sidebar on phones: it opens over a backdrop; the backdrop, ✕ and Escape close it.
  function setSidebar(open) {
    document.body.classList.toggle('sidebar-open', open);
    var toggle = document.getElementById('menu-toggle');
    if (toggle) toggle.setAttribute('aria-expanded', String(open));
    if (open) {
      var first = $('#sidebar .new-chat');
      if (first) first.focus();
    } else if (toggle && getComputedStyle(toggle).display !== 'none') {
      toggle.focus();
    }
  }

  document.addEventListener('click', function (e) {
    var t = e.target;
    if (!t.closest) return;
    if (t.closest('#menu-toggle')) setSidebar(!document.body.classList.contains('sidebar-open'));
    if (t.closest('#backdrop') || t.closest('#sidebar-close')) setSidebar(false);
    if (t.closest('#stop-answer')) stopAnswer();
    if (t.closest('#jump')) toBottom();
    var suggestion = t.closest('.suggestion');
    if (suggestion) suggest(suggestion.textContent.trim());
    var msg = t.closest('.msg');
    if (!msg) return;
    if (t.closest('.copy')) copyMessage(msg, t.closest('.copy'));
    if (t.closest('.edit') || t.closest('.cancel')) toggleEdit(msg);
  });

  // A suggestion from the empty page is sent as if typed.
  function suggest(text) {
    var form = document.getElementById('composer');
    form.elements.namedItem('content').value = text;
    htmx.trigger(form, 'submit');
  }

  // Copy: an answer's Markdown as it is stored, a person's message as they wrote it.
  function copyMessage(msg, button) {
    var text = msg.dataset.markdown;
    if (text === undefined) {
      var bubble = msg.querySelector('.bubble');
      text = bubble ? bubble.textContent : '';
    }
    if (!navigator.clipboard) return;
    navigator.clipboard.writeText(text).then(function () {
      button.textContent = 'Copied';
      setTimeout(function () { button.textContent = 'Copy'; }, 1500);
    }, function () {
      notify('The browser did not allow copying.');
    });
  }

  // Edit: the message turns into a form holding its text; Cancel turns it back.
  function toggleEdit(msg) {
    var form = msg.querySelector('.edit-form');
    if (!form) return;
    form.hidden = !form.hidden;
    msg.classList.toggle('editing', !form.hidden);
    if (!form.hidden) form.querySelector('textarea').focus();
    else msg.querySelector('.edit').focus();
  }

  // Only the newest answer offers Regenerate and Continue: a new exchange retires the old buttons.
  document.addEventListener('htmx:afterSwap', function (e) {
    if (e.target.id === 'messages') {
      var answers = document.querySelectorAll('#messages .msg.assistant');
      var newest = answers[answers.length - 1];
      document.querySelectorAll('#messages [data-last-only]').forEach(function (b) {
        if (!newest || !newest.contains(b)) b.remove();
      });
      if (e.detail.requestConfig && e.detail.requestConfig.verb === 'post') toBottom();
    }
    var rename = e.target.querySelector && e.target.querySelector('.rename-form input');
    if (e.target.classList && e.target.classList.contains('rename-form')) rename = e.target.querySelector('input');
    if (rename) rename.select();
  });

  var observer = new MutationObserver(messagesChanged);

  function start() {
    var messages = document.getElementById('messages');
    observer.disconnect();
    if (messages) observer.observe(messages, { childList: true });
    document.querySelectorAll('#messages .msg.assistant').forEach(noteThinking);
    updateComposer();
    toBottom();
    focusComposer();
  }

  document.addEventListener('DOMContentLoaded', start);
  // The sidebar's links swap the page in place (hx-boost): the page starts over there too.
  document.addEventListener('htmx:afterSettle', function (e) {
    if (e.detail.boosted) {
      setSidebar(false);
      start();
    }
  });
})();
