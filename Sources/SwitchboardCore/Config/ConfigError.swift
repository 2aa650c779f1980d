/// A position in a configuration file, printed as `FILE:LINE:COL`.
public struct SourceLocation: Sendable, Hashable, CustomStringConvertible {
    public var file: String
    /// 1-based line.
    public var line: Int
    /// 1-based column, counted in Unicode scalars (as libyaml counts).
    public var column: Int

    public init(file: String, line: Int, column: Int) {
        self.file = file
        self.line = line
        self.column = column
    }

    public var description: String { "\(file):\(line):\(column)" }
}

/// One problem found while loading `routes.yaml`.
public struct ConfigDiagnostic: Sendable, Hashable, CustomStringConvertible {
    public enum Severity: String, Sendable, Hashable {
        case error
        case warning
    }

    public var location: SourceLocation
    public var message: String
    public var severity: Severity

    public init(_ message: String, at location: SourceLocation, severity: Severity = .error) {
        self.location = location
        self.message = message
        self.severity = severity
    }

    /// `routes.yaml:14:9: unknown pool 'pool-x'`; warnings carry a `warning:` prefix.
    public var description: String {
        switch severity {
        case .error: "\(location): \(message)"
        case .warning: "\(location): warning: \(message)"
        }
    }
}

/// A table that failed to load. It holds every problem found, so one run of `validate` reports them all.
public struct ConfigError: Error, Sendable, CustomStringConvertible {
    /// Errors first, in file order, then warnings.
    public var diagnostics: [ConfigDiagnostic]
    /// The `.ics` files the routes file named, as paths to open (a watcher keeps watching them until they load).
    public var calendarFiles: [String]

    public init(diagnostics: [ConfigDiagnostic], calendarFiles: [String] = []) {
        self.diagnostics = diagnostics
        self.calendarFiles = calendarFiles
    }

    public var errors: [ConfigDiagnostic] { diagnostics.filter { $0.severity == .error } }

    /// One diagnostic per line.
    public var description: String { diagnostics.map(\.description).joined(separator: "\n") }
}
