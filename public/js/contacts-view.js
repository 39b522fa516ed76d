/**
 * The chat list: one button per contact with presence, the latest message and an unread
 * badge. Names and previews go in as text, never as markup.
 */

/** Longest preview kept in the DOM (CSS cuts it to one line anyway). */
const PREVIEW_CHARS = 120;

/**
 * Replaces the items of `list` with `contacts`, keeping keyboard focus on the same
 * contact. Returns how many contacts are shown.
 * @param {HTMLElement} list
 * @param {object[]} contacts from the chat store, in display order
 * @param {string|null} openPeer the contact whose chat is open (marked current)
 * @param {(uid: string) => void} onSelect a contact was chosen
 */
export function renderContactList(list, contacts, openPeer, onSelect) {
  const focusedPeer = list.contains(document.activeElement)
    ? document.activeElement.dataset.peer
    : undefined;
  list.replaceChildren(...contacts.map((contact) => {
    const item = document.createElement('li');
    item.append(contactButton(contact, contact.uid === openPeer, onSelect));
    return item;
  }));
  if (focusedPeer !== undefined) {
    list.querySelector(`[data-peer="${CSS.escape(focusedPeer)}"]`)?.focus();
  }
  return contacts.length;
}

function contactButton(contact, isOpen, onSelect) {
  const button = document.createElement('button');
  button.type = 'button';
  button.className = 'contact';
  button.dataset.peer = contact.uid;
  button.dataset.presence = contact.presence;
  if (isOpen) {
    button.setAttribute('aria-current', 'true');
  }
  button.addEventListener('click', () => onSelect(contact.uid));

  const dot = document.createElement('span');
  dot.className = 'presence-dot';
  dot.setAttribute('aria-hidden', 'true');
  const text = document.createElement('span');
  text.className = 'contact-text';
  const name = document.createElement('span');
  name.className = 'contact-name';
  name.textContent = contact.uid;
  text.append(name, hiddenText(contact.presence === 'unknown' ? '' : `, ${contact.presence}`));
  const last = contact.messages[contact.messages.length - 1];
  if (last) {
    const preview = document.createElement('span');
    preview.className = 'contact-preview';
    preview.setAttribute('aria-hidden', 'true');
    preview.textContent = (last.direction === 'out' ? 'You: ' : '') +
      last.text.slice(0, PREVIEW_CHARS);
    text.append(preview);
  }
  button.append(dot, text);

  if (contact.unread > 0) {
    const unread = document.createElement('span');
    unread.className = 'unread';
    unread.textContent = String(contact.unread);
    unread.append(hiddenText(' unread'));
    button.append(unread);
  }
  return button;
}

function hiddenText(text) {
  const span = document.createElement('span');
  span.className = 'visually-hidden';
  span.textContent = text;
  return span;
}
