/// The URL a probe hands to libcurl, derived from a check's URL.
///
/// Debian's libcurl 7.88 has no WebSocket protocol, so `ws://` and `wss://` become `http://` and `https://`
/// (the handshake is an ordinary HTTP/1.1 GET with upgrade headers). A `tcp` check needs only host and port.
enum ProbeURL {
    /// `ws://` → `http://`, `wss://` → `https://` (scheme compared case-insensitively); anything else unchanged.
    static func http(from url: String) -> String {
        guard let split = splitScheme(url) else { return url }
        switch split.scheme {
        case "ws": return "http://" + split.rest
        case "wss": return "https://" + split.rest
        default: return url
        }
    }

    /// `http://HOST:PORT/` for a plain TCP connect to the URL's host and port. The port defaults from the
    /// scheme (80 for http/ws, 443 for https/wss). Nil when the URL has no host or an unknown scheme without a port.
    static func tcp(from url: String) -> String? {
        guard let split = splitScheme(url) else { return nil }
        var authority = Substring(split.rest.prefix { $0 != "/" && $0 != "?" && $0 != "#" })
        if let at = authority.lastIndex(of: "@") {
            authority = authority[authority.index(after: at)...]
        }
        let host: Substring
        var portText: Substring = ""
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else { return nil }
            host = authority[...close]
            let after = authority[authority.index(after: close)...]
            if after.hasPrefix(":") { portText = after.dropFirst() }
        } else if let colon = authority.lastIndex(of: ":") {
            host = authority[..<colon]
            portText = authority[authority.index(after: colon)...]
        } else {
            host = authority
        }
        guard !host.isEmpty else { return nil }
        let port: Int
        if portText.isEmpty {
            guard let known = defaultPort(split.scheme) else { return nil }
            port = known
        } else {
            guard let explicit = Int(portText), (1...65535).contains(explicit) else { return nil }
            port = explicit
        }
        return "http://\(host):\(port)/"
    }

    private static func defaultPort(_ scheme: String) -> Int? {
        switch scheme {
        case "http", "ws": 80
        case "https", "wss": 443
        default: nil
        }
    }

    /// The lowercased scheme and everything after `://`.
    private static func splitScheme(_ url: String) -> (scheme: String, rest: String)? {
        guard let colon = url.firstIndex(of: ":") else { return nil }
        let rest = url[url.index(after: colon)...]
        guard rest.hasPrefix("//") else { return nil }
        return (url[..<colon].lowercased(), String(rest.dropFirst(2)))
    }
}
