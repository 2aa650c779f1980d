import CCurl

/// One libcurl easy handle, owned: `curl_easy_cleanup` runs in `deinit`.
///
/// A handle is touched by one thread at a time (the probe engine's), and no raw pointer leaves
/// SwitchboardHealth. Handles are reset and reused between probes, which keeps allocation off the
/// per-probe path; live connections belong to the multi handle's cache, not to the easy handle.
final class CurlEasyHandle {
    /// The `CURL *`, for `curl_multi_add_handle` and friends.
    let raw: UnsafeMutableRawPointer
    /// curl writes its detailed message for a failed transfer here (`CURLOPT_ERRORBUFFER`).
    private let errorBuffer: UnsafeMutablePointer<CChar>
    private let errorBufferSize = Int(CURL_ERROR_SIZE)
    /// Request headers; must outlive the transfer that uses them.
    private var headerList: UnsafeMutablePointer<curl_slist>?

    /// A fresh handle, or nil when libcurl cannot allocate one.
    init?() {
        guard CurlGlobal.initialized, let raw = curl_easy_init() else { return nil }
        self.raw = raw
        self.errorBuffer = .allocate(capacity: errorBufferSize)
        self.errorBuffer.initialize(repeating: 0, count: errorBufferSize)
        self.applyDefaults()
    }

    deinit {
        curl_easy_cleanup(raw)
        curl_slist_free_all(headerList)
        errorBuffer.deallocate()
    }

    /// Back to libcurl's defaults plus ours (`CURLOPT_NOSIGNAL`, the error buffer), ready for the next probe.
    func reset() {
        curl_easy_reset(raw)
        curl_slist_free_all(headerList)
        headerList = nil
        applyDefaults()
    }

    private func applyDefaults() {
        errorBuffer[0] = 0
        _ = ccurl_easy_setopt_pointer(raw, CURLOPT_ERRORBUFFER, errorBuffer)
        // Never let libcurl raise SIGALRM/SIGPIPE in a multi-threaded process.
        _ = ccurl_easy_setopt_long(raw, CURLOPT_NOSIGNAL, 1)
    }

    // MARK: Options

    /// Sets a `long` option.
    @discardableResult
    func set(_ option: CURLoption, _ value: Int) -> CURLcode {
        ccurl_easy_setopt_long(raw, option, value)
    }

    /// Sets a string option; libcurl copies the string.
    @discardableResult
    func set(_ option: CURLoption, _ value: String) -> CURLcode {
        ccurl_easy_setopt_string(raw, option, value)
    }

    /// Sets a pointer option (callback user data).
    @discardableResult
    func set(_ option: CURLoption, pointer: UnsafeMutableRawPointer?) -> CURLcode {
        ccurl_easy_setopt_pointer(raw, option, pointer)
    }

    /// Sets a `curl_write_callback`-shaped option (`CURLOPT_WRITEFUNCTION`, `CURLOPT_HEADERFUNCTION`).
    @discardableResult
    func set(_ option: CURLoption, callback: curl_write_callback) -> CURLcode {
        ccurl_easy_setopt_write_callback(raw, option, callback)
    }

    /// Replaces the request headers (`Name: value` lines) for the next transfer.
    @discardableResult
    func setHeaders(_ lines: [String]) -> CURLcode {
        var list: UnsafeMutablePointer<curl_slist>?
        for line in lines {
            guard let extended = curl_slist_append(list, line) else {
                curl_slist_free_all(list)
                return CURLE_OUT_OF_MEMORY
            }
            list = extended
        }
        let code = ccurl_easy_setopt_slist(raw, CURLOPT_HTTPHEADER, list)
        curl_slist_free_all(headerList)
        headerList = list
        return code
    }

    // MARK: Results

    /// The last HTTP status received, or nil when there was none.
    var responseCode: Int? {
        var code = 0
        guard ccurl_easy_getinfo_long(raw, CURLINFO_RESPONSE_CODE, &code) == CURLE_OK, code > 0 else { return nil }
        return code
    }

    /// curl's message for the last failure: the error buffer if it has one, else the code's generic text.
    func errorMessage(for code: CURLcode) -> String {
        errorBuffer[errorBufferSize - 1] = 0
        let detailed = String(cString: errorBuffer)
        if !detailed.isEmpty { return detailed }
        guard let generic = curl_easy_strerror(code) else { return "curl error \(code.rawValue)" }
        return String(cString: generic)
    }
}

/// libcurl's process-wide initialisation.
enum CurlGlobal {
    /// Runs `curl_global_init` once, the first time any handle is made (a `static let` initialiser runs
    /// exactly once, thread-safely). Calling `curl_global_init` again elsewhere, e.g. in `serve`, is harmless:
    /// libcurl counts the calls.
    static let initialized: Bool = curl_global_init(Int(CURL_GLOBAL_ALL)) == CURLE_OK
}
