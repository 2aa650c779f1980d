import Yams

/// Collects problems while a table is compiled, so a load reports all of them at once.
struct Diagnostics {
    let file: String
    private(set) var items: [ConfigDiagnostic] = []
    /// Values taken from the environment by `${NAME}`: never shown in a message (`URLRedaction`).
    var secrets: Set<String> = []

    init(file: String) {
        self.file = file
    }

    var hasErrors: Bool { items.contains { $0.severity == .error } }

    func location(of node: Node) -> SourceLocation {
        location(of: node.mark)
    }

    func location(of mark: Mark?) -> SourceLocation {
        SourceLocation(file: file, line: mark?.line ?? 1, column: mark?.column ?? 1)
    }

    mutating func error(_ message: String, at node: Node) {
        items.append(ConfigDiagnostic(message, at: location(of: node)))
    }

    mutating func error(_ message: String, at location: SourceLocation) {
        items.append(ConfigDiagnostic(message, at: location))
    }

    mutating func warning(_ message: String, at node: Node) {
        items.append(ConfigDiagnostic(message, at: location(of: node), severity: .warning))
    }

    /// Errors in file order, then warnings in file order; the routes file's come before those of the `.ics` files
    /// it names.
    var sorted: [ConfigDiagnostic] {
        let order: (ConfigDiagnostic, ConfigDiagnostic) -> Bool = { [file] in
            ($0.location.file != file ? 1 : 0, $0.location.file, $0.location.line, $0.location.column)
                < ($1.location.file != file ? 1 : 0, $1.location.file, $1.location.line, $1.location.column)
        }
        let sorted = items.filter { $0.severity == .error }.sorted(by: order)
            + items.filter { $0.severity == .warning }.sorted(by: order)
        // Messages quote values as written, after `${NAME}` expansion: hide URL secrets and expanded values.
        return sorted.map { item in
            var item = item
            item.message = URLRedaction.redact(URLRedaction.redactURLs(in: item.message), secrets: secrets)
            return item
        }
    }
}
