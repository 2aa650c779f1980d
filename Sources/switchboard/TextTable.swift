import Foundation

/// Prints rows as left-aligned columns two spaces apart (the first row is the header).
func printTable(_ rows: [[String]]) {
    let columns = rows.map(\.count).max() ?? 0
    let widths = (0..<columns).map { column in rows.map { column < $0.count ? $0[column].count : 0 }.max() ?? 0 }
    for row in rows {
        let cells = zip(row, widths).map { $0.padding(toLength: $1, withPad: " ", startingAt: 0) }
        print(cells.joined(separator: "  ").trimmingSuffix())
    }
}

extension String {
    fileprivate func trimmingSuffix() -> String {
        var text = self
        while text.last == " " { text.removeLast() }
        return text
    }
}
