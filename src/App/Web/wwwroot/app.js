// The page of `secretchat ui`. Everything that came from the network (names, messages, reasons, addresses) is
// written with textContent, never as HTML; the Content-Security-Policy forbids inline script as a second wall.

const $ = (selector, root = document) => root.querySelector(selector);
const conversations = new Map(); // conv id -> { pane, tab, sent: Map(id -> mark), delivered: Set(id), connected }
let socket;
let active = null;

function element(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined && text !== null) node.textContent = String(text);
  return node;
}

function time(at) {
  const date = at ? new Date(at) : new Date();
  return date.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
}

function send(command) {
  if (socket && socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify(command));
}

function open() {
  socket = new WebSocket(`ws://${location.host}/events`);
  socket.addEventListener('open', () => { const link = $('#link'); link.textContent = 'connected to the app'; link.classList.remove('down'); });
  socket.addEventListener('close', () => {
    const link = $('#link');
    link.textContent = 'the app is gone: start secretchat ui again and open its new URL';
    link.classList.add('down');
    for (const c of conversations.values()) disable(c);
  });
  socket.addEventListener('message', event => {
    let message;
    try { message = JSON.parse(event.data); } catch { return; }
    const handler = handlers[message.type];
    if (handler) handler(message, conversations.get(message.conv));
  });
}

// ---- the start form ----------------------------------------------------------------------------------------------

function updateForm() {
  const mode = $('#mode').value;
  for (const node of document.querySelectorAll('.p2p-only')) node.classList.toggle('hidden', mode !== 'p2p');
  for (const node of document.querySelectorAll('.direct-only')) node.classList.toggle('hidden', mode === 'p2p');
  $('#address-label').textContent = mode === 'p2p' ? 'Signaling server' : mode === 'listen' ? 'Listen on' : 'Peer address';
  $('#address').placeholder = mode === 'p2p' ? 'from settings' : mode === 'listen' ? '127.0.0.1:5000' : '192.0.2.7:5000';
}

$('#mode').addEventListener('change', updateForm);
$('#start-form').addEventListener('submit', event => {
  event.preventDefault();
  $('#start-error').textContent = '';
  send({
    type: 'start',
    mode: $('#mode').value,
    room: $('#room').value,
    address: $('#address').value,
    transport: $('#transport').value,
    encryption: $('#encryption').value,
  });
});

// ---- panes and tabs ----------------------------------------------------------------------------------------------

function select(id) {
  active = id;
  for (const [key, c] of conversations) {
    c.pane.classList.toggle('hidden', key !== id);
    c.tab.classList.toggle('active', key === id);
    if (key === id) c.tab.classList.remove('unread');
  }
  const c = conversations.get(id);
  if (c) $('textarea', c.pane).focus();
}

function create(id, title) {
  const pane = $('#pane-template').content.firstElementChild.cloneNode(true);
  pane.dataset.conv = String(id);
  const tab = element('li', '', title);
  tab.dataset.conv = String(id);
  tab.addEventListener('click', () => select(id));
  const c = { id, pane, tab, title, sent: new Map(), delivered: new Set(), connected: false };
  conversations.set(id, c);

  const textarea = $('textarea', pane);
  const form = $('.compose', pane);
  form.addEventListener('submit', event => {
    event.preventDefault();
    const text = textarea.value;
    if (!text.trim() || !c.connected) return;
    send({ type: 'send', conv: id, text });
    textarea.value = '';
  });
  textarea.addEventListener('keydown', event => {
    if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      form.requestSubmit();
    }
  });
  $('.verify', pane).addEventListener('click', () => send({ type: 'verify', conv: id }));
  $('.close', pane).addEventListener('click', () => send({ type: 'close', conv: id }));

  $('#empty').classList.add('hidden');
  $('#panes').append(pane);
  $('#tabs').append(tab);
  select(id);
  return c;
}

function log(c, text, className) {
  const list = $('.log', c.pane);
  list.append(element('li', className, text));
  list.scrollTop = list.scrollHeight;
}

function banner(c, kind, text, action) {
  const node = element('div', `banner ${kind}`);
  node.setAttribute('role', kind === 'bad' ? 'alert' : 'status');
  node.append(element('span', 'banner-text', text));
  if (action) {
    const button = element('button', action.className, action.label);
    button.type = 'button';
    button.addEventListener('click', () => { button.disabled = true; action.run(); });
    node.append(button);
  }
  $('.banners', c.pane).append(node);
  return node;
}

function setStatus(c, status) {
  const badge = $('.status', c.pane);
  badge.className = `badge status ${status || ''}`;
  badge.textContent = status === 'verified' ? 'verified' : status === 'known' ? 'known, not verified' : status === 'new' ? 'new contact' : '';
}

function setPath(c, m) {
  const parts = [m.path];
  if (m.remote) parts.push(m.remote);
  if (typeof m.roundTripMs === 'number') parts.push(`${m.roundTripMs} ms`);
  $('.path', c.pane).textContent = parts.join(' · ');
}

function enable(c) {
  c.connected = true;
  for (const node of $('.compose', c.pane).elements) node.disabled = false;
}

function disable(c) {
  c.connected = false;
  for (const node of $('.compose', c.pane).elements) node.disabled = true;
}

function addMessage(c, { mine, from, at, text, id }) {
  const list = $('.messages', c.pane);
  const item = element('li', mine ? 'mine' : 'theirs');
  const head = element('div', 'head');
  if (!mine) head.append(element('span', 'from', from));
  head.append(element('time', 'time', time(at)));
  if (mine) {
    const delivered = c.delivered.has(id);
    const mark = element('span', delivered ? 'mark delivered' : 'mark', delivered ? '✓ delivered' : '… sending');
    c.sent.set(id, mark);
    head.append(mark);
    item.dataset.id = String(id);
  }
  item.append(head, element('p', 'text', text));
  list.append(item);
  list.scrollTop = list.scrollHeight;
  if (c.id !== active) c.tab.classList.add('unread');
}

// ---- events from the app -----------------------------------------------------------------------------------------

const handlers = {
  hello(m) {
    $('#me').textContent = m.name;
    const choice = $('#encryption');
    choice.replaceChildren(...m.encryptions.map(id => { const o = element('option', '', id); o.value = id; return o; }));
  },
  error(m, c) {
    if (c) log(c, m.text, 'error'); else $('#start-error').textContent = m.text;
  },
  conversation(m) { create(m.conv, m.title); },
  progress(m, c) { if (c) log(c, m.text); },
  listening(m, c) { if (c) log(c, `listening on ${m.address}; waiting for a peer`); },
  notice(m, c) { if (c) log(c, m.text); },
  connected(m, c) {
    if (!c) return;
    $('.peer', c.pane).textContent = m.peer;
    c.tab.textContent = `${m.peer} (${c.title})`;
    $('.encryption', c.pane).textContent = `${m.encryption} over ${m.transport}`;
    setPath(c, m);
    setStatus(c, m.status);
    log(c, m.security);
    if (!m.confidential) banner(c, 'bad', `NOT ENCRYPTED: ${m.security}`);
    else if (!m.authenticated) banner(c, 'warn', `Weak mode: ${m.security}`);
    const safety = $('.safety', c.pane);
    if (m.safetyNumber) {
      const grid = $('.grid', safety);
      grid.replaceChildren(...m.safetyNumber.split(/\s+/).map(group => element('span', 'group', group)));
      safety.hidden = false;
      $('.verify', safety).disabled = m.status === 'verified';
    }
    enable(c);
  },
  message(m, c) { if (c) addMessage(c, { mine: false, from: m.from, at: m.at, text: m.text }); },
  sent(m, c) { if (c) addMessage(c, { mine: true, at: m.at, text: m.text, id: m.id }); },
  delivered(m, c) {
    if (!c) return;
    c.delivered.add(m.id);
    const mark = c.sent.get(m.id);
    if (mark) { mark.textContent = '✓ delivered'; mark.classList.add('delivered'); }
  },
  path(m, c) {
    if (!c) return;
    setPath(c, m);
    if (m.reason) log(c, `now ${m.path}: ${m.reason}`);
  },
  verified(m, c) {
    if (!c) return;
    setStatus(c, 'verified');
    $('.verify', c.pane).disabled = true;
    banner(c, 'info', `${m.peer} is now marked as verified. A different key from them will be refused loudly.`);
  },
  keychanged(m, c) {
    if (!c) return;
    banner(c, 'bad key-changed', m.text, {
      label: 'Trust the new key and reconnect',
      className: 'trust',
      run: () => send({ type: 'trust', conv: c.id }),
    });
  },
  failed(m, c) { if (c) banner(c, 'bad', m.text); },
  disconnected(m, c) {
    if (!c) return;
    disable(c);
    banner(c, m.clean ? 'warn disconnected' : 'bad disconnected', `Disconnected: ${m.text}`);
  },
  closed(m, c) {
    if (!c) return;
    c.pane.remove();
    c.tab.remove();
    conversations.delete(c.id);
    const next = conversations.keys().next();
    if (!next.done) select(next.value); else $('#empty').classList.remove('hidden');
  },
};

setInterval(() => {
  for (const c of conversations.values()) if (c.connected) send({ type: 'path', conv: c.id });
}, 5000);

updateForm();
open();
