// Structured (JSON) answers on the chat page: a pretty, collapsible tree that grows with the
// answer's `json` events and says at the end whether the answer is valid. The model's text is
// untrusted: the tree is built with DOM nodes and textContent only, never HTML.
//
// Hooks the chat page provides (templates/chat.html):
//  - the composer may carry <select name="responseFormat"> with "" (text) and "json_object";
//    after a message sent with JSON, the newest answer (article.msg.assistant, id msg-<gid>)
//    gets the tree;
//  - any element with data-json-generation="<gid>" gets the tree for that answer on load and
//    after every htmx swap: from its json events while it runs, from its saved text (data-markdown)
//    once it has ended.
// Programs may call StreamchatJson.attach(element, generationId) themselves.
(function () {
  'use strict';

  const ATTACHED = 'jsonAttached';
  /** The tree's stylesheet (a file: the page's CSP allows no inline styles), added once. */
  function addStyle() {
    if (document.getElementById('json-view-style')) return;
    const link = document.createElement('link');
    link.id = 'json-view-style';
    link.rel = 'stylesheet';
    link.href = '/static/json-view.css';
    document.head.append(link);
  }

  function scalar(value) {
    const span = document.createElement('span');
    if (typeof value === 'string') {
      span.className = 'json-string';
      span.textContent = JSON.stringify(value);
    } else {
      span.className = value === null ? 'json-null' : 'json-' + typeof value;
      span.textContent = String(value);
    }
    return span;
  }

  /** The tree of a value; containers are <details>, open unless the person closed them (by path). */
  function render(value, path, closed) {
    if (value === null || typeof value !== 'object') return scalar(value);
    const isArray = Array.isArray(value);
    const keys = isArray ? value.map((_, i) => i) : Object.keys(value);
    const details = document.createElement('details');
    details.className = 'json-node';
    details.open = !closed.has(path);
    details.addEventListener('toggle', () => {
      if (details.open) closed.delete(path);
      else closed.add(path);
    });
    const summary = document.createElement('summary');
    summary.textContent = isArray ? '[' + keys.length + (keys.length === 1 ? ' item]' : ' items]')
      : '{' + keys.length + (keys.length === 1 ? ' key}' : ' keys}');
    details.append(summary);
    const list = document.createElement('ul');
    for (const k of keys) {
      const item = document.createElement('li');
      if (!isArray) {
        const key = document.createElement('span');
        key.className = 'json-key';
        key.textContent = JSON.stringify(k) + ': ';
        item.append(key);
      }
      item.append(render(value[k], path + '/' + k, closed));
      list.append(item);
    }
    details.append(list);
    return details;
  }

  /** Shows the answer's value in `host`, growing with its json events, and its validity at the end. */
  function attach(host, generationId) {
    if (!host || host.dataset[ATTACHED]) return;
    host.dataset[ATTACHED] = '1';
    addStyle();
    const box = document.createElement('div');
    box.className = 'json-view';
    const status = document.createElement('p');
    status.className = 'json-status';
    status.textContent = 'checking…';
    const tree = document.createElement('div');
    tree.className = 'json-tree';
    box.append(status, tree);
    host.append(box);
    const closed = new Set();
    const show = (value) => tree.replaceChildren(render(value, '', closed));
    if (host.dataset.state && host.dataset.state !== 'running' && host.dataset.markdown !== undefined) {
      showSaved(host, show, status);
      return;
    }
    const events = new EventSource('/api/generations/' + encodeURIComponent(generationId) + '/events');
    events.addEventListener('json', (e) => show(JSON.parse(e.data).value));
    events.addEventListener('end', (e) => {
      events.close();
      const end = JSON.parse(e.data);
      if (end.json !== undefined) {
        show(end.json);
        status.textContent = 'Valid JSON';
        status.classList.add('ok');
      } else {
        status.textContent = end.error || 'The answer ended ' + end.state + '.';
        status.classList.add('bad');
      }
    });
  }

  /**
   * An answer that had ended when the page was made: its tree from its saved text (its stream log
   * may be gone). A done JSON answer was checked valid (and against its schema) when it ended.
   */
  function showSaved(host, show, status) {
    let value;
    try {
      value = JSON.parse(host.dataset.markdown);
    } catch (e) {
      value = undefined;
    }
    if (value !== undefined) show(value);
    if (host.dataset.state === 'done' && value !== undefined) {
      status.textContent = 'Valid JSON';
      status.classList.add('ok');
    } else {
      const error = host.querySelector('.state .error');
      status.textContent = error ? error.textContent : 'The answer ended ' + host.dataset.state + '.';
      status.classList.add('bad');
    }
  }

  function attachMarked(root) {
    (root || document).querySelectorAll('[data-json-generation]').forEach((el) => attach(el, el.dataset.jsonGeneration));
  }

  /** After a message sent with JSON chosen: the answer the swap just added. */
  function afterSend(event) {
    const form = event.detail && event.detail.requestConfig && event.detail.requestConfig.elt;
    const choice = form && form.querySelector && form.querySelector('[name="responseFormat"]');
    if (!choice || choice.value !== 'json_object') return;
    const answers = document.querySelectorAll('article.msg.assistant[id^="msg-"]');
    const newest = answers[answers.length - 1];
    if (newest) attach(newest, newest.id.substring('msg-'.length));
  }

  document.addEventListener('DOMContentLoaded', () => attachMarked(document));
  document.addEventListener('htmx:afterSwap', (e) => {
    attachMarked(e.target);
    afterSend(e);
  });

  window.StreamchatJson = { attach: attach, render: render };
})();
