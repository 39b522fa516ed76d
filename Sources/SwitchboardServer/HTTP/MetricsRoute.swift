import ChatRouter

/// `GET /metrics` in the Prometheus text exposition format (version 0.0.4).
struct MetricsRoute: Sendable {
    let metrics: ServerMetrics
    let hub: ChatHub
    let longPoll: LongPollService

    func handle(_ exchange: Exchange) -> HTTPResponse {
        guard exchange.method == "GET" || exchange.method == "HEAD" else {
            return HTTPResponse.text(405, "method not allowed", headers: [("Allow", "GET, HEAD")])
        }
        return HTTPResponse(
            status: 200,
            headers: [
                ("Content-Type", "text/plain; version=0.0.4; charset=utf-8"),
                ("Cache-Control", "no-store"),
            ],
            body: .bytes(Array(self.render().utf8)))
    }

    func render() -> String {
        var text = MetricsText()
        let statistics = self.hub.statistics
        let queue = self.longPoll.queueTotals()
        let metrics = self.metrics

        text.gauge(
            "switchboard_connections", "Open client connections by transport.",
            [
                (#"transport="ws""#, metrics.webSocketConnections.load(ordering: .relaxed)),
                (#"transport="poll""#, self.longPoll.sessionCount),
            ])
        text.gauge(
            "switchboard_bound_connections", "Connections bound to a uid.",
            [("", statistics.boundConnections)])
        text.gauge(
            "switchboard_online_users", "Users with at least one bound connection.",
            [("", statistics.onlineUsers)])
        text.gauge(
            "switchboard_poll_sessions", "Long-poll sessions open.",
            [("", self.longPoll.sessionCount)])
        text.gauge(
            "switchboard_poll_parked", "Long-poll GETs waiting for events.",
            [
                ("", self.longPoll.parkedRequests.load(ordering: .relaxed))
            ])
        text.counter(
            "switchboard_envelopes_total", "Client envelopes handled, by type.",
            statistics.envelopes.sorted { $0.key < $1.key }.map {
                (#"type="\#($0.key)""#, $0.value)
            })
        text.counter(
            "switchboard_errors_total", "Error replies sent, by V1 code.",
            statistics.errors.merging(metrics.transportErrors.withLock { $0 }) { $0 + $1 }
                .sorted { $0.key < $1.key }.map { (#"code="\#($0.key)""#, $0.value) })
        text.counter(
            "switchboard_messages_total", "Chat messages by what happened to them.",
            [
                (#"outcome="delivered""#, statistics.delivered),
                (#"outcome="queued""#, statistics.queued),
                (#"outcome="replayed""#, statistics.replayed),
                (#"outcome="requeued""#, statistics.requeued),
                (#"outcome="deduplicated""#, statistics.deduplicated),
            ])
        text.counter(
            "switchboard_bytes_total", "Payload bytes by direction and transport.",
            [
                (
                    #"direction="in",transport="ws""#,
                    metrics.webSocketBytesIn.load(ordering: .relaxed)
                ),
                (
                    #"direction="out",transport="ws""#,
                    metrics.webSocketBytesOut.load(ordering: .relaxed)
                ),
                (
                    #"direction="in",transport="poll""#,
                    metrics.longPollBytesIn.load(ordering: .relaxed)
                ),
                (
                    #"direction="out",transport="poll""#,
                    metrics.longPollBytesOut.load(ordering: .relaxed)
                ),
            ])
        text.gauge(
            "switchboard_queue_bytes", "Bytes waiting in outbound queues.",
            [
                (#"transport="ws""#, self.hub.webSocketQueuedBytes()),
                (#"transport="poll""#, queue.bytes),
            ])
        text.gauge(
            "switchboard_queue_events", "Long-poll events waiting for a GET or an ack.",
            [
                (#"transport="poll""#, queue.events)
            ])
        text.counter(
            "switchboard_slow_consumers_total", "Connections closed for reading too slowly.",
            [
                (#"transport="ws""#, metrics.slowConsumerWebSocket.load(ordering: .relaxed)),
                (#"transport="poll""#, metrics.slowConsumerLongPoll.load(ordering: .relaxed)),
            ])
        text.counter(
            "switchboard_websocket_handshakes_total", "WebSocket upgrade requests by result.",
            [
                (#"result="accepted""#, metrics.webSocketAccepted.load(ordering: .relaxed)),
                (#"result="refused""#, metrics.webSocketRefused.load(ordering: .relaxed)),
            ])
        text.counter(
            "switchboard_websocket_server_closes_total", "WebSockets the server closed, by reason.",
            [
                (
                    #"reason="protocol_error""#,
                    metrics.webSocketProtocolErrors.load(ordering: .relaxed)
                ),
                (#"reason="idle_timeout""#, metrics.webSocketIdleTimeouts.load(ordering: .relaxed)),
                (
                    #"reason="slow_consumer""#,
                    metrics.slowConsumerWebSocket.load(ordering: .relaxed)
                ),
            ])
        text.counter(
            "switchboard_limit_rejections_total", "Clients refused or closed by a limit.",
            [
                (#"limit="connections""#, metrics.connectionLimitRefusals.load(ordering: .relaxed)),
                (
                    #"limit="connections_per_address""#,
                    metrics.perAddressRefusals.load(ordering: .relaxed)
                ),
                (
                    #"limit="poll_sessions_per_address""#,
                    metrics.sessionRefusals.load(ordering: .relaxed)
                ),
                (#"limit="request_timeout""#, metrics.slowRequestsClosed.load(ordering: .relaxed)),
                (#"limit="rate""#, statistics.rateLimited),
                (#"limit="origin""#, metrics.originRefusals.load(ordering: .relaxed)),
                (#"limit="body_bytes""#, metrics.bodiesTooLarge.load(ordering: .relaxed)),
            (#"limit="request_head""#, metrics.requestHeadsTooLarge.load(ordering: .relaxed)),
                (#"limit="request_framing""#, metrics.httpRefusedFraming.load(ordering: .relaxed)),
            ])
        text.counter(
            "switchboard_http_requests_total", "HTTP requests received.",
            [
                ("", metrics.httpRequests.load(ordering: .relaxed))
            ])
        text.counter(
            "switchboard_origin_refusals_total", "Requests refused for their Origin.",
            [
                ("", metrics.originRefusals.load(ordering: .relaxed))
            ])
        return text.output
    }
}

/// Builds the exposition text: `# HELP`, `# TYPE`, then one sample per label set.
struct MetricsText {
    private(set) var output = ""

    mutating func gauge(_ name: String, _ help: String, _ samples: [(labels: String, value: Int)]) {
        self.family(name, help, type: "gauge", samples)
    }

    mutating func counter(_ name: String, _ help: String, _ samples: [(labels: String, value: Int)])
    {
        self.family(name, help, type: "counter", samples)
    }

    private mutating func family(
        _ name: String, _ help: String, type: String, _ samples: [(labels: String, value: Int)]
    ) {
        self.output += "# HELP \(name) \(help)\n# TYPE \(name) \(type)\n"
        for sample in samples {
            let labels = sample.labels.isEmpty ? "" : "{\(sample.labels)}"
            self.output += "\(name)\(labels) \(sample.value)\n"
        }
    }
}
