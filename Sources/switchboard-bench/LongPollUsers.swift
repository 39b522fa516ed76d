/// A V1 user over long-poll (`/v1/poll`): binds with a POST that creates its session, keeps
/// one GET waiting on one connection, and sends on a second connection. Envelopes queued
/// while a POST is outstanding leave together as one batch (a JSON array, which SPEC allows),
/// as a real client behind a slow link would send them.
final class V1LongPollUser: ChatUser, HTTPClientDelegate {
    let index: Int
    private let uid: String
    private let envelopePrefix: [UInt8]
    private let pollClient: HTTPClient
    private let postClient: HTTPClient?
    private unowned let observer: ChatUserObserver
    private var sid: String?
    private var acknowledged: UInt64 = 0
    private var pendingBody: [UInt8] = []
    private var pendingCount = 0
    private var postInFlight = false
    private var postConnected = false
    private var isClosed = false
    /// Seconds each GET may wait on the server.
    var pollTimeoutSeconds = 30
    /// When false, the user issues no new GET once one has been answered with events.
    var pollsAgainAfterEvents = true
    private(set) var isReady = false

    /// A user `uid` that sends to `peerUID`; `sends` false saves the POST connection.
    init(
        index: Int, uid: String, peerUID: String?, host: String, sends: Bool,
        observer: ChatUserObserver
    ) {
        self.index = index
        self.uid = uid
        self.envelopePrefix = Array(#"{"type":"send","touid":"\#(peerUID ?? "")","msg":""#.utf8)
        self.pollClient = HTTPClient(host: host)
        self.postClient = sends ? HTTPClient(host: host) : nil
        self.observer = observer
        self.pollClient.delegate = self
        self.postClient?.delegate = self
    }

    func start(using factory: ConnectionFactory) {
        self.pollClient.open(using: factory)
        self.postClient?.open(using: factory)
    }

    func send(_ payload: UnsafeRawBufferPointer) {
        if self.pendingCount > 0 { self.pendingBody.append(UInt8(ascii: ",")) }
        self.pendingBody.append(contentsOf: self.envelopePrefix)
        self.pendingBody.append(contentsOf: payload)
        self.pendingBody.append(UInt8(ascii: "\""))
        self.pendingBody.append(UInt8(ascii: "}"))
        self.pendingCount += 1
        if !self.postInFlight { self.postPending() }
    }

    func ping() {}

    func close() {
        self.isClosed = true
        self.isReady = false
        self.pollClient.close()
        self.postClient?.close()
    }

    // MARK: HTTPClientDelegate

    func httpConnected(_ client: HTTPClient) {
        if client === self.pollClient {
            let bind = Array(#"{"type":"bind","uid":"\#(self.uid)"}"#.utf8)
            client.send(method: "POST", target: "/v1/poll", body: bind)
        } else {
            self.postConnected = true
            self.becomeReadyIfDone()
        }
    }

    func http(_ client: HTTPClient, received response: HTTPResponse) {
        if client !== self.pollClient {
            self.postAnswered(response)
        } else if self.sid == nil {
            self.bindAnswered(response)
        } else {
            self.pollAnswered(response)
        }
    }

    func httpClosed(_ client: HTTPClient, error: String?) {
        guard !self.isClosed else { return }
        self.close()
        self.observer.user(self, failed: error ?? "server closed a long-poll connection")
    }

    // MARK: Steps

    private func bindAnswered(_ response: HTTPResponse) {
        let sid = response.body.withUnsafeBytes { body in
            FrameScanner.stringValue("sid", in: body).map { String(decoding: $0, as: UTF8.self) }
        }
        guard response.status == 200, let sid else {
            self.observer.countError("lp bind \(response.status)")
            self.close()
            self.observer.user(self, failed: "bind refused with HTTP \(response.status)")
            return
        }
        self.sid = sid
        self.poll()
        self.becomeReadyIfDone()
    }

    private func becomeReadyIfDone() {
        guard !self.isReady, !self.isClosed, self.sid != nil else { return }
        guard self.postClient == nil || self.postConnected else { return }
        self.isReady = true
        self.observer.userReady(self)
    }

    private func poll() {
        guard let sid = self.sid, !self.isClosed else { return }
        self.pollClient.send(
            method: "GET",
            target:
                "/v1/poll?sid=\(sid)&ack=\(self.acknowledged)&timeout=\(self.pollTimeoutSeconds)")
    }

    private func pollAnswered(_ response: HTTPResponse) {
        guard response.status == 200 else {
            self.observer.countError("lp get \(response.status)")
            if response.status == 404 {
                self.close()
                self.observer.user(self, failed: "session lost")
            } else {
                self.poll()
            }
            return
        }
        var eventCount = 0
        response.body.withUnsafeBytes { body in
            let complete = FrameScanner.forEachObject(inArray: "events", of: body) { event in
                eventCount += 1
                if FrameScanner.boolValue("error", in: event) == true {
                    let code = FrameScanner.integerValue("code", in: event) ?? 0
                    self.observer.countError("v1 error \(code)")
                } else if FrameScanner.string("type", in: event, is: "send"),
                    let message = FrameScanner.stringValue("msg", in: event)
                {
                    self.observer.user(self, received: message)
                }
            }
            if !complete { self.observer.countError("lp unreadable events") }
            if let last = FrameScanner.integerValue("last", in: body) {
                self.acknowledged = last
            }
        }
        if eventCount == 0 || self.pollsAgainAfterEvents { self.poll() }
    }

    private func postPending() {
        guard let postClient = self.postClient, let sid = self.sid, self.pendingCount > 0 else {
            return
        }
        var body: [UInt8]
        if self.pendingCount == 1 {
            body = self.pendingBody
        } else {
            body = [UInt8(ascii: "[")]
            body.reserveCapacity(self.pendingBody.count + 2)
            body.append(contentsOf: self.pendingBody)
            body.append(UInt8(ascii: "]"))
        }
        self.pendingBody.removeAll(keepingCapacity: true)
        self.pendingCount = 0
        self.postInFlight = true
        postClient.send(method: "POST", target: "/v1/poll?sid=\(sid)", body: body)
    }

    private func postAnswered(_ response: HTTPResponse) {
        self.postInFlight = false
        if response.status != 200 {
            self.observer.countError("v1 error \(response.status)")
        } else {
            let refused = response.body.withUnsafeBytes {
                FrameScanner.occurrences(of: #""error":true"#, in: $0)
            }
            for _ in 0..<refused { self.observer.countError("v1 batch error") }
        }
        self.postPending()
    }
}

/// An nchan long-poll user: `GET /sub/<me>` (every waiting message in one answer, one per line,
/// resumed from the previous answer's `Etag`/`Last-Modified`) and `POST /pub/<peer>`, one
/// message per request as nchan's HTTP publisher takes them.
final class NchanLongPollUser: ChatUser, HTTPClientDelegate {
    let index: Int
    private let uid: String
    private let peerUID: String?
    private let pollClient: HTTPClient
    private let postClient: HTTPClient
    private unowned let observer: ChatUserObserver
    private var etag: String?
    private var lastModified: String?
    private var pending: [[UInt8]] = []
    private var postInFlight = false
    private var connected = 0
    private var isClosed = false
    private(set) var isReady = false

    /// A user subscribed to channel `uid` that publishes to channel `peerUID`.
    init(index: Int, uid: String, peerUID: String?, host: String, observer: ChatUserObserver) {
        self.index = index
        self.uid = uid
        self.peerUID = peerUID
        self.pollClient = HTTPClient(host: host)
        self.postClient = HTTPClient(host: host)
        self.observer = observer
        self.pollClient.delegate = self
        self.postClient.delegate = self
    }

    func start(using factory: ConnectionFactory) {
        self.pollClient.open(using: factory)
        self.postClient.open(using: factory)
    }

    func send(_ payload: UnsafeRawBufferPointer) {
        self.pending.append(Array(payload))
        if !self.postInFlight { self.publishNext() }
    }

    func ping() {}

    func close() {
        self.isClosed = true
        self.isReady = false
        self.pollClient.close()
        self.postClient.close()
    }

    func httpConnected(_ client: HTTPClient) {
        self.connected += 1
        if client === self.pollClient { self.poll() }
        if self.connected == 2 {
            self.isReady = true
            self.observer.userReady(self)
        }
    }

    func http(_ client: HTTPClient, received response: HTTPResponse) {
        if client === self.postClient {
            self.postInFlight = false
            if !(200...299).contains(response.status) {
                self.observer.countError("nchan publish \(response.status)")
            }
            self.publishNext()
            return
        }
        if response.status == 200 {
            self.etag = response.header("Etag")
            self.lastModified = response.header("Last-Modified")
            response.body.withUnsafeBytes { body in
                for line in body.split(separator: UInt8(ascii: "\n")) where !line.isEmpty {
                    self.observer.user(self, received: UnsafeRawBufferPointer(rebasing: line))
                }
            }
        } else if response.status != 304 && response.status != 408 {
            self.observer.countError("nchan subscribe \(response.status)")
        }
        self.poll()
    }

    func httpClosed(_ client: HTTPClient, error: String?) {
        guard !self.isClosed else { return }
        self.close()
        self.observer.user(self, failed: error ?? "server closed a long-poll connection")
    }

    private func poll() {
        guard !self.isClosed else { return }
        var headers: [(String, String)] = []
        if let etag = self.etag { headers.append(("If-None-Match", etag)) }
        if let lastModified = self.lastModified {
            headers.append(("If-Modified-Since", lastModified))
        }
        self.pollClient.send(method: "GET", target: "/sub/\(self.uid)", headers: headers)
    }

    private func publishNext() {
        guard let peerUID = self.peerUID, !self.pending.isEmpty, !self.isClosed else { return }
        let body = self.pending.removeFirst()
        self.postInFlight = true
        self.postClient.send(method: "POST", target: "/pub/\(peerUID)", body: body)
    }
}
