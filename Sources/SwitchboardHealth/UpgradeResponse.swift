/// The head of an HTTP answer, read line by line as libcurl's header callback delivers it.
///
/// Only what the WebSocket check needs: the status of the latest status line and its
/// `Sec-WebSocket-Accept`. Interim `1xx` answers other than `101` are skipped; the head is complete at
/// the blank line after a `101` or a final (`>= 200`) status line. Never traps on malformed input.
struct UpgradeResponse: Sendable, Equatable {
    var status: Int?
    var accept: String?
    var complete = false

    /// Feeds one header line (with or without its CRLF). Returns false once the head is complete,
    /// which tells libcurl to stop the transfer.
    mutating func consume(_ raw: UnsafeRawBufferPointer) -> Bool {
        var line = raw[...]
        while let last = line.last, last == UInt8(ascii: "\n") || last == UInt8(ascii: "\r") {
            line = line.dropLast()
        }
        if line.isEmpty {
            guard let status, status == 101 || status >= 200 else {
                self.status = nil
                return true
            }
            complete = true
            return false
        }
        if line.starts(with: "HTTP/".utf8) {
            status = Self.statusCode(line)
            accept = nil
        } else if let colon = line.firstIndex(of: UInt8(ascii: ":")),
            Self.equalsIgnoringCase(line[..<colon], "sec-websocket-accept")
        {
            let value = line[line.index(after: colon)...].drop { $0 == 0x20 || $0 == 0x09 }
            accept = String(decoding: value, as: UTF8.self).trimmingTrailingSpaces()
        }
        return true
    }

    /// The three-digit code after the first space of a status line (`HTTP/1.1 101 Switching Protocols`).
    private static func statusCode(_ line: Slice<UnsafeRawBufferPointer>) -> Int? {
        guard let space = line.firstIndex(of: 0x20) else { return nil }
        let digits = line[line.index(after: space)...].prefix(3)
        guard digits.count == 3, digits.allSatisfy({ (0x30...0x39).contains($0) }) else { return nil }
        return digits.reduce(0) { $0 * 10 + Int($1 - 0x30) }
    }

    private static func equalsIgnoringCase(_ bytes: Slice<UnsafeRawBufferPointer>, _ lowercase: String) -> Bool {
        guard bytes.count == lowercase.utf8.count else { return false }
        return zip(bytes, lowercase.utf8).allSatisfy { byte, expected in
            let lowered = (0x41...0x5A).contains(byte) ? byte | 0x20 : byte
            return lowered == expected
        }
    }
}

extension String {
    fileprivate func trimmingTrailingSpaces() -> String {
        var result = Substring(self)
        while let last = result.last, last == " " || last == "\t" { result = result.dropLast() }
        return String(result)
    }
}
