/// The SQLiteStore module. See the package manifest for how the modules layer.
public enum SQLiteStoreModule {
    /// The module's name, for diagnostics.
    public static let name = "SQLiteStore"
}
