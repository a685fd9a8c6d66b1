// streamchat's page behaviour: keep each stream's cursor, tidy the composer, show notices.
(function () {
  'use strict';

  // htmx's SSE extension reconnects with a new EventSource that sends no Last-Event-ID, so
  // each stream keeps its own cursor: an event at or below it was applied already and is
  // dropped, and the connect URL always resumes after it.
  document.addEventListener('htmx:sseBeforeMessage', function (e) {
    var source = e.target.closest('[sse-connect]');
    var event = e.detail;
    if (!source || !event || event.type === 'end') return;
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
    var meta = document.querySelector('meta[name="csrf-token"]');
    if (meta) e.detail.headers['X-CSRF-Token'] = meta.content;
  });

  // Plain forms that post (Retry) carry the token as a field.
  document.addEventListener('submit', function (e) {
    var form = e.target;
    var meta = document.querySelector('meta[name="csrf-token"]');
    if (!meta || form.method.toLowerCase() !== 'post' || form.elements.namedItem('csrf')) return;
    var input = document.createElement('input');
    input.type = 'hidden';
    input.name = 'csrf';
    input.value = meta.content;
    form.appendChild(input);
  });

  function nearBottom() {
    var el = document.scrollingElement;
    return el.scrollHeight - el.scrollTop - el.clientHeight < 160;
  }

  function toBottom() {
    var el = document.scrollingElement;
    el.scrollTop = el.scrollHeight;
  }

  var follow = true;
  document.addEventListener('htmx:sseBeforeMessage', function () { follow = nearBottom(); });
  document.addEventListener('htmx:sseMessage', function () { if (follow) toBottom(); });

  document.addEventListener('htmx:beforeRequest', function (e) {
    var notice = document.getElementById('notice');
    if (notice && e.target.id === 'composer') notice.textContent = '';
  });

  document.addEventListener('htmx:afterRequest', function (e) {
    var form = e.target;
    if (form.id !== 'composer' || !e.detail.successful) return;
    if (e.detail.xhr.status < 300) {
      form.reset();
      var empty = document.querySelector('#messages .empty');
      if (empty) empty.remove();
      toBottom();
    }
  });

  document.addEventListener('htmx:sendError', function () {
    var notice = document.getElementById('notice');
    if (notice) notice.textContent = 'The server could not be reached. Check your connection and try again.';
  });

  document.addEventListener('htmx:responseError', function (e) {
    var notice = document.getElementById('notice');
    if (notice) notice.textContent = 'The server could not do that (' + e.detail.xhr.status + '). Try again.';
  });

  document.addEventListener('keydown', function (e) {
    var t = e.target;
    if (t.name === 'content' && t.form && t.form.id === 'composer' && e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
      e.preventDefault();
      if (t.value.trim() !== '') htmx.trigger(t.form, 'submit');
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

  document.addEventListener('click', function (e) {
    var t = e.target;
    if (t.id === 'menu-toggle') document.body.classList.toggle('sidebar-open');
    var msg = t.closest && t.closest('.msg');
    if (!msg) return;
    if (t.classList.contains('copy')) copyMessage(msg, t);
    if (t.classList.contains('edit') || t.classList.contains('cancel')) toggleEdit(msg);
  });

  // Copy: the message's text as the page shows it.
  function copyMessage(msg, button) {
    var body = msg.querySelector('.bubble, .body');
    if (!body || !navigator.clipboard) return;
    navigator.clipboard.writeText(body.innerText).then(function () {
      button.textContent = 'Copied';
      setTimeout(function () { button.textContent = 'Copy'; }, 1500);
    });
  }

  // Edit: the message turns into a form holding its text; Cancel turns it back.
  function toggleEdit(msg) {
    var form = msg.querySelector('.edit-form');
    if (!form) return;
    form.hidden = !form.hidden;
    msg.classList.toggle('editing', !form.hidden);
    if (!form.hidden) form.querySelector('textarea').focus();
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

  document.addEventListener('DOMContentLoaded', toBottom);
  // The sidebar's links swap the page in place (hx-boost): show the newest messages there too.
  document.addEventListener('htmx:afterSettle', function (e) {
    if (e.detail.boosted) { document.body.classList.remove('sidebar-open'); toBottom(); }
  });
})();
