/// Which end of the connection this endpoint is; it decides the masking rules
/// (RFC 6455 §5.1): a client masks every frame it sends and the server never does.
public enum WebSocketRole: Hashable, Sendable {
    /// Accepts connections: expects masked frames and sends unmasked ones.
    case server
    /// Opens connections: sends masked frames and expects unmasked ones.
    case client
}
