/// JSON string escaping for the answers and documents Switchboard writes by hand (no encoder on the hot path).
public enum JSONString {
    /// Whether `text` holds a character that must be escaped inside a JSON string literal.
    public static func needsEscaping(_ text: String) -> Bool {
        text.utf8.contains(where: { $0 < 0x20 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") })
    }

    /// Appends `text` escaped for use inside a JSON string literal (RFC 8259 §7).
    public static func appendEscaped(_ text: String, to out: inout String) {
        // Most text (URLs, IDs, masked numbers) needs no escaping: append it whole.
        if !needsEscaping(text) {
            out += text
            return
        }
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20:
                out += "\\u00"
                let hex: StaticString = "0123456789abcdef"
                out.unicodeScalars.append(Unicode.Scalar(hex.utf8Start[Int(scalar.value >> 4)]))
                out.unicodeScalars.append(Unicode.Scalar(hex.utf8Start[Int(scalar.value & 0xF)]))
            default: out.unicodeScalars.append(scalar)
            }
        }
    }
}
