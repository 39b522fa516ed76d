import { Backoff } from './backoff.js';
import { TransportError } from './transport-error.js';
import { LongPollTransport } from './transport-poll.js';
import { WebSocketTransport, webSocketURL } from './transport-ws.js';

/** How long a request may wait for its reply before the connection is presumed dead. */
const REPLY_TIMEOUT_MS = 15000;

/**
 * Timings the browser tests shorten from minutes to seconds: their init script sets
 * `window.switchboardTuning` before the page loads. Nothing else sets it.
 */
const tuning = globalThis.switchboardTuning ?? {};

function tuned(name, fallback) {
  const value = tuning[name];
  return Number.isFinite(value) && value > 0 ? value : fallback;
}

/**
 * A connection that stayed up this long was healthy: its drop resets the backoff and the
 * count of WebSocket failures. 30 s is longer than a proxy that kills upgraded sockets
 * right away would allow, and shorter than a person's patience.
 */
const STABLE_MS = tuned('stableMs', 30000);

/**
 * After falling back to long-poll, the page tries WebSocket again within about this long
 * (a laptop that left the network blocking WebSockets), doubling the wait after every try
 * that fails and every further fallback, up to PROBE_MAX_MS (jittered, see Backoff).
 */
const PROBE_FIRST_MS = tuned('webSocketProbeMs', 60000);
const PROBE_MAX_MS = 15 * 60000;

/** While a tried WebSocket waits to take over, how often to look for a quiet moment. */
const PROMOTE_RETRY_MS = 500;

/**
 * In automatic mode, this many WebSocket attempts in a row that never got bound, while
 * plain HTTP to the same server works, mean WebSockets are blocked on the way (a proxy or
 * firewall refusing upgrades), so the page switches to long-poll. Two rather than one, so
 * a single unlucky reset does not give up the better transport.
 */
const FALLBACK_AFTER_FAILED_OPENS = 2;

/**
 * In automatic mode, this many bound WebSockets in a row that each died within STABLE_MS,
 * while plain HTTP works, mean something on the way keeps killing them (an idle-timeout
 * proxy, a flaky middlebox), so the page switches to long-poll.
 */
const FALLBACK_AFTER_SHORT_SESSIONS = 3;

/** The close code of a server that is going away (RFC 6455 §7.4.1): not WebSocket's fault. */
const GOING_AWAY = 1001;

/** How long the "does the server answer plain HTTP" probe may take. */
const PROBE_TIMEOUT_MS = 4000;

/** A request was not answered because the connection was not open or went away. */
export class ConnectionLost extends Error {
  constructor(message = 'not connected') {
    super(message);
    this.name = 'ConnectionLost';
  }
}

/**
 * One signed-in user's link to the server: picks the transport, binds, matches replies to
 * requests by `id`, reconnects with jittered exponential backoff and resumes with `since`.
 *
 * Modes: `ws` and `poll` use only that transport; `auto` starts with WebSocket and
 * switches to long-poll when WebSocket keeps failing while the server still answers plain
 * HTTP (a proxy or firewall that kills upgrades). From long-poll it tries WebSocket again
 * now and then, in the background: the tried socket binds beside the long-poll session
 * (the page drops the deliveries that arrive on both by `mid`), and only once it has stayed
 * up for STABLE_MS does it take over and the long-poll session end.
 *
 * States reported to `onChange`: `connecting` (an attempt is under way), `open` (bound),
 * `offline` (waiting to retry, or stopped).
 */
export class Connection {
  /**
   * @param {object} options
   * @param {string} options.uid the user to bind as
   * @param {string|null} [options.token] a JWT for servers that require one
   * @param {'auto'|'ws'|'poll'} options.mode
   * @param {(snapshot: object) => void} options.onChange state, transport or error changed
   * @param {(frame: object) => void} options.onFrame every server frame that is not the
   *   reply to one of our requests (deliveries, join and exit notices)
   * @param {(info: {gap: boolean, resumed: boolean}) => void} options.onOpen bound again;
   *   `resumed` means the long-poll session survived, so nothing on the server was reset
   * @param {(error: TransportError) => void} options.onFatal the server refused the
   *   binding in a way retrying cannot fix (bad token, invalid uid); the connection stopped
   */
  constructor({ uid, token = null, mode, onChange, onFrame, onOpen, onFatal }) {
    this.uid = uid;
    this.token = token;
    this.mode = mode;
    this.onChange = onChange;
    this.onFrame = onFrame;
    this.onOpen = onOpen;
    this.onFatal = onFatal;

    this.transportName = mode === 'poll' ? 'poll' : 'ws';
    this.fellBack = false;
    this.state = 'connecting';
    this.lastError = null;
    this.retryAt = null;
    this.stopped = true;

    // The mid of the latest message delivered to us: the `since` of the next bind. The
    // latest rather than the highest, so that a server whose ids restarted (an in-memory
    // store after a restart) is followed; a lower `since` only costs replays, which the
    // page drops by mid.
    this.lastMid = null;

    this.transport = null;
    this.openedAt = 0;
    this.pending = new Map();
    this.backoff = new Backoff();
    this.failedOpens = 0;
    this.shortSessions = 0;
    this.attempt = 0;
    this.retryTimer = null;
    // Never reset: each try, and each scheduling after a new fallback, waits longer.
    this.probeBackoff = new Backoff({ baseMs: PROBE_FIRST_MS, maxMs: PROBE_MAX_MS });
    this.probeTimer = null;
    this.candidate = null;
    this.candidateTimer = null;
    this.requestCount = 0;
    this.idPrefix = randomToken();
    this.poll = new LongPollTransport({
      url: '/v1/poll',
      onFrame: (frame) => this.receive(frame),
      onDrop: (error) => this.dropped(this.poll, error),
    });
  }

  /** Whether requests can be sent now. */
  get isOpen() {
    return this.state === 'open';
  }

  /** Starts connecting (no-op when already started). */
  start() {
    if (!this.stopped) {
      return;
    }
    this.stopped = false;
    this.connect();
  }

  /** Closes the connection for good (sign-out, page unload); pending requests fail. */
  stop() {
    this.stopped = true;
    this.attempt += 1;
    this.abandonProbe();
    clearTimeout(this.retryTimer);
    this.retryTimer = null;
    this.retryAt = null;
    const transport = this.transport;
    this.transport = null;
    if (transport && transport !== this.poll) {
      transport.close();
    }
    this.poll.close();
    this.rejectPending();
    this.setState('offline');
  }

  /** Skips the rest of the backoff wait (the person pressed "retry", or the OS is online). */
  retryNow() {
    if (this.stopped || this.state !== 'offline' || this.retryTimer === null) {
      return;
    }
    clearTimeout(this.retryTimer);
    this.connect();
  }

  /**
   * Sends `envelope` and resolves with its reply (matched by `id`; one is made up when the
   * envelope has none). Rejects with `ConnectionLost` when not open or when the
   * connection goes away first; a reply that never comes drops the connection.
   */
  request(envelope) {
    return new Promise((resolve, reject) => {
      const transport = this.transport;
      if (this.state !== 'open' || !transport) {
        reject(new ConnectionLost());
        return;
      }
      const id = envelope.id ?? this.nextId(envelope.type);
      const timer = setTimeout(() => {
        if (this.pending.get(id)?.timer !== timer) {
          return;
        }
        this.pending.delete(id);
        reject(new ConnectionLost('no reply'));
        this.dropped(transport, new TransportError('unreachable', 'server stopped answering'));
      }, REPLY_TIMEOUT_MS);
      this.pending.set(id, { resolve, reject, timer });
      try {
        transport.send({ ...envelope, id });
      } catch (error) {
        this.pending.delete(id);
        clearTimeout(timer);
        reject(new ConnectionLost());
        this.dropped(transport, error);
      }
    });
  }

  /** What the indicator shows. */
  snapshot() {
    return {
      state: this.state,
      transport: this.transportName,
      fellBack: this.fellBack,
      retryAt: this.retryAt,
      stopped: this.stopped,
      error: this.lastError ? this.lastError.message : null,
    };
  }

  async connect() {
    const attempt = ++this.attempt;
    this.abandonProbe();
    this.retryTimer = null;
    this.retryAt = null;
    this.setState('connecting');

    const transport = this.transportName === 'poll' ? this.poll : new WebSocketTransport({
      url: webSocketURL(window.location),
      onFrame: (frame) => this.receive(frame),
      onDrop: (error) => this.dropped(transport, error),
    });

    let reply;
    try {
      reply = await transport.open(this.bindEnvelope());
    } catch (error) {
      if (attempt === this.attempt) {
        await this.failed(transport, toTransportError(error), null);
      }
      return;
    }
    if (attempt !== this.attempt) {
      transport.close();
      return;
    }
    this.transport = transport;
    this.openedAt = Date.now();
    this.lastError = null;
    this.failedOpens = 0;
    this.setState('open');
    this.onOpen({ gap: reply.gap === true, resumed: reply.resumed === true });
    if (this.fellBack && transport === this.poll) {
      this.scheduleProbe();
    }
  }

  bindEnvelope() {
    const bind = { type: 'bind', uid: this.uid, id: this.nextId('bind') };
    if (this.token) {
      bind.token = this.token;
    }
    if (this.lastMid !== null) {
      bind.since = this.lastMid;
    }
    return bind;
  }

  scheduleProbe() {
    clearTimeout(this.probeTimer);
    this.probeTimer = setTimeout(() => this.probeWebSocket(), this.probeBackoff.next());
  }

  /** Tries a WebSocket beside the open long-poll session; see the class comment. */
  async probeWebSocket() {
    this.probeTimer = null;
    if (this.stopped || !this.fellBack || this.state !== 'open' || this.candidate) {
      return;
    }
    const candidate = new WebSocketTransport({
      url: webSocketURL(window.location),
      onFrame: (frame) => this.receive(frame),
      onDrop: (error) => {
        if (this.transport === candidate) {
          this.dropped(candidate, error);
        } else {
          this.probeFailed(candidate);
        }
      },
    });
    this.candidate = candidate;
    let reply;
    try {
      reply = await candidate.open(this.bindEnvelope());
    } catch {
      this.probeFailed(candidate);
      return;
    }
    if (this.candidate !== candidate) {
      candidate.close();
      return;
    }
    const boundAt = Date.now();
    this.candidateTimer = setTimeout(() => this.promote(candidate, reply, boundAt), STABLE_MS);
  }

  /** Hands the connection over to a WebSocket that stayed up through its trial. */
  promote(candidate, reply, boundAt) {
    this.candidateTimer = null;
    if (this.candidate !== candidate) {
      return;
    }
    if (this.pending.size > 0 || this.state !== 'open') {
      // Replies still due on long-poll would be lost with its session: wait for a lull.
      this.candidateTimer = setTimeout(() => this.promote(candidate, reply, boundAt),
        PROMOTE_RETRY_MS);
      return;
    }
    this.candidate = null;
    // The socket is bound, so ending the session sends no `exit` to anyone; whatever the
    // session still held also reached the socket or was replayed to it by `since`.
    this.poll.close();
    this.transport = candidate;
    this.transportName = 'ws';
    this.fellBack = false;
    this.failedOpens = 0;
    this.shortSessions = 0;
    this.openedAt = boundAt;
    this.setState('open');
    if (reply.gap === true) {
      this.onOpen({ gap: true, resumed: false });
    }
  }

  probeFailed(candidate) {
    if (this.candidate !== candidate) {
      return;
    }
    this.abandonProbe();
    if (!this.stopped && this.fellBack && this.state === 'open') {
      this.scheduleProbe();
    }
  }

  abandonProbe() {
    clearTimeout(this.probeTimer);
    clearTimeout(this.candidateTimer);
    this.probeTimer = null;
    this.candidateTimer = null;
    const candidate = this.candidate;
    this.candidate = null;
    if (candidate) {
      candidate.close();
    }
  }

  receive(frame) {
    // Only replies carry an id; deliveries and notices never do.
    if (typeof frame.id === 'string') {
      const waiter = this.pending.get(frame.id);
      if (waiter) {
        this.pending.delete(frame.id);
        clearTimeout(waiter.timer);
        waiter.resolve(frame);
      }
      return;
    }
    if (frame.type === 'send' && !frame.error && frame.touid === this.uid &&
        Number.isSafeInteger(frame.mid)) {
      this.lastMid = frame.mid;
    }
    this.onFrame(frame);
  }

  dropped(transport, error) {
    if (transport !== this.transport || this.stopped) {
      return;
    }
    this.transport = null;
    this.abandonProbe();
    if (transport === this.poll) {
      // Keep the session id: the next attempt tries to resume the same session.
      this.poll.restart();
    } else {
      transport.close();
    }
    this.rejectPending();
    const lived = Date.now() - this.openedAt;
    if (lived >= STABLE_MS) {
      this.backoff.reset();
      this.shortSessions = 0;
    }
    this.failed(transport, error, lived);
  }

  /**
   * Decides what follows a failed attempt or a drop. `livedMs` is how long the transport
   * had been bound, or null when it never got bound.
   */
  async failed(transport, error, livedMs) {
    this.lastError = error;
    if (!error.isRetryable) {
      this.stopped = true;
      this.setState('offline');
      this.onFatal(error);
      return;
    }
    if (await this.webSocketLooksBlocked(transport, error, livedMs)) {
      if (this.stopped) {
        return;
      }
      this.transportName = 'poll';
      this.fellBack = true;
      this.backoff.reset();
      this.connect();
      return;
    }
    this.scheduleRetry();
  }

  /**
   * Counts a WebSocket failure in automatic mode and tells whether it is time to fall
   * back. A failure counts only while the server answers plain HTTP: a server that is
   * down or restarting must not push the page onto long-poll.
   */
  async webSocketLooksBlocked(transport, error, livedMs) {
    if (transport.name !== 'ws' || this.mode !== 'auto' || error.code === GOING_AWAY) {
      return false;
    }
    const bound = livedMs !== null;
    if (bound && livedMs >= STABLE_MS) {
      return false;
    }
    const attempt = this.attempt;
    this.setState('offline');
    const reachable = await serverAnswersHTTP();
    if (attempt !== this.attempt) {
      return false;
    }
    if (!reachable) {
      this.failedOpens = 0;
      this.shortSessions = 0;
      return false;
    }
    if (bound) {
      this.shortSessions += 1;
    } else {
      this.failedOpens += 1;
    }
    return this.failedOpens >= FALLBACK_AFTER_FAILED_OPENS ||
      this.shortSessions >= FALLBACK_AFTER_SHORT_SESSIONS;
  }

  scheduleRetry() {
    if (this.stopped) {
      return;
    }
    const delay = this.backoff.next();
    this.retryAt = Date.now() + delay;
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => this.connect(), delay);
    this.setState('offline');
  }

  rejectPending() {
    const waiters = [...this.pending.values()];
    this.pending.clear();
    for (const waiter of waiters) {
      clearTimeout(waiter.timer);
      waiter.reject(new ConnectionLost('connection lost'));
    }
  }

  setState(state) {
    this.state = state;
    this.onChange(this.snapshot());
  }

  nextId(kind) {
    this.requestCount += 1;
    return `${kind}-${this.idPrefix}-${this.requestCount}`;
  }
}

function toTransportError(error) {
  return error instanceof TransportError
    ? error
    : new TransportError('unreachable', 'connection failed');
}

/** Whether the server that served the page answers a plain HTTP request right now. */
async function serverAnswersHTTP() {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), PROBE_TIMEOUT_MS);
  try {
    const response = await fetch('/healthz', { cache: 'no-store', signal: controller.signal });
    return response.ok;
  } catch {
    return false;
  } finally {
    clearTimeout(timer);
  }
}

/**
 * A short random token for request ids. Ids must differ between page loads because the
 * server deduplicates sends by (user, id) for a whole retention window.
 */
export function randomToken() {
  const bytes = new Uint8Array(9);
  crypto.getRandomValues(bytes);
  return btoa(String.fromCharCode(...bytes)).replace(/\+/g, '-').replace(/\//g, '_');
}
