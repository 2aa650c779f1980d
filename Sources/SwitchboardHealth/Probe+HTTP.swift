import CCurl
import SwitchboardCore

extension Probe {
    /// A plain GET to the check URL (`ws`/`wss` mapped to `http`/`https`), without upgrade headers.
    /// The connection stays in the handle's connection cache, so the next probe of the same backend reuses it.
    func configureHTTP(headers: [HealthCheck.Header]) -> [CURLcode] {
        var codes = [
            handle.set(CURLOPT_URL, ProbeURL.http(from: check.url)),
            handle.set(CURLOPT_HTTPGET, 1),
        ]
        if !headers.isEmpty {
            codes.append(handle.setHeaders(headers.map { "\($0.name): \($0.value)" }))
        }
        return codes
    }

    /// Healthy when the transfer completed with a status in `expect` (any 2xx when `expect` is empty).
    /// An endless body is cut off at `bodyLimit` and judged by its status alone.
    func finishHTTP(_ code: CURLcode, expect: [Int], latency: Duration) -> ProbeResult {
        let bodyCut = code == CURLE_WRITE_ERROR && bodyBytes > Self.bodyLimit
        guard code == CURLE_OK || bodyCut else { return failure(code, latency: latency) }
        guard let status = handle.responseCode else {
            return .failure(.protocol, "no HTTP status in the answer", latency: latency)
        }
        let accepted = expect.isEmpty ? (200..<300).contains(status) : expect.contains(status)
        if accepted, check.readsReport {
            guard !bodyCut, bodyBytes <= Self.reportLimit else {
                return .failure(.report, "report larger than \(Self.reportLimit) bytes", latency: latency)
            }
            do {
                return .success(latency: latency, report: try BackendReport(json: body))
            } catch {
                return .failure(.report, error.description, latency: latency)
            }
        }
        if accepted { return .success(latency: latency) }
        let wanted = expect.isEmpty ? "2xx" : expect.map(String.init).joined(separator: ",")
        return .failure(.status, "status \(status), expected \(wanted)", latency: latency)
    }
}
