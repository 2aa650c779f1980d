import HTTPTypes
import Hummingbird
import NIOCore
import SwitchboardCore

/// Builds the JSON responses of both listeners.
enum JSONResponse {
    static func body(_ status: HTTPResponse.Status, _ json: String) -> Response {
        body(status, ByteBuffer(string: json))
    }

    static func body(_ status: HTTPResponse.Status, _ json: ByteBuffer) -> Response {
        Response(status: status, headers: [.contentType: "application/json"], body: ResponseBody(byteBuffer: json))
    }

    /// A webhook's answer. A URL that needs no escaping (every URL a template renders, in practice) is written
    /// straight into the body's buffer: one allocation, where building the JSON string first and copying it into a
    /// buffer took two or three.
    static func answer(_ answer: WebhookAnswer) -> Response {
        guard case .answer(let url) = answer, !JSONString.needsEscaping(url) else { return body(.ok, answer.json) }
        var buffer = ByteBufferAllocator().buffer(
            capacity: WebhookAnswer.urlPrefix.utf8CodeUnitCount + url.utf8.count + WebhookAnswer.urlSuffix.utf8CodeUnitCount
        )
        buffer.writeStaticString(WebhookAnswer.urlPrefix)
        buffer.writeString(url)
        buffer.writeStaticString(WebhookAnswer.urlSuffix)
        return body(.ok, buffer)
    }

    /// `{"error": message}`
    static func error(_ status: HTTPResponse.Status, _ message: String) -> Response {
        var json = #"{"error":""#
        JSONString.appendEscaped(message, to: &json)
        json += #""}"#
        return body(status, json)
    }
}
