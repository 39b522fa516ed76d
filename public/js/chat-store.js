/**
 * Limitation: history lives in this tab's memory only (V1 has no history to fetch), and
 * each chat keeps its latest MAX_MESSAGES_PER_CHAT messages. A reload starts with empty
 * chats; messages typed offline and not yet sent are lost when the tab closes; messages
 * this user sends from another tab or device do not appear here (V1 does not copy a send
 * to the sender's other connections).
 */
const MAX_MESSAGES_PER_CHAT = 1000;

/**
 * The signed-in user's chats: one contact per peer with presence, unread count and the
 * messages of this session, oldest first. Received messages are deduplicated by their
 * server id, so replays after a reconnect (`since`, a resumed poll) show once.
 */
export class ChatStore {
  /**
   * @param {string} me the signed-in uid
   * @param {Storage|null} storage where the contact list is remembered (per uid); null
   *   when the browser offers none
   */
  constructor(me, storage) {
    this.me = me;
    this.storage = storage;
    this.contacts = new Map();
    this.openPeer = null;
    for (const uid of this.loadContactIds()) {
      this.contacts.set(uid, newContact(uid));
    }
  }

  /** The contact for `uid`, created (and remembered) if new. */
  contact(uid) {
    let contact = this.contacts.get(uid);
    if (!contact) {
      contact = newContact(uid);
      this.contacts.set(uid, contact);
      this.saveContactIds();
    }
    return contact;
  }

  /** Contacts with the most recent activity first, then by name. */
  sortedContacts() {
    return [...this.contacts.values()].sort((a, b) =>
      b.lastActivity - a.lastActivity || a.uid.localeCompare(b.uid));
  }

  /** Sum of unread counts, for the page title. */
  totalUnread() {
    let total = 0;
    for (const contact of this.contacts.values()) {
      total += contact.unread;
    }
    return total;
  }

  /**
   * Records a delivered `send` frame. Returns the new message, or null when this message
   * (same mid and timestamp) was already shown. The timestamp is part of the key because
   * a server with an in-memory store starts its mids again after a restart.
   */
  addReceived(frame) {
    const contact = this.contact(String(frame.uid));
    const key = `in:${frame.mid}:${frame.ts}`;
    if (contact.keys.has(key)) {
      return null;
    }
    const message = {
      key,
      direction: 'in',
      peer: contact.uid,
      from: contact.uid,
      text: String(frame.msg ?? ''),
      time: Number.isFinite(frame.ts) ? frame.ts : Date.now(),
      mid: frame.mid,
    };
    this.append(contact, message);
    if (contact.uid !== this.openPeer) {
      contact.unread += 1;
    }
    return message;
  }

  /** Records a message the person typed to `peer`; the outbox fills in its status. */
  addOwn(peer, id, text) {
    const contact = this.contact(peer);
    const message = {
      key: `out:${id}`, direction: 'out', peer, from: this.me, id, text, time: Date.now(),
    };
    this.append(contact, message);
    return message;
  }

  append(contact, message) {
    contact.keys.add(message.key);
    contact.messages.push(message);
    contact.lastActivity = message.time;
    if (contact.messages.length > MAX_MESSAGES_PER_CHAT) {
      const dropped = contact.messages.shift();
      contact.keys.delete(dropped.key);
    }
  }

  /**
   * Forgets what we knew about everyone's presence (our own connection is down).
   * Returns whether anything was known.
   */
  forgetPresence() {
    let forgot = false;
    for (const contact of this.contacts.values()) {
      forgot ||= contact.presence !== 'unknown';
      contact.presence = 'unknown';
    }
    return forgot;
  }

  contactIdsKey() {
    return `switchboard.contacts.${this.me}`;
  }

  loadContactIds() {
    try {
      const saved = this.storage ? this.storage.getItem(this.contactIdsKey()) : null;
      const ids = JSON.parse(saved || '[]');
      return Array.isArray(ids) ? ids.filter((id) => typeof id === 'string' && id) : [];
    } catch {
      return [];
    }
  }

  saveContactIds() {
    try {
      this.storage?.setItem(this.contactIdsKey(), JSON.stringify([...this.contacts.keys()]));
    } catch {
      // Private browsing or a full storage: the list just is not remembered.
    }
  }
}

function newContact(uid) {
  return { uid, presence: 'unknown', unread: 0, messages: [], keys: new Set(), lastActivity: 0 };
}
