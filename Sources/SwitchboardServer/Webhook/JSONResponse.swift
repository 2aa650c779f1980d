import HTTPTypes
import Hummingbird
import NIOCore
import SwitchboardCore

/// Builds the JSON responses of both listeners.
enum JSONResponse {
    static func body(_ status: HTTPResponse.Status, _ json: String) -> Response {
        Response(
            status: status,
            headers: [.contentType: "application/json"],
            body: ResponseBody(byteBuffer: ByteBuffer(string: json))
        )
    }

    /// `{"error": message}`
    static func error(_ status: HTTPResponse.Status, _ message: String) -> Response {
        var json = #"{"error":""#
        JSONString.appendEscaped(message, to: &json)
        json += #""}"#
        return body(status, json)
    }
}
