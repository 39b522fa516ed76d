import { TransportError, bindFailure } from './transport-error.js';

/** How long an upgrade plus bind may take before the attempt counts as failed. */
const OPEN_TIMEOUT_MS = 8000;

/**
 * V1 over one WebSocket (`/v1/ws`): one JSON envelope per text frame.
 *
 * Limitation: browsers answer the server's pings but do not show them to the page, and V1
 * has no client-side ping; a silently dead socket is noticed when the server closes it,
 * when TCP gives up, or when a request gets no reply within the connection's timeout.
 *
 * A transport object lives for one connection attempt. `open` resolves with the bind
 * reply; from then on every frame the server sends goes to `onFrame` and the end of the
 * socket is reported once to `onDrop`.
 */
export class WebSocketTransport {
  /**
   * @param {object} options
   * @param {string} options.url the absolute ws:// or wss:// URL of `/v1/ws`
   * @param {(frame: object) => void} options.onFrame every server frame after the bind reply
   * @param {(error: TransportError) => void} options.onDrop called once when an open
   *   socket ends for any reason other than `close()`
   */
  constructor({ url, onFrame, onDrop }) {
    this.name = 'ws';
    this.url = url;
    this.onFrame = onFrame;
    this.onDrop = onDrop;
    this.socket = null;
    this.closedByUs = false;
  }

  /**
   * Opens the socket and sends `bind` as its first frame.
   * @param {object} bind the bind envelope (with an `id`, so its reply is recognised)
   * @returns {Promise<object>} the successful bind reply
   * @throws {TransportError} when the socket cannot open or the bind is refused
   */
  open(bind) {
    return new Promise((resolve, reject) => {
      let bound = false;
      let socket;
      const fail = (error) => {
        if (bound) {
          return;
        }
        bound = true;
        clearTimeout(timer);
        this.detach();
        reject(error);
      };
      const timer = setTimeout(
        () => fail(new TransportError('unreachable', 'WebSocket did not open in time')),
        OPEN_TIMEOUT_MS);
      try {
        socket = new WebSocket(this.url);
      } catch (error) {
        fail(new TransportError('unreachable', 'WebSocket is not available here'));
        return;
      }
      this.socket = socket;
      socket.onopen = () => socket.send(JSON.stringify(bind));
      socket.onerror = () => {};
      socket.onclose = (event) => {
        if (!bound) {
          fail(new TransportError('unreachable', closeReason(event, 'WebSocket closed')));
        } else if (!this.closedByUs) {
          this.socket = null;
          this.onDrop(new TransportError('unreachable', closeReason(event, 'connection lost'),
            event.code));
        }
      };
      socket.onmessage = (event) => {
        const frame = parseFrame(event.data);
        if (!frame) {
          return;
        }
        if (bound) {
          this.onFrame(frame);
          return;
        }
        if (frame.type === 'bind' && frame.id === bind.id) {
          if (frame.error) {
            fail(bindFailure(frame));
            return;
          }
          bound = true;
          clearTimeout(timer);
          resolve(frame);
        }
      };
    });
  }

  /**
   * Sends one envelope.
   * @throws {TransportError} when the socket is not open (the caller treats it as a drop)
   */
  send(envelope) {
    if (!this.socket || this.socket.readyState !== WebSocket.OPEN) {
      throw new TransportError('unreachable', 'connection lost');
    }
    this.socket.send(JSON.stringify(envelope));
  }

  /** Closes the socket without reporting a drop. */
  close() {
    this.closedByUs = true;
    this.detach();
  }

  detach() {
    const socket = this.socket;
    this.socket = null;
    if (!socket) {
      return;
    }
    socket.onopen = socket.onmessage = socket.onclose = null;
    socket.onerror = () => {};
    if (socket.readyState === WebSocket.CONNECTING || socket.readyState === WebSocket.OPEN) {
      socket.close(1000, 'bye');
    }
  }
}

function parseFrame(data) {
  if (typeof data !== 'string') {
    return null;
  }
  try {
    const frame = JSON.parse(data);
    return frame && typeof frame === 'object' && !Array.isArray(frame) ? frame : null;
  } catch {
    return null;
  }
}

function closeReason(event, fallback) {
  return event && event.reason ? `${fallback} (${event.reason})` : fallback;
}

/** The WebSocket URL of the server that served this page. */
export function webSocketURL(location) {
  const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
  return `${scheme}//${location.host}/v1/ws`;
}
