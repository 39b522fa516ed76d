import { renderMessage, updateDelivery } from './message-view.js';

/** Within this many pixels of the end, the list counts as "at the bottom" and follows. */
const NEAR_BOTTOM_PX = 48;

/**
 * The message list of the open chat. It follows new messages while the person is at the
 * end, and leaves the view alone while they read older ones (a "new messages" button
 * says what arrived below instead).
 */
export class ConversationView {
  /**
   * @param {object} options
   * @param {HTMLElement} options.list the `role=log` list the messages go in
   * @param {HTMLButtonElement} options.jump the "new messages ↓" button
   * @param {(message: object) => void} options.onRetry a failed own message's Retry
   */
  constructor({ list, jump, onRetry }) {
    this.list = list;
    this.jump = jump;
    this.onRetry = onRetry;
    this.items = new Map();
    this.unseenBelow = 0;
    this.following = true;

    jump.addEventListener('click', () => this.scrollToBottom());
    list.addEventListener('scroll', () => {
      this.following = this.isNearBottom();
      if (this.following && !jump.hidden) {
        this.scrollToBottom();
      }
    });
    // A narrower window or a phone keyboard shrinks the list; someone reading the newest
    // messages should keep seeing them.
    new ResizeObserver(() => {
      if (this.following) {
        this.list.scrollTop = this.list.scrollHeight;
      }
    }).observe(list);
  }

  /** Shows `messages` (a whole chat's history), scrolled to the newest. */
  show(messages) {
    // Re-filling the log is not news; keep screen readers from reading the whole history.
    this.list.setAttribute('aria-live', 'off');
    this.clear();
    const fragment = document.createDocumentFragment();
    for (const message of messages) {
      fragment.append(this.render(message));
    }
    this.list.append(fragment);
    this.scrollToBottom();
    requestAnimationFrame(() => this.list.setAttribute('aria-live', 'polite'));
  }

  /** Empties the list. */
  clear() {
    this.items.clear();
    this.list.replaceChildren();
    this.unseenBelow = 0;
    this.jump.hidden = true;
  }

  /** Adds one message at the end; `own` messages always bring the view to the end. */
  append(message, own) {
    const follow = own || this.isNearBottom();
    this.list.append(this.render(message));
    if (follow) {
      this.scrollToBottom();
      return;
    }
    this.unseenBelow += 1;
    this.jump.textContent = this.unseenBelow === 1
      ? '1 new message ↓'
      : `${this.unseenBelow} new messages ↓`;
    this.jump.hidden = false;
  }

  /** Refreshes the delivery line of an own message, if it is on screen. */
  update(message) {
    const item = this.items.get(message.key);
    if (!item) {
      return;
    }
    const follow = this.isNearBottom();
    updateDelivery(item, message);
    if (follow) {
      this.scrollToBottom();
    }
  }

  render(message) {
    const item = renderMessage(message, this.onRetry);
    this.items.set(message.key, item);
    return item;
  }

  isNearBottom() {
    const list = this.list;
    return list.scrollHeight - list.scrollTop - list.clientHeight <= NEAR_BOTTOM_PX;
  }

  scrollToBottom() {
    this.list.scrollTop = this.list.scrollHeight;
    this.unseenBelow = 0;
    this.jump.hidden = true;
  }
}
