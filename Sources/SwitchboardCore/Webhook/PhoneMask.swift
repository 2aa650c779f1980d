/// Hides the middle digits of a phone number for logs and `/status`: `+14155550999` → `+141****0999`.
///
/// At least a third of the characters after the `+` are hidden, always (`+12345678` → `+1***5678`); of the rest, at
/// most the last four and the first three are shown. One `*` stands for each hidden character.
public enum PhoneMask {
    public static func mask(_ number: String?) -> String {
        guard var number, !number.isEmpty else { return "-" }
        // Phone numbers are ASCII: masked from their bytes in place. Anything else takes the slower path by Unicode
        // scalars.
        let ascii = number.withUTF8 { utf8 -> String? in
            guard utf8.allSatisfy({ $0 < 0x80 }) else { return nil }
            let plus = utf8.first == UInt8(ascii: "+") ? 1 : 0
            let (prefix, hidden, suffix) = split(utf8.count - plus)
            return String(unsafeUninitializedCapacity: utf8.count) { buffer in
                let shown = plus + prefix
                _ = buffer.initialize(fromContentsOf: utf8[..<shown])
                buffer[shown..<shown + hidden].initialize(repeating: UInt8(ascii: "*"))
                _ = buffer[(shown + hidden)...].initialize(fromContentsOf: utf8[(utf8.count - suffix)...])
                return utf8.count
            }
        }
        if let ascii { return ascii }
        let scalars = Array(number.unicodeScalars)
        let plus = scalars.first == "+" ? 1 : 0
        let (prefix, hidden, suffix) = split(scalars.count - plus)
        var result = String.UnicodeScalarView(scalars.prefix(plus + prefix))
        result.append(contentsOf: String(repeating: "*", count: hidden).unicodeScalars)
        result.append(contentsOf: scalars.suffix(suffix))
        return String(result)
    }

    /// How many of `count` characters to show first, hide, and show last.
    static func split(_ count: Int) -> (prefix: Int, hidden: Int, suffix: Int) {
        let minimumHidden = (count + 2) / 3
        let suffix = min(4, count - minimumHidden)
        let prefix = min(3, count - minimumHidden - suffix)
        return (prefix, count - prefix - suffix, suffix)
    }
}
