import CCurl
import SwitchboardCore

/// One check's easy handle, configured once and reused for every probe of that check.
///
/// The engine keeps one `Probe` per target: URL, timeouts, protocols, callbacks and (for WebSocket checks)
/// the header list are set when the probe is made, and each probe only resets what the callbacks saw and,
/// for WebSocket checks, writes a new `Sec-WebSocket-Key` into the existing header list. libcurl keeps an
/// easy handle's options across transfers, so re-adding the same handle runs the same request again.
///
/// Confined to the probe engine's thread. The engine keeps the probe alive while its handle is in the
/// multi handle, which is what makes the unretained callback pointers (`CURLOPT_HEADERDATA`,
/// `CURLOPT_WRITEDATA`) safe.
final class Probe {
    let check: HealthCheck
    let handle: CurlEasyHandle
    /// Signs every probe of a `sign: true` WebSocket check; nil otherwise.
    let signer: ProbeSigner?

    // What one run saw; reset by `begin`.
    private(set) var started: ContinuousClock.Instant = .now
    private(set) var completion: (@Sendable (ProbeResult?) -> Void)?
    /// The response head of a WebSocket handshake, fed by the header callback.
    var upgrade = UpgradeResponse()
    /// Body bytes received so far; past `bodyLimit` the probe stops reading (HTTP checks only).
    var bodyBytes = 0
    /// A health answer is judged by its status; a body past this size is not read to the end.
    static let bodyLimit = 64 * 1024
    /// `report: json` checks keep the body, up to this size (a larger one is not a report).
    static let reportLimit = 4 * 1024
    /// The body so far, kept only by `report: json` checks.
    var body: [UInt8] = []

    /// WebSocket checks: the key line inside the handle's header list and the answer the key calls for.
    var webSocket: WebSocketHandshake?

    /// True while the handle is in the multi handle.
    var isRunning: Bool { completion != nil }

    /// A handle configured for `check`, or the failure every probe of it reports when the check cannot run
    /// at all (a URL libcurl rejects, a `tcp` check without a port, no memory for a handle).
    static func make(for check: HealthCheck, signer: ProbeSigner? = nil) -> Result<Probe, ProbeFailure> {
        let reuse: Bool
        switch check.kind {
        case .http, .tcp: reuse = true
        case .websocket, .none: reuse = false
        }
        guard let handle = CurlEasyHandle(ownConnectionCache: reuse) else {
            return .failure(ProbeFailure(reason: .protocol, detail: "libcurl could not create a handle"))
        }
        if check.sign, signer == nil {
            return .failure(ProbeFailure(reason: .protocol, detail: "sign: true needs a signing key"))
        }
        let probe = Probe(check: check, handle: handle, signer: check.sign ? signer : nil)
        if let failure = probe.configure() { return .failure(failure) }
        return .success(probe)
    }

    private init(check: HealthCheck, handle: CurlEasyHandle, signer: ProbeSigner?) {
        self.check = check
        self.handle = handle
        self.signer = signer
    }

    /// Readies the handle for one more probe that reports to `completion`.
    /// Returns false when a signed check's new headers could not be set (the probe must not run).
    func begin(at now: ContinuousClock.Instant, completion: @escaping @Sendable (ProbeResult?) -> Void) -> Bool {
        started = now
        self.completion = completion
        upgrade = UpgradeResponse()
        bodyBytes = 0
        body.removeAll(keepingCapacity: true)
        handle.clearError()
        if signer != nil { return renewSignedHeaders() }
        webSocket?.renewKey()
        return true
    }

    /// Hands back the completion of the run that just ended (or was abandoned); the probe is idle after.
    func end() -> (@Sendable (ProbeResult?) -> Void)? {
        defer { completion = nil }
        return completion
    }

    /// Sets every option of the check once. Returns a failure when the check cannot run at all.
    private func configure() -> ProbeFailure? {
        let timeout = max(1, Int(check.timing.timeout.wholeMilliseconds))
        let context = Unmanaged.passUnretained(self).toOpaque()
        var codes: [CURLcode] = [
            handle.set(CURLOPT_TIMEOUT_MS, timeout),
            handle.set(CURLOPT_CONNECTTIMEOUT_MS, timeout),
            handle.set(CURLOPT_PROTOCOLS_STR, "http,https"),
            handle.set(CURLOPT_USERAGENT, "switchboard-health"),
            // Probes go straight to the backend, whatever http_proxy/HTTPS_PROXY say.
            handle.set(CURLOPT_PROXY, ""),
            handle.set(CURLOPT_WRITEDATA, pointer: context),
            handle.set(CURLOPT_WRITEFUNCTION, callback: countBody),
        ]
        // A transfer that times out while its name is still being looked up must not wait for the lookup thread
        // (libcurl's threaded resolver joins it by default): that would stall every probe on this thread for the
        // resolver's whole timeout (docs/health.md#name-resolution). libcurl < 7.87 ignores the option.
        _ = handle.set(CURLOPT_QUICK_EXIT, 1)
        if !check.tlsVerify {
            codes.append(handle.set(CURLOPT_SSL_VERIFYPEER, 0))
            codes.append(handle.set(CURLOPT_SSL_VERIFYHOST, 0))
        }
        if let caFile = check.caFile {
            codes.append(handle.set(CURLOPT_CAINFO, caFile))
        }
        switch check.kind {
        case .websocket:
            codes += configureWebSocket()
        case .http(_, let headers):
            codes += configureHTTP(headers: headers)
        case .tcp:
            guard let url = ProbeURL.tcp(from: check.url) else {
                return ProbeFailure(reason: .protocol, detail: "no host and port in '\(check.url)'")
            }
            codes += [
                handle.set(CURLOPT_URL, url),
                handle.set(CURLOPT_CONNECT_ONLY, 1),
                handle.set(CURLOPT_FORBID_REUSE, 1),
            ]
        case .none:
            return ProbeFailure(reason: .protocol, detail: "a 'none' check is never run by libcurl")
        }
        if let failed = codes.first(where: { $0 != CURLE_OK }) {
            return ProbeFailure(
                reason: ProbeFailureReason(curlCode: failed),
                detail: "cannot configure probe: " + handle.errorMessage(for: failed))
        }
        return nil
    }

    /// The probe's result, once libcurl has finished the transfer with `code`.
    func finish(_ code: CURLcode, at end: ContinuousClock.Instant) -> ProbeResult {
        let latency = started.duration(to: end)
        switch check.kind {
        case .websocket:
            return finishWebSocket(code, latency: latency)
        case .http(let expect, _):
            return finishHTTP(code, expect: expect, latency: latency)
        case .tcp, .none:
            if code == CURLE_OK { return .success(latency: latency) }
            return failure(code, latency: latency)
        }
    }

    /// A failure carrying curl's reason and message.
    func failure(_ code: CURLcode, latency: Duration) -> ProbeResult {
        let message = handle.errorMessage(for: code)
        return .failure(ProbeFailureReason(curlCode: code), String(message.prefix(200)), latency: latency)
    }
}

/// Why a check cannot run at all; every probe of it reports this.
struct ProbeFailure: Error {
    var reason: ProbeFailureReason
    var detail: String

    var result: ProbeResult { .failure(reason, detail, latency: .zero) }
}

/// Counts and drops a response body (the default would write it to stdout); a short count past
/// `Probe.bodyLimit` ends the transfer.
private let countBody: curl_write_callback = { bytes, size, count, context in
    let length = size &* count
    guard let context else { return length }
    let probe = Unmanaged<Probe>.fromOpaque(context).takeUnretainedValue()
    if probe.check.readsReport, let bytes = UnsafeRawPointer(bytes), probe.body.count + length <= Probe.reportLimit {
        probe.body.append(contentsOf: UnsafeRawBufferPointer(start: bytes, count: length))
    }
    probe.bodyBytes &+= length
    return probe.bodyBytes > Probe.bodyLimit ? 0 : length
}
