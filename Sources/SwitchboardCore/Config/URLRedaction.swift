import Foundation

/// Hides the secret parts of URLs before they are shown anywhere: userinfo and query values
/// (`wss://user:pass@host/calls?token=abc&call={call.id}` → `wss://***@host/calls?token=***&call={call.id}`).
///
/// A query value that is exactly one `{placeholder}` is kept, since it is filled per call and holds no secret.
public enum URLRedaction {
    public static let mask = "***"

    /// `url` with its userinfo, query values and fragment replaced by `***`.
    public static func redact(_ url: String) -> String {
        guard let schemeEnd = url.range(of: "://") else { return redactQuery(Substring(url)) }
        var result = String(url[..<schemeEnd.upperBound])
        let rest = url[schemeEnd.upperBound...]
        let authorityEnd = rest.firstIndex { $0 == "/" || $0 == "?" || $0 == "#" } ?? rest.endIndex
        let authority = rest[..<authorityEnd]
        if let at = authority.lastIndex(of: "@") {
            result += mask + authority[at...]
        } else {
            result += authority
        }
        result += redactQuery(rest[authorityEnd...])
        return result
    }

    /// `text` with every `scheme://…` in it (up to whitespace or a quote) redacted as by `redact(_:)`.
    public static func redactURLs(in text: String) -> String {
        guard text.contains("://") else { return text }
        var result = ""
        var rest = Substring(text)
        while let separator = rest.range(of: "://") {
            var start = separator.lowerBound
            while start > rest.startIndex {
                let previous = rest.index(before: start)
                let character = rest[previous]
                guard character.isASCII, character.isLetter || character.isNumber || "+-.".contains(character) else {
                    break
                }
                start = previous
            }
            let end = rest[separator.upperBound...].firstIndex { $0.isWhitespace || "'\"<>`".contains($0) }
                ?? rest.endIndex
            result += rest[..<start]
            result += redact(String(rest[start..<end]))
            rest = rest[end...]
        }
        return result + rest
    }

    /// Replaces every literal occurrence of the `secrets` (values of at least 4 characters) in `text` with `***`.
    public static func redact(_ text: String, secrets: Set<String>) -> String {
        var text = text
        for secret in secrets.sorted(by: { $0.count > $1.count }) where secret.count >= 4 && text.contains(secret) {
            text = text.replacingOccurrences(of: secret, with: mask)
        }
        return text
    }

    /// `path?a=1&b={call.id}#f` → `path?a=***&b={call.id}#***`
    private static func redactQuery(_ text: Substring) -> String {
        guard let fragment = text.firstIndex(of: "#") else { return redactQueryOnly(text) }
        let after = text[text.index(after: fragment)...]
        return redactQueryOnly(text[..<fragment]) + (after.isEmpty ? "#" : "#" + mask)
    }

    private static func redactQueryOnly(_ text: Substring) -> String {
        guard let question = text.firstIndex(of: "?") else { return String(text) }
        let query = text[text.index(after: question)...]
        let parameters = query.split(separator: "&", omittingEmptySubsequences: false).map { parameter -> String in
            guard let equals = parameter.firstIndex(of: "=") else { return parameter.isEmpty ? "" : mask }
            let value = parameter[parameter.index(after: equals)...]
            let isPlaceholder = value.hasPrefix("{") && value.hasSuffix("}") && value.dropFirst().firstIndex(of: "{") == nil
            return value.isEmpty || isPlaceholder ? String(parameter) : parameter[...equals] + mask
        }
        return text[...question] + parameters.joined(separator: "&")
    }
}
