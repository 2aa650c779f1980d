/// Hides the middle digits of a phone number for logs and `/status`: `+14155550999` → `+1415***0999`.
public enum PhoneMask {
    public static func mask(_ number: String?) -> String {
        guard let number, !number.isEmpty else { return "-" }
        let characters = number.unicodeScalars
        guard characters.count >= 9 else { return "***" + String(String.UnicodeScalarView(characters.suffix(2))) }
        return String(String.UnicodeScalarView(characters.prefix(5))) + "***"
            + String(String.UnicodeScalarView(characters.suffix(4)))
    }
}
