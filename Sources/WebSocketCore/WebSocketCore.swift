/// The WebSocketCore module. See the package manifest for how the modules layer.
public enum WebSocketCoreModule {
    /// The module's name, for diagnostics.
    public static let name = "WebSocketCore"
}
