/// The SwitchboardCommand module. See the package manifest for how the modules layer.
public enum SwitchboardCommandModule {
    /// The module's name, for diagnostics.
    public static let name = "SwitchboardCommand"
}
