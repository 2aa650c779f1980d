/// A failed call to the Inkbox API, worded for the operator who has to fix it. Never holds the API key.
public struct InkboxError: Error, Sendable, CustomStringConvertible {
    /// The HTTP status, or nil when no answer came back (connection, TLS, timeout).
    public var status: Int?
    public var description: String

    init(status: Int?, _ description: String) {
        self.status = status
        self.description = description
    }

    /// The error for a non-2xx answer; `detail` is the API's own `detail` text when it sent one.
    static func answer(status: Int, detail: String?, request: String) -> InkboxError {
        let said = detail.map { ": \($0)" } ?? ""
        switch status {
        case 401:
            return InkboxError(status: status, "\(request): the API key was refused (401\(said)); check INKBOX_API_KEY")
        case 403:
            return InkboxError(
                status: status,
                "\(request): the API key may not do this (403\(said)); it needs an organisation-level key that can "
                    + "manage phone numbers"
            )
        case 404:
            return InkboxError(status: status, "\(request): not found (404\(said)); check the number and --api-base")
        case 422:
            return InkboxError(status: status, "\(request): the API rejected the change (422\(said))")
        case 429:
            return InkboxError(status: status, "\(request): rate limited (429\(said)), still after retrying")
        case 500...:
            return InkboxError(status: status, "\(request): the Inkbox API failed (\(status)\(said)), still after retrying")
        default:
            return InkboxError(status: status, "\(request): unexpected answer \(status)\(said)")
        }
    }
}
