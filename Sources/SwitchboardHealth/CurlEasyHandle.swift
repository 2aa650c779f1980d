import CCurl

#if canImport(Glibc)
import Glibc
#endif

/// One libcurl easy handle, owned: `curl_easy_cleanup` runs in `deinit`.
///
/// A handle is touched by one thread at a time (the probe engine's), and no raw pointer leaves
/// SwitchboardHealth. A handle is configured once for its check and then re-added to the multi handle for
/// every probe of that check (see ``Probe``).
///
/// Every handle carries its own share object for libcurl's DNS cache and, when asked, its connection cache.
/// libcurl 7.88 walks the *whole* DNS cache at the end of every transfer (`Curl_hostcache_prune`) and the
/// whole connection cache when it removes a handle that kept a connection (`close_connect_only`); with one
/// multi-wide cache holding an entry per backend, every probe cost O(backends). Per-handle caches hold one
/// entry each, so both walks are O(1). The share is destroyed after the easy handle, which closes a cached
/// connection with it.
final class CurlEasyHandle {
    /// The `CURL *`, for `curl_multi_add_handle` and friends.
    let raw: UnsafeMutableRawPointer
    /// The `CURLSH *` holding this handle's DNS cache (and connection cache when `ownConnectionCache`).
    private let share: UnsafeMutableRawPointer?
    /// curl writes its detailed message for a failed transfer here (`CURLOPT_ERRORBUFFER`).
    private let errorBuffer: UnsafeMutablePointer<CChar>
    private let errorBufferSize = Int(CURL_ERROR_SIZE)
    /// Request headers; must outlive every transfer that uses them.
    private(set) var headerList: UnsafeMutablePointer<curl_slist>?

    /// A fresh handle with its own DNS cache, or nil when libcurl cannot allocate one.
    /// - Parameter ownConnectionCache: also give the handle its own connection cache (for checks that keep
    ///   their connection between probes, and `tcp` checks, whose removal libcurl resolves by walking it).
    init?(ownConnectionCache: Bool = false) {
        guard CurlGlobal.initialized, let raw = curl_easy_init() else { return nil }
        self.raw = raw
        self.errorBuffer = .allocate(capacity: errorBufferSize)
        self.errorBuffer.initialize(repeating: 0, count: errorBufferSize)
        var share = curl_share_init()
        if let created = share {
            var shared = ccurl_share_setopt_lock_data(created, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS) == CURLSHE_OK
            if shared, ownConnectionCache {
                shared = ccurl_share_setopt_lock_data(created, CURLSHOPT_SHARE, CURL_LOCK_DATA_CONNECT) == CURLSHE_OK
            }
            if !shared || ccurl_easy_setopt_pointer(raw, CURLOPT_SHARE, created) != CURLE_OK {
                // Still correct without it (the multi handle's caches), only slower with many backends.
                _ = ccurl_easy_setopt_pointer(raw, CURLOPT_SHARE, nil)
                curl_share_cleanup(created)
                share = nil
            }
        }
        self.share = share
        _ = ccurl_easy_setopt_pointer(raw, CURLOPT_ERRORBUFFER, errorBuffer)
        // Never let libcurl raise SIGALRM/SIGPIPE in a multi-threaded process.
        _ = ccurl_easy_setopt_long(raw, CURLOPT_NOSIGNAL, 1)
    }

    deinit {
        curl_easy_cleanup(raw)  // first: the share refuses to go while a handle uses it
        if let share { curl_share_cleanup(share) }
        curl_slist_free_all(headerList)
        errorBuffer.deallocate()
    }

    /// Forgets the message of the previous transfer (libcurl writes one only on failure).
    func clearError() {
        errorBuffer[0] = 0
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
    ///
    /// It first ignores `SIGPIPE` for the whole process. libcurl 7.x closes cached connections through an internal
    /// handle that lacks `CURLOPT_NOSIGNAL`, saving `SIGPIPE`'s disposition and restoring it afterwards; if that
    /// save happened before SwiftNIO set `SIGPIPE` to ignored, the restore would put the default (terminate) back,
    /// and the next write to a closed socket would kill the process. Ignoring it up front makes every save "ignored".
    static let initialized: Bool = {
        signal(SIGPIPE, SIG_IGN)
        return curl_global_init(Int(CURL_GLOBAL_ALL)) == CURLE_OK
    }()
}
