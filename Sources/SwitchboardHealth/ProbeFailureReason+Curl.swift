import CCurl
import SwitchboardCore

extension ProbeFailureReason {
    /// The reason a failed libcurl transfer reports to operators.
    ///
    /// Connection refused and connections reset or closed before an answer are `refused`; curl's own
    /// timeout is `timeout`; resolver failures are `dns`; every TLS failure, certificate verification
    /// included, is `tls`. Everything else (HTTP/0.9 garbage, a weird server reply, an internal error)
    /// is `protocol`.
    init(curlCode code: CURLcode) {
        switch code {
        case CURLE_COULDNT_CONNECT, CURLE_RECV_ERROR, CURLE_SEND_ERROR, CURLE_GOT_NOTHING:
            self = .refused
        case CURLE_OPERATION_TIMEDOUT:
            self = .timeout
        case CURLE_COULDNT_RESOLVE_HOST, CURLE_COULDNT_RESOLVE_PROXY:
            self = .dns
        case CURLE_SSL_CONNECT_ERROR, CURLE_PEER_FAILED_VERIFICATION, CURLE_SSL_CERTPROBLEM, CURLE_SSL_CIPHER,
            CURLE_SSL_CACERT_BADFILE, CURLE_SSL_ENGINE_NOTFOUND, CURLE_SSL_ENGINE_SETFAILED,
            CURLE_SSL_ENGINE_INITFAILED, CURLE_SSL_SHUTDOWN_FAILED, CURLE_SSL_CRL_BADFILE, CURLE_SSL_ISSUER_ERROR,
            CURLE_SSL_PINNEDPUBKEYNOTMATCH, CURLE_SSL_INVALIDCERTSTATUS, CURLE_SSL_CLIENTCERT, CURLE_USE_SSL_FAILED:
            self = .tls
        default:
            self = .protocol
        }
    }
}
