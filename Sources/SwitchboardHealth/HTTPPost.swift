import CCurl
import Foundation
import SwitchboardCore

/// One blocking HTTP or HTTPS POST through libcurl, for `switchboard sign --url`: sends the body byte for byte and
/// trusts the CA certificates of `caFile` when given (a private CA), else the system's.
public enum HTTPPost {
    public struct Answer: Sendable {
        public var status: Int
        public var body: Data
    }

    /// The request could not be made (connection, TLS, timeout); the message is libcurl's.
    public struct Failure: Error, Sendable, CustomStringConvertible {
        public var description: String
    }

    public static func send(
        url: String, headers: [(String, String)], body: Data, caFile: String? = nil, timeout: Duration = .seconds(30)
    ) throws(Failure) -> Answer {
        guard let handle = CurlEasyHandle() else { throw Failure(description: "libcurl could not create a handle") }
        let received = Received()
        let context = Unmanaged.passUnretained(received).toOpaque()
        let code: CURLcode = body.withUnsafeBytes { bytes in
            var codes = [
                handle.set(CURLOPT_URL, url),
                handle.set(CURLOPT_POST, 1),
                handle.set(CURLOPT_POSTFIELDSIZE, bytes.count),
                handle.set(CURLOPT_POSTFIELDS, pointer: UnsafeMutableRawPointer(mutating: bytes.baseAddress)),
                handle.set(CURLOPT_TIMEOUT_MS, Int(timeout.wholeMilliseconds)),
                handle.set(CURLOPT_WRITEDATA, pointer: context),
                handle.set(CURLOPT_WRITEFUNCTION, callback: collectBody),
                handle.setHeaders(headers.map { "\($0.0): \($0.1)" } + ["Expect:"]),
            ]
            if let caFile { codes.append(handle.set(CURLOPT_CAINFO, caFile)) }
            if let failed = codes.first(where: { $0 != CURLE_OK }) { return failed }
            return curl_easy_perform(handle.raw)
        }
        guard code == CURLE_OK else { throw Failure(description: handle.errorMessage(for: code)) }
        return Answer(status: handle.responseCode ?? 0, body: received.data)
    }

    /// The answer's body as libcurl hands it over; used on the calling thread only.
    private final class Received {
        var data = Data()
    }

    private static let collectBody: curl_write_callback = { buffer, size, count, context in
        let length = size &* count
        guard let buffer, let context else { return 0 }
        let received = Unmanaged<Received>.fromOpaque(context).takeUnretainedValue()
        received.data.append(UnsafeRawBufferPointer(start: buffer, count: length).bindMemory(to: UInt8.self))
        return length
    }
}
