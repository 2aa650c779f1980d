import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// The part of the Inkbox REST API that points phone numbers at Switchboard: list the organisation's numbers and
/// change where their incoming calls go. Authenticates with `X-API-Key`; the key is sent only in that header and
/// never appears in an error or a log line.
///
/// 429 and 5xx answers, and requests that got no answer, are retried with exponential backoff (honouring a
/// `Retry-After` of a few seconds); other errors are reported at once.
public struct InkboxClient: Sendable {
    /// The public API (`--api-base` overrides it).
    public static let defaultBase = "https://inkbox.ai/api/v1"

    public var base: String
    private let apiKey: String
    private let httpClient: HTTPClient
    /// Delays before the 2nd, 3rd, … attempt; its count is the number of retries.
    public var backoff: [Duration]
    /// How long one request may take.
    public var timeout: Duration

    /// - Parameters:
    ///   - apiKey: the organisation's API key (`INKBOX_API_KEY`).
    ///   - base: the API's base URL, without a trailing slash.
    ///   - httpClient: the client to send with (the process-wide shared one by default).
    ///   - backoff: delays between attempts of a request that failed with 429, 5xx or no answer.
    public init(
        apiKey: String, base: String = InkboxClient.defaultBase, httpClient: HTTPClient = .shared,
        backoff: [Duration] = [.milliseconds(500), .seconds(1), .seconds(2), .seconds(4)],
        timeout: Duration = .seconds(15)
    ) {
        self.apiKey = apiKey
        self.base = base.hasSuffix("/") ? String(base.dropLast()) : base
        self.httpClient = httpClient
        self.backoff = backoff
        self.timeout = timeout
    }

    /// Every phone number of the organisation (`GET /phone/numbers`).
    public func numbers() async throws(InkboxError) -> [PhoneNumber] {
        try await send(.GET, "/phone/numbers", body: nil, as: [PhoneNumber].self)
    }

    /// Changes one number (`PATCH /phone/numbers/{id}`) and returns it as the API now has it.
    public func update(id: String, _ change: PhoneNumberUpdate) async throws(InkboxError) -> PhoneNumber {
        let body: Data
        do {
            body = try JSONEncoder().encode(change)
        } catch {
            throw InkboxError(status: nil, "cannot encode the change: \(error)")
        }
        let path = "/phone/numbers/" + (id.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed) ?? id)
        return try await send(.PATCH, path, body: body, as: PhoneNumber.self)
    }

    private func send<Answer: Decodable>(
        _ method: HTTPMethod, _ path: String, body: Data?, as: Answer.Type
    ) async throws(InkboxError) -> Answer {
        let name = "\(method.rawValue) \(path)"
        var attempt = 0
        while true {
            let outcome = await once(method, path, body: body)
            switch outcome {
            case .answer(let status, let bytes, _) where (200..<300).contains(status):
                do {
                    return try JSONDecoder().decode(Answer.self, from: bytes)
                } catch {
                    throw InkboxError(status: status, "\(name): the answer is not what the Inkbox API documents: \(error)")
                }
            case .answer(let status, let bytes, let retryAfter) where status == 429 || status >= 500:
                guard attempt < backoff.count else {
                    throw .answer(status: status, detail: Self.detail(bytes), request: name)
                }
                try await pause(max(backoff[attempt], retryAfter ?? .zero))
            case .answer(let status, let bytes, _):
                throw .answer(status: status, detail: Self.detail(bytes), request: name)
            case .noAnswer(let reason):
                guard attempt < backoff.count else {
                    throw InkboxError(status: nil, "\(name): no answer from \(base) (\(reason))")
                }
                try await pause(backoff[attempt])
            }
            attempt += 1
        }
    }

    private enum Outcome {
        case answer(status: Int, bytes: Data, retryAfter: Duration?)
        case noAnswer(String)
    }

    private func once(_ method: HTTPMethod, _ path: String, body: Data?) async -> Outcome {
        var request = HTTPClientRequest(url: base + path)
        request.method = method
        request.headers.add(name: "X-API-Key", value: apiKey)
        request.headers.add(name: "Accept", value: "application/json")
        request.headers.add(name: "User-Agent", value: "switchboard")
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(bytes: body))
        }
        do {
            let response = try await httpClient.execute(request, timeout: .nanoseconds(Int64(timeout.wholeNanoseconds)))
            let bytes = try await response.body.collect(upTo: 8 << 20)
            let retryAfter = response.headers.first(name: "Retry-After").flatMap { Int($0) }
                .map { Duration.seconds(min($0, 30)) }
            return .answer(status: Int(response.status.code), bytes: Data(bytes.readableBytesView), retryAfter: retryAfter)
        } catch {
            return .noAnswer(String(describing: error))
        }
    }

    private func pause(_ delay: Duration) async throws(InkboxError) {
        do {
            try await Task.sleep(for: delay)
        } catch {
            throw InkboxError(status: nil, "cancelled")
        }
    }

    /// The API's `detail` (a string, or FastAPI's list of `{loc, msg}` validation errors), else the body's text.
    static func detail(_ bytes: Data) -> String? {
        guard !bytes.isEmpty else { return nil }
        if let object = try? JSONSerialization.jsonObject(with: bytes) as? [String: Any] {
            if let text = object["detail"] as? String { return text }
            if let items = object["detail"] as? [[String: Any]] {
                return items.map { item in
                    let field = (item["loc"] as? [Any])?.map { "\($0)" }.filter { $0 != "body" }.joined(separator: ".")
                    let message = item["msg"] as? String ?? "invalid"
                    return field.map { "\($0): \(message)" } ?? message
                }.joined(separator: "; ")
            }
        }
        return String(decoding: bytes.prefix(300), as: UTF8.self)
    }
}

extension Duration {
    fileprivate var wholeNanoseconds: Int64 {
        components.seconds &* 1_000_000_000 &+ components.attoseconds / 1_000_000_000
    }
}
