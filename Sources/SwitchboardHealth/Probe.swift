import CCurl
import SwitchboardCore

/// One probe in flight: an easy handle configured for its check, and what its callbacks saw.
///
/// Confined to the probe engine's thread. The engine keeps the probe alive while its handle is in the
/// multi handle, which is what makes the unretained callback pointers (`CURLOPT_HEADERDATA`, `CURLOPT_WRITEDATA`) safe.
final class Probe {
    let job: ProbeJob
    let handle: CurlEasyHandle
    let started: ContinuousClock.Instant
    /// The response head of a WebSocket handshake, fed by the header callback.
    var upgrade = UpgradeResponse()
    /// The `Sec-WebSocket-Accept` a correct server answers with (WebSocket checks only).
    var expectedAccept = ""
    /// Body bytes received so far; past `bodyLimit` the probe stops reading (HTTP checks only).
    var bodyBytes = 0
    /// A health answer is judged by its status; a body past this size is not read to the end.
    static let bodyLimit = 64 * 1024

    init(job: ProbeJob, handle: CurlEasyHandle, started: ContinuousClock.Instant) {
        self.job = job
        self.handle = handle
        self.started = started
    }

    /// Configures the handle for the check. Returns a failure when the check cannot run at all
    /// (a URL libcurl rejects, a `tcp` check without a port), nil when the probe is ready to start.
    func configure() -> ProbeResult? {
        let check = job.check
        let timeout = max(1, Int(check.timing.timeout.milliseconds))
        var codes: [CURLcode] = [
            handle.set(CURLOPT_TIMEOUT_MS, timeout),
            handle.set(CURLOPT_CONNECTTIMEOUT_MS, timeout),
            handle.set(CURLOPT_PROTOCOLS_STR, "http,https"),
            handle.set(CURLOPT_USERAGENT, "switchboard-health"),
            // Probes go straight to the backend, whatever http_proxy/HTTPS_PROXY say.
            handle.set(CURLOPT_PROXY, ""),
            handle.set(CURLOPT_WRITEDATA, pointer: Unmanaged.passUnretained(self).toOpaque()),
            handle.set(CURLOPT_WRITEFUNCTION, callback: countBody),
        ]
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
                return .failure(.protocol, "no host and port in '\(check.url)'", latency: .zero)
            }
            codes += [
                handle.set(CURLOPT_URL, url),
                handle.set(CURLOPT_CONNECT_ONLY, 1),
                handle.set(CURLOPT_FORBID_REUSE, 1),
            ]
        case .none:
            return .failure(.protocol, "a 'none' check is never run by libcurl", latency: .zero)
        }
        if let failed = codes.first(where: { $0 != CURLE_OK }) {
            let detail = "cannot configure probe: " + handle.errorMessage(for: failed)
            return .failure(ProbeFailureReason(curlCode: failed), detail, latency: .zero)
        }
        return nil
    }

    /// The probe's result, once libcurl has finished the transfer with `code`.
    func finish(_ code: CURLcode, at end: ContinuousClock.Instant) -> ProbeResult {
        let latency = started.duration(to: end)
        switch job.check.kind {
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

/// Counts and drops a response body (the default would write it to stdout); a short count past
/// `Probe.bodyLimit` ends the transfer.
private let countBody: curl_write_callback = { _, size, count, context in
    let length = size &* count
    guard let context else { return length }
    let probe = Unmanaged<Probe>.fromOpaque(context).takeUnretainedValue()
    probe.bodyBytes &+= length
    return probe.bodyBytes > Probe.bodyLimit ? 0 : length
}

extension Duration {
    /// Whole milliseconds, rounded down.
    var milliseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds &* 1000 &+ attoseconds / 1_000_000_000_000_000
    }
}
