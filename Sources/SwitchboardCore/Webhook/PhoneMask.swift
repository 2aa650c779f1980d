/// Hides the middle digits of a phone number for logs and `/status`: `+14155550999` → `+1415***0999`.
public enum PhoneMask {
    public static func mask(_ number: String?) -> String {
        guard let number, !number.isEmpty else { return "-" }
        let utf8 = number.utf8
        // Phone numbers are ASCII; anything else takes the slower path by Unicode scalars.
        guard utf8.allSatisfy({ $0 < 0x80 }) else {
            let scalars = Array(number.unicodeScalars)
            guard scalars.count >= 9 else { return "***" + String(String.UnicodeScalarView(scalars.suffix(2))) }
            return String(String.UnicodeScalarView(scalars.prefix(5))) + "***"
                + String(String.UnicodeScalarView(scalars.suffix(4)))
        }
        let long = utf8.count >= 9
        return String(unsafeUninitializedCapacity: 12) { buffer in
            var position = 0
            func put(_ bytes: some Sequence<UInt8>) {
                for byte in bytes {
                    buffer[position] = byte
                    position += 1
                }
            }
            if long { put(utf8.prefix(5)) }
            put("***".utf8)
            put(utf8.suffix(long ? 4 : 2))
            return position
        }
    }
}
