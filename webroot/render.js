// streamchat's answers as Markdown (issue 13). The server renders; this file applies what its
// page stream sends (see web/PageEvents.java) and dresses finished blocks: code highlighting
// (highlight.js) and math (KaTeX), each once per block, and the code blocks' Copy buttons.
(function () {
  'use strict';

  // The state of one streaming answer body: its tail element, the tail's html as the server
  // rendered it (edits are relative to it), and the code of a code block being written.
  function state(body) {
    if (body._md) return body._md;
    var tail = body.querySelector(':scope > .md-tail');
    var code = tail && tail.querySelector('.codeblock:last-child code');
    body._md = { tail: tail, html: tail ? tail.dataset.html || '' : '', code: code ? code.textContent : null,
                 codeEl: code, done: null, line: null };
    return body._md;
  }

  function apply(body, data) {
    var st = state(body);
    if (data.b) {
      var before = st.tail.previousSibling;
      st.tail.insertAdjacentHTML('beforebegin', data.b);
      for (var n = before ? before.nextSibling : body.firstChild; n && n !== st.tail; n = n.nextSibling) {
        if (n.nodeType === 1) enhance(n);
      }
    }
    if (data.t) {
      st.html = st.html.slice(0, data.t[0]) + data.t[1];
      st.tail.innerHTML = st.html;
      st.code = null;
      st.codeEl = st.tail.querySelector('.codeblock:last-child code');
      st.done = st.line = null;
    }
    if (data.c) setCode(st, (st.code || '').slice(0, data.c[0]) + data.c[1], data.c[0]);
    if (data.r) {
      var reasoning = body.closest('.msg').querySelector('.reasoning-text');
      if (reasoning) reasoning.appendChild(document.createTextNode(data.r));
    }
  }

  // A code block being written: its complete lines grow by appending to one text node, the line
  // being written is another, so a long block costs the same per token as a short one.
  function setCode(st, code, keep) {
    var cut = code.lastIndexOf('\n') + 1;
    var done = code.slice(0, cut);
    if (!st.done) {
      st.codeEl.textContent = '';
      st.done = document.createTextNode('');
      st.line = document.createTextNode('');
      st.codeEl.append(st.done, st.line);
    }
    var have = st.done.length;
    if (keep >= have && done.length >= have) st.done.appendData(done.slice(have));
    else st.done.data = done;
    st.line.data = code.slice(cut);
    st.code = code;
  }

  // The end: the tail becomes finished blocks, kept as they are when the server says they are
  // already right, otherwise replaced by what it sends. Finished blocks before it stay untouched.
  function end(body, endTemplate) {
    var st = state(body);
    var tail = st.tail;
    if (tail) {
      var before = tail.previousSibling;
      if (endTemplate.dataset.keep === 'true') {
        while (tail.firstChild) body.insertBefore(tail.firstChild, tail);
      } else {
        tail.insertAdjacentHTML('beforebegin', endTemplate.innerHTML);
      }
      for (var n = before ? before.nextSibling : body.firstChild; n && n !== tail; n = n.nextSibling) {
        if (n.nodeType === 1) enhance(n);
      }
      tail.remove();
    }
    var msg = body.closest('.msg');
    if (msg) {
      msg.dataset.state = endTemplate.dataset.state;
      msg.dataset.markdown = endTemplate.dataset.markdown || '';
      msg.classList.remove('streaming');
      msg.removeAttribute('aria-busy');
    }
    body._md = null;
  }

  // In the capture phase: before app.js moves the stream's cursor past the event, so an event is
  // applied exactly when its id is above the cursor (a reconnect may send nothing twice anyway).
  document.addEventListener('htmx:sseBeforeMessage', function (e) {
    var event = e.detail;
    if (e.defaultPrevented || !event) return;
    if (event.type === 'md') {
      var body = e.target;
      var source = body.closest('[sse-connect]');
      e.preventDefault(); // applied here, not swapped by htmx
      if (!(Number(event.lastEventId) > Number(source.dataset.cursor || 0))) return;
      apply(body, JSON.parse(event.data));
      // After app.js's own handler of this event (it decides whether to follow the answer down).
      Promise.resolve().then(function () { htmx.trigger(body, 'htmx:sseMessage', event); });
    } else if (event.type === 'end') {
      var stream = e.target.closest('.stream');
      var endBody = stream && stream.querySelector('.body.markdown');
      var parsed = document.createElement('template');
      parsed.innerHTML = event.data;
      var endTemplate = parsed.content.querySelector('template.md-end');
      if (endBody && endTemplate) end(endBody, endTemplate);
    }
  }, true);

  // The end's template was applied above; htmx swapped it in with the buttons. The answer's element
  // stays (only its buttons were swapped): now that it has them, whoever acted on a replaced
  // answer (announcing it, say) can act on this one.
  document.addEventListener('htmx:sseMessage', function (e) {
    if (!e.detail || e.detail.type !== 'end') return;
    document.querySelectorAll('template.md-end').forEach(function (t) { t.remove(); });
    var msg = e.target.closest && e.target.closest('.msg');
    if (msg) msg.dispatchEvent(new CustomEvent('streamchat:answerEnded', { bubbles: true }));
  });

  // Highlighting and math for a finished block, once.
  function enhance(root) {
    root.querySelectorAll('.codeblock code').forEach(highlight);
    if (root.matches('.math')) typeset(root);
    root.querySelectorAll('.math').forEach(typeset);
  }

  function highlight(code) {
    if (code._highlighted || !window.hljs) return;
    code._highlighted = true;
    var match = /(?:^|\s)language-(\S+)/.exec(code.className);
    if (!match || !hljs.getLanguage(match[1])) return;
    // hljs escapes the text it is given: its result is markup of its own spans only.
    code.innerHTML = hljs.highlight(code.textContent, { language: match[1], ignoreIllegals: true }).value;
    code.classList.add('hljs');
  }

  function typeset(el) {
    if (el._typeset || !window.katex) return;
    el._typeset = true;
    // trust: false keeps \href, \url and \html* inert; errors show the source instead of throwing.
    katex.render(el.textContent, el, { displayMode: el.classList.contains('math-display'), throwOnError: false,
                                       trust: false, strict: 'ignore', maxExpand: 1000, maxSize: 50 });
  }

  // Every answer on the page or swapped into it: its finished blocks (a tail is dressed when it ends).
  function enhanceAll(root) {
    (root.querySelectorAll ? root : document).querySelectorAll('.msg.assistant .body.markdown').forEach(function (body) {
      for (var n = body.firstElementChild; n; n = n.nextElementSibling) {
        if (!n.classList.contains('md-tail')) enhance(n);
      }
    });
  }
  document.addEventListener('DOMContentLoaded', function () { enhanceAll(document); });
  document.addEventListener('htmx:afterSettle', function (e) { enhanceAll(e.target.closest ? e.target.closest('.messages') || document : document); });

  // Copy on a code block copies its code only.
  document.addEventListener('click', function (e) {
    var button = e.target.closest && e.target.closest('.code-copy');
    if (!button || !navigator.clipboard) return;
    var code = button.parentNode.querySelector('code');
    navigator.clipboard.writeText(code.textContent).then(function () {
      button.classList.add('copied');
      setTimeout(function () { button.classList.remove('copied'); }, 1500);
    });
  });
})();
