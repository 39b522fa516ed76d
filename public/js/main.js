import { ChatStore } from './chat-store.js';
import { Connection } from './connection.js';
import { renderContactList } from './contacts-view.js';
import { ConversationView } from './conversation-view.js';
import { MAX_MESSAGE_BYTES, uidProblem, utf8Length } from './limits.js';
import { Outbox } from './outbox.js';

/** localStorage key of the remembered uid. */
const UID_KEY = 'switchboard.uid';

/**
 * sessionStorage key of the token: kept for reloads of this tab, never written to disk.
 * Limitation: with auth on, each new tab asks for the token again.
 */
const TOKEN_KEY = 'switchboard.token';

/** The banner shown while the page is on long-poll because WebSockets are blocked. */
const FALLBACK_NOTICE = 'WebSockets do not get through on this network, so Switchboard ' +
  'switched to HTTP long-poll. Chatting works the same.';

const ui = Object.fromEntries([
  'status', 'retry-now', 'account', 'me', 'sign-out', 'banner', 'banner-text', 'banner-close',
  'sign-in', 'sign-in-form', 'uid', 'token', 'token-details', 'sign-in-error', 'chat',
  'new-chat-form', 'new-chat', 'new-chat-error', 'contacts', 'no-contacts', 'back',
  'conversation', 'peer-name', 'peer-presence', 'empty-conversation', 'messages', 'jump',
  'compose-form', 'compose', 'compose-label', 'send', 'compose-error', 'announcer',
].map((id) => [camelCase(id), document.getElementById(id)]));
ui.statusText = ui.status.querySelector('.status-text');

const params = new URLSearchParams(window.location.search);

/** localStorage and sessionStorage, or null where the browser refuses them. */
const storage = openStorage('localStorage');
const tabStorage = openStorage('sessionStorage');

/** `?transport=ws|poll` forces one transport; anything else means WebSocket first. */
const mode = ['ws', 'poll'].includes(params.get('transport')) ? params.get('transport') : 'auto';

/** The signed-in user's state, or null while signed out. */
let session = null;

/** The open chat's message list; one for the page, reused across sign-ins. */
const conversationView = new ConversationView({
  list: ui.messages,
  jump: ui.jump,
  onRetry: (message) => session?.outbox.retry(message),
});

function main() {
  wireControls();
  const uid = params.get('uid') ?? readStorage(storage, UID_KEY);
  const token = readStorage(tabStorage, TOKEN_KEY);
  if (uid !== null && uidProblem(uid) === null) {
    startSession(uid, token, params.get('peer'));
  } else {
    showSignIn(uid ?? '', uid ? uidProblem(uid) : '', false);
  }
}

// MARK: Session

function startSession(uid, token, peer) {
  writeStorage(storage, UID_KEY, uid);
  const current = {};
  const live = (handler) => (...args) => (session === current ? handler(...args) : undefined);
  current.store = new ChatStore(uid, storage);
  current.connection = new Connection({
    uid,
    token,
    mode,
    onChange: live(showConnection),
    onFrame: live(handleFrame),
    onOpen: live(handleOpen),
    onFatal: live(handleFatal),
  });
  current.outbox = new Outbox({
    connection: current.connection,
    onUpdate: live((message) => current.view.update(message)),
    idPrefix: current.connection.idPrefix,
  });
  current.view = conversationView;
  current.countdown = setInterval(live(showRetryCountdown), 1000);
  session = current;

  ui.signIn.hidden = true;
  ui.chat.hidden = false;
  ui.account.hidden = false;
  ui.me.textContent = uid;
  renderContacts();
  if (peer && uidProblem(peer) === null) {
    openChat(peer, { focus: true });
  } else {
    renderConversation();
  }
  current.connection.start();
}

function endSession() {
  if (!session) {
    return;
  }
  const ended = session;
  session = null;
  clearInterval(ended.countdown);
  ended.connection.stop();
  ended.view.clear();
  ui.contacts.replaceChildren();
  ui.chat.hidden = true;
  ui.chat.classList.remove('showing-conversation');
  ui.account.hidden = true;
  hideBanner();
  updateTitle();
}

function signOut() {
  endSession();
  removeStorage(storage, UID_KEY);
  removeStorage(tabStorage, TOKEN_KEY);
  const url = new URL(window.location.href);
  url.searchParams.delete('uid');
  url.searchParams.delete('peer');
  window.history.replaceState(null, '', url);
  showSignIn('', '', false);
}

function showSignIn(uid, error, needsToken) {
  ui.signIn.hidden = false;
  ui.chat.hidden = true;
  ui.uid.value = uid;
  ui.signInError.textContent = error || '';
  ui.tokenDetails.open = needsToken || ui.token.value !== '';
  setStatus('offline', ui.status.dataset.transport, 'Not signed in', '');
  ui.retryNow.hidden = true;
  (needsToken ? ui.token : ui.uid).focus();
}

function submitSignIn(event) {
  event.preventDefault();
  const uid = ui.uid.value.trim();
  const problem = uidProblem(uid);
  if (problem) {
    ui.signInError.textContent = problem;
    ui.uid.focus();
    return;
  }
  const token = ui.token.value.trim();
  if (token) {
    writeStorage(tabStorage, TOKEN_KEY, token);
  } else {
    removeStorage(tabStorage, TOKEN_KEY);
  }
  ui.signInError.textContent = '';
  startSession(uid, token || null, params.get('peer'));
}

// MARK: Connection events

function showConnection(snapshot) {
  const via = snapshot.transport === 'poll' ? 'long-poll' : 'WebSocket';
  let text;
  if (snapshot.state === 'open') {
    text = snapshot.fellBack ? 'Online · long-poll (WebSocket blocked)' : `Online · ${via}`;
  } else if (snapshot.state === 'connecting') {
    text = `Connecting · ${via}…`;
  } else {
    text = snapshot.stopped ? 'Offline' : 'Offline · reconnecting';
  }
  setStatus(snapshot.state, snapshot.transport, text, snapshot.error || '');
  showRetryCountdown();
  if (snapshot.state !== 'open' && session.store.forgetPresence()) {
    // Without a connection nobody's presence is known; showing the last one would lie.
    renderContacts();
    showPresence();
  }
  ui.compose.placeholder = snapshot.state === 'open'
    ? 'Write a message'
    : 'Write a message (sent when back online)';
  if (snapshot.fellBack && !session.toldAboutFallback) {
    session.toldAboutFallback = true;
    showBanner(FALLBACK_NOTICE);
  } else if (!snapshot.fellBack && session.toldAboutFallback && snapshot.state === 'open') {
    // Back on WebSocket: the notice no longer holds.
    session.toldAboutFallback = false;
    if (ui.bannerText.textContent === FALLBACK_NOTICE) {
      hideBanner();
    }
  }
}

function setStatus(state, transport, text, detail) {
  ui.status.dataset.state = state;
  ui.status.dataset.transport = transport;
  ui.status.title = detail;
  // Only a real change is written, so screen readers hear each state once.
  if (ui.statusText.textContent !== text) {
    ui.statusText.textContent = text;
  }
}

function showRetryCountdown() {
  const { connection } = session;
  const waiting = connection.state === 'offline' && !connection.stopped &&
    connection.retryAt !== null;
  ui.retryNow.hidden = !waiting;
  if (waiting) {
    const seconds = Math.max(0, Math.ceil((connection.retryAt - Date.now()) / 1000));
    ui.retryNow.textContent = seconds > 0 ? `Retry now (${seconds} s)` : 'Retry now';
  }
}

function handleOpen({ gap }) {
  const { store, outbox } = session;
  if (store.openPeer) {
    sendJoin(store.openPeer);
  }
  outbox.flush();
  if (gap) {
    showBanner('Some messages sent to you while you were away are older than the server ' +
      'keeps, so they are missing here.');
  }
}

function handleFatal(error) {
  const uid = session.store.me;
  endSession();
  if (error.kind === 'auth') {
    showSignIn(uid, `The server needs a valid token to sign in as “${uid}” (${error.message}).`,
      true);
  } else {
    showSignIn(uid, `The server refused to sign in “${uid}”: ${error.message}.`, false);
  }
}

function handleFrame(frame) {
  const { store } = session;
  if (frame.error || frame.touid !== store.me || typeof frame.uid !== 'string') {
    return;
  }
  if (frame.type === 'send') {
    const message = store.addReceived(frame);
    if (!message) {
      return;
    }
    if (message.peer === store.openPeer) {
      session.view.append(message, false);
    } else {
      announce(`New message from ${message.peer}`);
    }
    renderContacts();
    updateTitle();
  } else if (frame.type === 'join') {
    // Limitation: presence is only what V1 tells: join replies and join/exit notices. A
    // contact who comes online without opening a chat with us is not seen until they do,
    // and a contact who merely switched to another chat (exit) shows as offline.
    store.contact(frame.uid);
    setPresence(frame.uid, 'online');
  } else if (frame.type === 'exit' && store.contacts.has(frame.uid)) {
    setPresence(frame.uid, 'offline');
  }
}

function sendJoin(peer) {
  session.connection.request({ type: 'join', touid: peer }).then((reply) => {
    if (session && !reply.error && (reply.msg === 'online' || reply.msg === 'offline')) {
      setPresence(peer, reply.msg);
    }
  }, () => {});
}

function sendExit(peer) {
  session.connection.request({ type: 'exit', touid: peer }).catch(() => {});
}

// MARK: Contacts

function openChat(peer, { focus = false } = {}) {
  const { store, connection } = session;
  const previous = store.openPeer;
  if (previous && previous !== peer && connection.isOpen) {
    sendExit(previous);
  }
  store.openPeer = peer;
  store.contact(peer).unread = 0;
  ui.chat.classList.add('showing-conversation');
  renderConversation();
  renderContacts();
  updateTitle();
  if (previous !== peer && connection.isOpen) {
    sendJoin(peer);
  }
  if (focus) {
    ui.compose.focus();
  }
}

function closeChat() {
  const { store, connection } = session;
  if (store.openPeer && connection.isOpen) {
    sendExit(store.openPeer);
  }
  const closed = store.openPeer;
  store.openPeer = null;
  ui.chat.classList.remove('showing-conversation');
  renderConversation();
  renderContacts();
  ui.contacts.querySelector(`[data-peer="${CSS.escape(closed || '')}"]`)?.focus();
}

function submitNewChat(event) {
  event.preventDefault();
  const peer = ui.newChat.value.trim();
  const problem = uidProblem(peer);
  if (problem) {
    ui.newChatError.textContent = problem;
    ui.newChat.focus();
    return;
  }
  ui.newChatError.textContent = '';
  ui.newChat.value = '';
  openChat(peer, { focus: true });
}

function setPresence(uid, presence) {
  session.store.contact(uid).presence = presence;
  renderContacts();
  if (uid === session.store.openPeer) {
    showPresence();
    announce(`${uid} is ${presence}`);
  }
}

function renderContacts() {
  const { store } = session;
  const shown = renderContactList(ui.contacts, store.sortedContacts(), store.openPeer,
    (uid) => openChat(uid, { focus: true }));
  ui.noContacts.hidden = shown > 0;
}

function showPresence() {
  const contact = session.store.openPeer ? session.store.contact(session.store.openPeer) : null;
  const presence = contact ? contact.presence : 'unknown';
  ui.peerPresence.dataset.presence = presence;
  ui.peerPresence.textContent = presence === 'unknown' ? '' : presence;
}

// MARK: Conversation

function renderConversation() {
  const { store, view } = session;
  const peer = store.openPeer;
  ui.conversation.dataset.empty = String(!peer);
  ui.emptyConversation.hidden = Boolean(peer);
  ui.compose.disabled = !peer;
  ui.send.disabled = !peer;
  ui.peerName.textContent = peer || '';
  showPresence();
  if (!peer) {
    view.clear();
    return;
  }
  ui.messages.setAttribute('aria-label', `Messages with ${peer}`);
  ui.composeLabel.textContent = `Message to ${peer}`;
  view.show(store.contact(peer).messages);
}

function sendComposed() {
  if (!session || !session.store.openPeer) {
    return;
  }
  const text = ui.compose.value;
  if (text.trim() === '') {
    return;
  }
  if (utf8Length(text) > MAX_MESSAGE_BYTES) {
    ui.composeError.textContent =
      `This message is too long: at most ${MAX_MESSAGE_BYTES} bytes can be sent at once.`;
    return;
  }
  const { store, outbox } = session;
  const message = store.addOwn(store.openPeer, outbox.newId(), text);
  outbox.enqueue(message);
  session.view.append(message, true);
  renderContacts();
  ui.compose.value = '';
  ui.composeError.textContent = '';
  fitComposeToText();
  ui.compose.focus();
}

function fitComposeToText() {
  ui.compose.style.height = 'auto';
  ui.compose.style.height = `${ui.compose.scrollHeight}px`;
}

// MARK: Page furniture

function showBanner(text) {
  ui.bannerText.textContent = text;
  ui.banner.hidden = false;
}

function hideBanner() {
  ui.banner.hidden = true;
  ui.bannerText.textContent = '';
}

function announce(text) {
  ui.announcer.textContent = text;
}

function updateTitle() {
  const unread = session ? session.store.totalUnread() : 0;
  document.title = unread > 0 ? `(${unread}) Switchboard` : 'Switchboard';
}

function wireControls() {
  ui.signInForm.addEventListener('submit', submitSignIn);
  ui.signOut.addEventListener('click', signOut);
  ui.bannerClose.addEventListener('click', hideBanner);
  ui.newChatForm.addEventListener('submit', submitNewChat);
  ui.back.addEventListener('click', () => session && closeChat());
  ui.retryNow.addEventListener('click', () => session?.connection.retryNow());
  ui.composeForm.addEventListener('submit', (event) => {
    event.preventDefault();
    sendComposed();
  });
  ui.compose.addEventListener('keydown', (event) => {
    // Enter sends, Shift+Enter falls through to the textarea's newline. An Enter that
    // confirms an input-method composition (CJK and the like) must not send.
    if (event.key === 'Enter' && !event.shiftKey && !event.isComposing &&
        event.keyCode !== 229) {
      event.preventDefault();
      sendComposed();
    }
  });
  ui.compose.addEventListener('input', () => {
    ui.composeError.textContent = '';
    fitComposeToText();
  });
  window.addEventListener('online', () => session?.connection.retryNow());
  document.addEventListener('visibilitychange', () => {
    if (document.visibilityState === 'visible') {
      session?.connection.retryNow();
    }
  });
  // Leaving the page ends the connection at once (a long-poll session would otherwise
  // linger until it expires and keep this user "online" for the others).
  window.addEventListener('pagehide', () => session?.connection.stop());
  window.addEventListener('pageshow', (event) => {
    if (event.persisted) {
      session?.connection.start();
    }
  });
}

// MARK: Helpers

function openStorage(name) {
  try {
    return window[name];
  } catch {
    // Some private modes throw on mere access.
    return null;
  }
}

function camelCase(id) {
  return id.replace(/-([a-z])/g, (_, letter) => letter.toUpperCase());
}

function readStorage(store, key) {
  try {
    return store ? store.getItem(key) : null;
  } catch {
    return null;
  }
}

function writeStorage(store, key, value) {
  try {
    store?.setItem(key, value);
  } catch {
    // Storage can be unavailable (private mode, quota); the page works without it.
  }
}

function removeStorage(store, key) {
  try {
    store?.removeItem(key);
  } catch {
    // As above.
  }
}

main();
