import CMicroHTTPD
import Glibc

/// A libmicrohttpd daemon handle. libmicrohttpd documents the daemon calls we make from other
/// threads (stop, info) as thread-safe, which is what makes this wrapper Sendable.
struct DaemonHandle: @unchecked Sendable {
    let raw: OpaquePointer
}

/// C memory libmicrohttpd reads for the daemon's whole life: the logger target and the PEM
/// texts. Written once before the daemon starts and freed once after it stops.
private struct DaemonResources: @unchecked Sendable {
    let logTarget: UnsafeMutablePointer<sb_log_target>
    let pems: [UnsafeMutablePointer<CChar>]
}

/// Settings the daemon is started with, all explicit because libmicrohttpd's defaults quietly
/// cap a server (see `ServerConfiguration`).
struct DaemonSettings {
    var listenDescriptor: Int32
    var threads: Int
    var maxConnections: Int
    var connectionMemoryBytes: Int
    var idleTimeoutSeconds: Int
    var tlsCertificatePEM: String?
    var tlsKeyPEM: String?
}

/// Why libmicrohttpd could not be started.
public enum DaemonError: Error, Sendable, CustomStringConvertible {
    case startFailed
    case missingFeature(String)

    public var description: String {
        switch self {
        case .startFailed:
            "libmicrohttpd failed to start (see the log lines from libmicrohttpd above)"
        case .missingFeature(let name):
            "this libmicrohttpd build lacks \(name) support"
        }
    }
}

/// Starts and stops libmicrohttpd with `dispatcher` answering every request.
///
/// The daemon runs its own epoll threads. `dispatcher` must outlive the daemon: it is passed to
/// C unretained, and `stop()` returns only once no callback can run any more.
final class HTTPDaemon: Sendable {
    let handle: DaemonHandle
    private let resources: DaemonResources

    init(settings: DaemonSettings, dispatcher: RequestDispatcher) throws(DaemonError) {
        guard MHD_is_feature_supported(.FEATURE_UPGRADE) == .YES else {
            throw .missingFeature("upgrade")
        }
        guard MHD_is_feature_supported(.FEATURE_EPOLL) == .YES else {
            throw .missingFeature("epoll")
        }
        let context = Unmanaged.passUnretained(dispatcher).toOpaque()
        let logTarget = UnsafeMutablePointer<sb_log_target>.allocate(capacity: 1)
        logTarget.initialize(to: sb_log_target(emit: emitLibraryLog, context: context))
        let pems = [settings.tlsCertificatePEM, settings.tlsKeyPEM].compactMap { $0 }.map {
            strdup($0)!
        }

        var flags = MHD_USE_EPOLL_INTERNAL_THREAD.rawValue | MHD_ALLOW_UPGRADE.rawValue
        flags |= MHD_ALLOW_SUSPEND_RESUME.rawValue | MHD_USE_ERROR_LOG.rawValue
        if settings.tlsCertificatePEM != nil { flags |= MHD_USE_TLS.rawValue }

        var options = Self.options(settings, context: context, logTarget: logTarget)
        if pems.count == 2 {
            options.append(MHD_OptionItem(option: .HTTPS_MEM_CERT, value: 0, ptr_value: pems[0]))
            options.append(MHD_OptionItem(option: .HTTPS_MEM_KEY, value: 0, ptr_value: pems[1]))
        }
        options.append(MHD_OptionItem(option: .END, value: 0, ptr_value: nil))

        let daemon = options.withUnsafeBufferPointer { buffer in
            sb_start_daemon(
                flags, 0, acceptPolicy, context, accessHandler, context, buffer.baseAddress)
        }
        guard let daemon else {
            logTarget.deallocate()
            pems.forEach { free($0) }
            throw .startFailed
        }
        self.handle = DaemonHandle(raw: daemon)
        self.resources = DaemonResources(logTarget: logTarget, pems: pems)
    }

    private static func options(
        _ settings: DaemonSettings, context: UnsafeMutableRawPointer,
        logTarget: UnsafeMutablePointer<sb_log_target>
    ) -> [MHD_OptionItem] {
        // The logger comes first so that errors about later options reach our log too.
        var options: [MHD_OptionItem] = [
            MHD_OptionItem(
                option: .EXTERNAL_LOGGER, value: sb_log_trampoline_address(),
                ptr_value: UnsafeMutableRawPointer(logTarget)),
            MHD_OptionItem(
                option: .LISTEN_SOCKET, value: Int(settings.listenDescriptor), ptr_value: nil),
            MHD_OptionItem(
                option: .CONNECTION_LIMIT, value: settings.maxConnections, ptr_value: nil),
            MHD_OptionItem(
                option: .CONNECTION_MEMORY_LIMIT, value: settings.connectionMemoryBytes,
                ptr_value: nil),
            MHD_OptionItem(
                option: .CONNECTION_TIMEOUT, value: settings.idleTimeoutSeconds, ptr_value: nil),
            MHD_OptionItem(
                option: .URI_LOG_CALLBACK, value: unsafeBitCast(uriCallback, to: Int.self),
                ptr_value: context),
            MHD_OptionItem(
                option: .NOTIFY_COMPLETED, value: unsafeBitCast(completedCallback, to: Int.self),
                ptr_value: context),
            MHD_OptionItem(
                option: .NOTIFY_CONNECTION, value: unsafeBitCast(connectionCallback, to: Int.self),
                ptr_value: context),
            MHD_OptionItem(
                option: .LISTEN_BACKLOG_SIZE, value: Int(ListenSocket.backlog), ptr_value: nil),
        ]
        if settings.threads > 1 {
            options.append(
                MHD_OptionItem(option: .THREAD_POOL_SIZE, value: settings.threads, ptr_value: nil))
        }
        return options
    }

    /// Connections libmicrohttpd holds right now, upgraded WebSockets included.
    var currentConnections: Int {
        Int(sb_daemon_current_connections(self.handle.raw))
    }

    /// Stops the daemon. Every suspended request must have been resumed and every upgraded
    /// socket closed first: libmicrohttpd 0.9.75 aborts the process otherwise.
    func stop() {
        MHD_stop_daemon(self.handle.raw)
        self.resources.logTarget.deallocate()
        self.resources.pems.forEach { free($0) }
    }
}

private let emitLibraryLog:
    @convention(c) (UnsafeMutableRawPointer?, UnsafePointer<CChar>?) -> Void = {
        context, line in
        guard let context, let line else { return }
        let dispatcher = Unmanaged<RequestDispatcher>.fromOpaque(context).takeUnretainedValue()
        dispatcher.libraryLogged(String(cString: line))
    }

private let uriCallback:
    @convention(c) (
        UnsafeMutableRawPointer?, UnsafePointer<CChar>?, OpaquePointer?
    ) -> UnsafeMutableRawPointer? = { _, uri, _ in
        let target = uri.map { String(cString: $0) } ?? "/"
        return Unmanaged.passRetained(RequestContext(rawTarget: target)).toOpaque()
    }

private let acceptPolicy: MHD_AcceptPolicyCallback = { context, address, _ in
    guard let context, let address else { return .NO }
    let dispatcher = Unmanaged<RequestDispatcher>.fromOpaque(context).takeUnretainedValue()
    guard dispatcher.acceptsConnections else { return .NO }
    let host = SocketAddress.numericHost(address) ?? "unknown"
    return dispatcher.connectionGuard.admits(host) ? .YES : .NO
}

private let connectionCallback: MHD_NotifyConnectionCallback = { context, connection, _, event in
    guard let context, let connection else { return }
    let dispatcher = Unmanaged<RequestDispatcher>.fromOpaque(context).takeUnretainedValue()
    let key = UInt(bitPattern: connection)
    switch event {
    case .CONNECTION_NOTIFY_STARTED:
        let address = sb_connection_client_address(connection).flatMap(SocketAddress.numericHost)
        dispatcher.connectionGuard.started(
            key, socket: sb_connection_socket(connection), address: address ?? "unknown")
    case .CONNECTION_NOTIFY_CLOSED:
        dispatcher.connectionGuard.closed(key)
    @unknown default:
        break
    }
}

private let completedCallback: MHD_RequestCompletedCallback = {
    context, connection, requestSlot, _ in
    if let context, let connection {
        let dispatcher = Unmanaged<RequestDispatcher>.fromOpaque(context).takeUnretainedValue()
        dispatcher.connectionGuard.awaitingNextRequest(UInt(bitPattern: connection))
    }
    guard let requestSlot, let raw = requestSlot.pointee else { return }
    requestSlot.pointee = nil
    let context = Unmanaged<RequestContext>.fromOpaque(raw).takeRetainedValue()
    context.continuation?.requestCompleted()
    context.continuation = nil
}

private let accessHandler: MHD_AccessHandlerCallback = {
    cls, connection, _, method, version, uploadData, uploadSize, requestSlot in
    guard let cls, let connection, let requestSlot, let uploadSize else { return .NO }
    let dispatcher = Unmanaged<RequestDispatcher>.fromOpaque(cls).takeUnretainedValue()
    let context: RequestContext
    if let raw = requestSlot.pointee {
        context = Unmanaged<RequestContext>.fromOpaque(raw).takeUnretainedValue()
    } else {
        context = RequestContext(rawTarget: "/")
        requestSlot.pointee = Unmanaged.passRetained(context).toOpaque()
    }
    return dispatcher.handle(
        connection: connection, context: context,
        method: method.map { String(cString: $0) } ?? "",
        version: version.map { String(cString: $0) } ?? "",
        upload: UnsafeRawBufferPointer(start: uploadData, count: uploadSize.pointee),
        uploadSize: uploadSize)
}
