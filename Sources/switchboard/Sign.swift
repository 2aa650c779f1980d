import ArgumentParser
import Foundation
import SwitchboardCore
import SwitchboardHealth


/// `switchboard sign`: signs a payload the way Inkbox does; prints the headers or sends the request.
struct Sign: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Sign a webhook payload as Inkbox would; print the headers, or POST it and print the answer."
    )

    @Option(help: "The signing key (a whsec_ prefix is removed). Default: the first key of SWITCHBOARD_SIGNING_KEY.")
    var key: String?

    @Option(help: "The JSON body to sign, sent byte for byte.")
    var payload: String

    @Option(help: "POST the signed payload to this URL and print the answer.")
    var url: String?

    @Option(name: .customLong("ca-file"), help: "PEM CA certificates to trust for an https:// --url (a private CA).")
    var caFile: String?

    @Option(name: .customLong("request-id"), help: "X-Inkbox-Request-ID (default: a new UUID).")
    var requestID: String?

    @Option(help: "X-Inkbox-Timestamp in Unix seconds (default: now).")
    var timestamp: String?

    func run() async throws {
        guard let key = key ?? environmentSigningKeys().first else { throw ValidationError("no key: pass --key or set SWITCHBOARD_SIGNING_KEY") }
        let body: Data
        do {
            body = try Data(contentsOf: URL(fileURLWithPath: payload))
        } catch {
            throw ValidationError("cannot read --payload \(payload): \(error.localizedDescription)")
        }
        let verifier: WebhookVerifier
        do {
            verifier = try WebhookVerifier(keys: [key])
        } catch {
            throw ValidationError("the key is empty")
        }
        let requestID = requestID ?? UUID().uuidString.lowercased()
        let timestamp = timestamp ?? String(Int(Date().timeIntervalSince1970))
        let headers = [
            (WebhookVerifier.requestIDHeader, requestID),
            (WebhookVerifier.timestampHeader, timestamp),
            (WebhookVerifier.signatureHeader, verifier.signature(requestID: requestID, timestamp: timestamp, body: body)),
        ]
        guard let url else {
            for (name, value) in headers { print("\(name): \(value)") }
            return
        }
        guard let target = URL(string: url), let scheme = target.scheme, ["http", "https"].contains(scheme) else {
            throw ValidationError("--url must be an http:// or https:// URL")
        }
        if let caFile, !FileManager.default.isReadableFile(atPath: caFile) {
            throw ValidationError("cannot read --ca-file \(caFile)")
        }
        let answer: HTTPPost.Answer
        do {
            answer = try HTTPPost.send(
                url: url, headers: [("Content-Type", "application/json")] + headers, body: body, caFile: caFile
            )
        } catch {
            printError("cannot send to \(URLRedaction.redact(url)): \(error)")
            throw ExitCode(1)
        }
        print(String(decoding: answer.body, as: UTF8.self))
        if answer.status != 200 {
            printError("HTTP \(answer.status)")
            throw ExitCode(1)
        }
    }
}
