import { ConnectionLost } from './connection.js';

/**
 * Messages the person sent that the server has not confirmed yet.
 *
 * Each message gets a client `id` once, when it is typed, and keeps it through every
 * retry: the server answers a repeated `id` with the original reply instead of delivering
 * twice, so a message whose confirmation was lost in a dropped connection is sent again
 * safely after the reconnect. Messages go out in the order typed.
 *
 * A message moves through `status`: `waiting` (no connection) → `sending` →
 * `delivered` | `queued` (the recipient is offline; the server keeps it) | `failed`.
 */
export class Outbox {
  /**
   * @param {object} options
   * @param {import('./connection.js').Connection} options.connection
   * @param {(message: object) => void} options.onUpdate a message's status changed
   * @param {string} options.idPrefix random per page load, so ids never repeat across loads
   */
  constructor({ connection, onUpdate, idPrefix }) {
    this.connection = connection;
    this.onUpdate = onUpdate;
    this.idPrefix = idPrefix;
    this.count = 0;
    this.unconfirmed = [];
  }

  /** A fresh client id for a new message (well under the 64-byte limit). */
  newId() {
    this.count += 1;
    return `m-${this.idPrefix}-${this.count}`;
  }

  /** Takes a new message `{id, peer, text}` and sends it now or once connected. */
  enqueue(message) {
    message.status = 'waiting';
    message.error = null;
    this.unconfirmed.push(message);
    this.onUpdate(message);
    if (this.connection.isOpen) {
      this.transmit(message);
    }
  }

  /** Sends every waiting message, oldest first; called whenever the connection opens. */
  flush() {
    for (const message of this.unconfirmed) {
      if (message.status === 'waiting') {
        this.transmit(message);
      }
    }
  }

  /** Sends a failed message again, with its original id. */
  retry(message) {
    if (message.status === 'failed') {
      this.enqueue(message);
    }
  }

  /** How many messages still wait for a confirmation. */
  get size() {
    return this.unconfirmed.length;
  }

  async transmit(message) {
    message.status = 'sending';
    this.onUpdate(message);
    let reply;
    try {
      reply = await this.connection.request({
        type: 'send', touid: message.peer, msg: message.text, id: message.id,
      });
    } catch (error) {
      if (!(error instanceof ConnectionLost)) {
        throw error;
      }
      // Sent or not, the outcome is unknown; the same id makes the next try safe.
      message.status = 'waiting';
      this.onUpdate(message);
      return;
    }
    this.unconfirmed = this.unconfirmed.filter((item) => item !== message);
    if (reply.error) {
      message.status = 'failed';
      message.error = typeof reply.msg === 'string' && reply.msg
        ? reply.msg
        : `error ${reply.code}`;
    } else {
      message.status = reply.msg === 'queued' ? 'queued' : 'delivered';
      message.mid = reply.mid;
    }
    this.onUpdate(message);
  }
}
