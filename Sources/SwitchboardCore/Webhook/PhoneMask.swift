/// Hides the middle digits of a phone number for logs and `/status`: `+14155550999` → `+141****0999`.
///
/// At least a third of the characters after the `+` are hidden, always (`+12345678` → `+1***5678`); of the rest, at
/// most the last four and the first three are shown. One `*` stands for each hidden character.
public enum PhoneMask {
    public static func mask(_ number: String?) -> String {
        guard let number, !number.isEmpty else { return "-" }
        let utf8 = number.utf8
        // Phone numbers are ASCII; anything else takes the slower path by Unicode scalars.
        guard number.allUTF8({ $0 < 0x80 }) else {
            let scalars = Array(number.unicodeScalars)
            let plus = scalars.first == "+" ? 1 : 0
            let (prefix, hidden, suffix) = split(scalars.count - plus)
            var result = String.UnicodeScalarView(scalars.prefix(plus + prefix))
            result.append(contentsOf: String(repeating: "*", count: hidden).unicodeScalars)
            result.append(contentsOf: scalars.suffix(suffix))
            return String(result)
        }
        let plus = utf8.first == UInt8(ascii: "+") ? 1 : 0
        let (prefix, hidden, suffix) = split(utf8.count - plus)
        return String(unsafeUninitializedCapacity: utf8.count) { buffer in
            var position = 0
            for byte in utf8.prefix(plus + prefix) {
                buffer[position] = byte
                position += 1
            }
            for _ in 0..<hidden {
                buffer[position] = UInt8(ascii: "*")
                position += 1
            }
            for byte in utf8.suffix(suffix) {
                buffer[position] = byte
                position += 1
            }
            return position
        }
    }

    /// How many of `count` characters to show first, hide, and show last.
    static func split(_ count: Int) -> (prefix: Int, hidden: Int, suffix: Int) {
        let minimumHidden = (count + 2) / 3
        let suffix = min(4, count - minimumHidden)
        let prefix = min(3, count - minimumHidden - suffix)
        return (prefix, count - prefix - suffix, suffix)
    }
}
