import { TransportError, bindFailure } from './transport-error.js';

/** Seconds each GET may wait on the server; under the 60 s expiry and most proxy timeouts. */
const WAIT_SECONDS = 25;

/** Slack on top of the server's wait before a GET counts as lost. */
const GET_SLACK_MS = 10000;

/** How long a bind, resume or POST may take before it counts as failed. */
const REQUEST_TIMEOUT_MS = 15000;

/**
 * V1 over HTTP long-poll (`/v1/poll`), for networks where WebSockets do not get through.
 *
 * One object lives for the whole page, because it keeps the session: after a network
 * error `open` first tries to resume the same session (same `sid`, same `ack`, so nothing
 * is lost or repeated), and binds anew only when the server no longer knows it (404).
 * While open it keeps exactly one GET outstanding, acknowledging the highest `seq` it
 * has handled, and sends envelopes one POST at a time (batched) so they keep their order.
 *
 * Limitation: each long-poll tab holds one HTTP connection open all the time, and a
 * browser allows about six per server over HTTP/1.1; beyond five or so long-poll tabs of
 * one browser on one server, their requests queue behind each other and messages lag.
 */
export class LongPollTransport {
  /**
   * @param {object} options
   * @param {string} options.url the `/v1/poll` URL
   * @param {(frame: object) => void} options.onFrame every event and every POST reply
   * @param {(error: TransportError) => void} options.onDrop called once per failure of an
   *   open session (network error, 404, 5xx)
   */
  constructor({ url, onFrame, onDrop }) {
    this.name = 'poll';
    this.url = url;
    this.onFrame = onFrame;
    this.onDrop = onDrop;
    this.sid = null;
    this.ack = 0;
    this.outgoing = [];
    this.posting = false;
    // Every open and every drop starts a new generation; work started by an older one
    // (a GET still in flight, a POST) finds out it is stale and stops quietly.
    this.generation = 0;
    this.controllers = new Set();
  }

  /**
   * Resumes the session if the server still has it, otherwise binds with `bind`.
   * @returns {Promise<object>} the bind reply, or `{resumed: true}` for a resumed session
   * @throws {TransportError}
   */
  async open(bind) {
    const generation = this.restart();
    if (this.sid) {
      const resumed = await this.resume(generation);
      if (resumed) {
        return { type: 'bind', error: false, code: 0, msg: 'ok', resumed: true };
      }
    }
    const { status, body } = await this.exchange('POST', this.url, JSON.stringify(bind),
      REQUEST_TIMEOUT_MS);
    if (!body || typeof body !== 'object' || Array.isArray(body)) {
      throw new TransportError('unreachable', `server answered ${status}`, status);
    }
    if (body.error || typeof body.sid !== 'string') {
      throw bindFailure(body.error ? body : { code: status, msg: 'no session id' });
    }
    this.sid = body.sid;
    this.ack = 0;
    if (generation !== this.generation) {
      // close() ran while the bind was in flight: end the session it just created.
      this.close();
      throw new TransportError('unreachable', 'closed');
    }
    this.pollLoop(generation);
    return body;
  }

  async resume(generation) {
    const { status, body } = await this.exchange('GET', this.eventsURL(0), null,
      REQUEST_TIMEOUT_MS);
    if (generation !== this.generation) {
      throw new TransportError('unreachable', 'closed');
    }
    if (status === 404) {
      this.sid = null;
      return false;
    }
    if (status !== 200 || !body || !Array.isArray(body.events)) {
      throw new TransportError('unreachable', `server answered ${status}`, status);
    }
    this.deliver(body.events);
    // Handing over the events happens before the caller hears about the open, the same
    // order as on a fresh bind; the loop starts on the next turn.
    setTimeout(() => this.pollLoop(generation), 0);
    return true;
  }

  async pollLoop(generation) {
    while (generation === this.generation) {
      let result;
      try {
        result = await this.exchange('GET', this.eventsURL(WAIT_SECONDS), null,
          WAIT_SECONDS * 1000 + GET_SLACK_MS);
      } catch (error) {
        this.fail(generation, error);
        return;
      }
      if (generation !== this.generation) {
        return;
      }
      const { status, body } = result;
      if (status === 404) {
        this.sid = null;
        this.fail(generation, new TransportError('session-lost', 'session ended', 404));
        return;
      }
      if (status !== 200 || !body || !Array.isArray(body.events)) {
        this.fail(generation, new TransportError('unreachable', `server answered ${status}`,
          status));
        return;
      }
      this.deliver(body.events);
    }
  }

  deliver(events) {
    for (const event of events) {
      const seq = Number(event && event.seq);
      // An answer that was lost on the way is asked for again with the same ack, so an
      // event can come twice; its seq tells.
      if (!Number.isSafeInteger(seq) || seq <= this.ack) {
        continue;
      }
      this.ack = seq;
      this.onFrame(event);
    }
  }

  /** Queues one envelope; its reply comes back through `onFrame`. */
  send(envelope) {
    if (!this.sid) {
      throw new TransportError('unreachable', 'connection lost');
    }
    this.outgoing.push(envelope);
    this.pump(this.generation);
  }

  async pump(generation) {
    if (this.posting || this.outgoing.length === 0 || generation !== this.generation) {
      return;
    }
    this.posting = true;
    const batch = this.outgoing.splice(0);
    let result;
    try {
      result = await this.exchange('POST', this.sessionURL(), JSON.stringify(batch),
        REQUEST_TIMEOUT_MS);
    } catch (error) {
      this.fail(generation, error);
      return;
    }
    if (generation !== this.generation) {
      return;
    }
    this.posting = false;
    const { status, body } = result;
    if (status === 404) {
      this.sid = null;
      this.fail(generation, new TransportError('session-lost', 'session ended', 404));
      return;
    }
    if (status === 200 && Array.isArray(body)) {
      body.forEach((reply) => reply && typeof reply === 'object' && this.onFrame(reply));
    } else if (status >= 500 || !body || typeof body !== 'object') {
      this.fail(generation, new TransportError('unreachable', `server answered ${status}`,
        status));
      return;
    } else {
      // A request-level refusal (413 body too large, 400): it answers every envelope sent.
      for (const envelope of batch) {
        this.onFrame({ type: envelope.type, error: true, code: status,
          msg: body.msg || `error ${status}`, id: envelope.id });
      }
    }
    this.pump(generation);
  }

  /**
   * Stops polling and ends the session on the server, so the people this user chats with
   * see them leave now rather than when the session expires.
   */
  close() {
    this.restart();
    const sid = this.sid;
    this.sid = null;
    if (sid) {
      // keepalive lets the DELETE go out even while the page is being unloaded.
      fetch(`${this.url}?sid=${encodeURIComponent(sid)}`, { method: 'DELETE', keepalive: true })
        .catch(() => {});
    }
  }

  restart() {
    this.generation += 1;
    this.outgoing = [];
    this.posting = false;
    for (const controller of this.controllers) {
      controller.abort();
    }
    this.controllers.clear();
    return this.generation;
  }

  fail(generation, error) {
    if (generation !== this.generation) {
      return;
    }
    this.restart();
    this.onDrop(error instanceof TransportError
      ? error
      : new TransportError('unreachable', 'connection lost'));
  }

  sessionURL() {
    return `${this.url}?sid=${encodeURIComponent(this.sid)}`;
  }

  eventsURL(waitSeconds) {
    return `${this.sessionURL()}&ack=${this.ack}&timeout=${waitSeconds}`;
  }

  /**
   * One HTTP request with a deadline. Resolves with the status and the parsed JSON body
   * (null when the body is not JSON); throws `unreachable` on a network error or timeout.
   */
  async exchange(method, url, body, timeoutMs) {
    const controller = new AbortController();
    this.controllers.add(controller);
    const timer = setTimeout(() => controller.abort(), timeoutMs);
    try {
      const response = await fetch(url, {
        method,
        body,
        cache: 'no-store',
        headers: body === null ? {} : { 'Content-Type': 'application/json' },
        signal: controller.signal,
      });
      let parsed = null;
      try {
        parsed = await response.json();
      } catch {
        parsed = null;
      }
      return { status: response.status, body: parsed };
    } catch {
      throw new TransportError('unreachable', 'server unreachable');
    } finally {
      clearTimeout(timer);
      this.controllers.delete(controller);
    }
  }
}
