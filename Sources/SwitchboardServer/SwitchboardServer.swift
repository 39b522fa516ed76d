/// The SwitchboardServer module. See the package manifest for how the modules layer.
public enum SwitchboardServerModule {
    /// The module's name, for diagnostics.
    public static let name = "SwitchboardServer"
}
