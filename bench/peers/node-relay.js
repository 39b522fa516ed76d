// A V1 relay on Node's `ws` (Debian node-ws), the peer Switchboard is compared with.
//
// It speaks the subset of SPEC.md the benchmarks use: bind, send (delivered to every socket
// bound as touid, with mid and ts), the 400/401/404/409 errors, and an echo at /v1/echo.
// No offline queue, no inbox, no long-poll: what a small hand-written relay would do.
//
// usage: NODE_PATH=/usr/share/nodejs node bench/peers/node-relay.js PORT [HOST]
'use strict';
const { WebSocketServer } = require('ws');

const port = Number(process.argv[2] || 8081);
const host = process.argv[3] || '127.0.0.1';
const sockets = new Map(); // uid -> Set of sockets
let nextMid = 1;

function reply(socket, frame) {
  socket.send(JSON.stringify(frame));
}

function fail(socket, type, code, msg, id) {
  const frame = { type, error: true, code, msg };
  if (id !== undefined) frame.id = id;
  reply(socket, frame);
}

function handleEnvelope(socket, text) {
  let envelope;
  try {
    envelope = JSON.parse(text);
  } catch (error) {
    return fail(socket, 'error', 400, 'not json');
  }
  if (envelope === null || typeof envelope !== 'object' || Array.isArray(envelope)) {
    return fail(socket, 'error', 400, 'not an object');
  }
  const { type, id } = envelope;
  if (type === 'bind') {
    const uid = envelope.uid;
    if (typeof uid !== 'string' || uid.length === 0 || uid.length > 64) {
      return fail(socket, type, 400, 'invalid uid', id);
    }
    if (socket.uid !== undefined && socket.uid !== uid) {
      return fail(socket, type, 409, 'already bound to another uid', id);
    }
    socket.uid = uid;
    let set = sockets.get(uid);
    if (!set) sockets.set(uid, (set = new Set()));
    set.add(socket);
    return reply(socket, { type, error: false, code: 0, msg: 'ok', uid });
  }
  if (type === 'send') {
    const { touid, msg } = envelope;
    if (typeof touid !== 'string' || typeof msg !== 'string') {
      return fail(socket, type, 400, 'missing touid or msg', id);
    }
    if (socket.uid === undefined) return fail(socket, type, 401, 'not bound', id);
    const targets = sockets.get(touid);
    if (!targets || targets.size === 0) return fail(socket, type, 404, 'recipient offline', id);
    const mid = nextMid++;
    const frame = JSON.stringify({
      type: 'send', error: false, code: 0, msg, uid: socket.uid, touid, mid, ts: Date.now(),
    });
    for (const target of targets) target.send(frame);
    if (id !== undefined) {
      reply(socket, { type, error: false, code: 0, msg: 'delivered', uid: socket.uid, touid, id, mid });
    }
    return undefined;
  }
  return fail(socket, 'error', 400, 'unknown type', id);
}

const server = new WebSocketServer({
  host, port, perMessageDeflate: false, clientTracking: false, maxPayload: 1 << 20,
});

server.on('connection', (socket, request) => {
  if (request.url.startsWith('/v1/echo')) {
    socket.on('message', (data, isBinary) => socket.send(data, { binary: isBinary }));
    return;
  }
  socket.on('message', (data, isBinary) => {
    if (isBinary) return socket.close(1003, 'binary');
    return handleEnvelope(socket, data.toString());
  });
  socket.on('close', () => {
    if (socket.uid === undefined) return;
    const set = sockets.get(socket.uid);
    if (set) {
      set.delete(socket);
      if (set.size === 0) sockets.delete(socket.uid);
    }
  });
  socket.on('error', () => {});
});

server.on('listening', () => console.error(`node-relay listening on ${host}:${port}`));
process.on('SIGTERM', () => process.exit(0));
