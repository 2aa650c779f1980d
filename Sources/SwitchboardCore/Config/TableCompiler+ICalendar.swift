import Foundation
import Yams

extension TableCompiler {
    /// `ics: [holidays/us.ics]` (or one path): reads each file, relative to the routes file, and returns its events
    /// with the path as written. A problem in a file is reported at its own `FILE:LINE:COL`.
    mutating func calendarFiles(_ node: Node) -> [(path: String, event: CalendarEvent)] {
        let items = node.sequence.map(Array.init) ?? [node]
        var events: [(path: String, event: CalendarEvent)] = []
        for item in items {
            guard let path = reader.nonEmptyString(item, "ics") else { continue }
            let resolved = resolve(path)
            if !calendarFilePaths.contains(resolved) { calendarFilePaths.append(resolved) }
            guard let data = FileManager.default.contents(atPath: resolved) else {
                reader.diagnostics.error("ics: cannot read '\(resolved)'", at: item)
                continue
            }
            calendarFileContents.append(data)
            guard let text = String(data: data, encoding: .utf8) else {
                reader.diagnostics.error("ics: '\(resolved)' is not UTF-8 text", at: item)
                continue
            }
            let parsed = ICalendarParser(text)
            for problem in parsed.problems {
                reader.diagnostics.error(
                    problem.message, at: SourceLocation(file: resolved, line: problem.line, column: 1))
            }
            events += parsed.events.map { (path, $0) }
        }
        return events
    }

    /// `path` taken from the routes file's directory (unchanged when absolute).
    private func resolve(_ path: String) -> String {
        let directory = (reader.diagnostics.file as NSString).deletingLastPathComponent
        guard !path.hasPrefix("/"), !directory.isEmpty else { return path }
        return (directory as NSString).appendingPathComponent(path)
    }
}
