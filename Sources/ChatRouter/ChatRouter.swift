/// The ChatRouter module. See the package manifest for how the modules layer.
public enum ChatRouterModule {
    /// The module's name, for diagnostics.
    public static let name = "ChatRouter"
}
