import Foundation
import SwitchboardInkbox
import SwitchboardTestSupport
import Testing

/// The Inkbox API client against a local fake of the documented endpoints: what is sent, and how answers and
/// errors come back.
@Suite(.timeLimit(.minutes(1)))
struct InkboxClientTests {
    static func api() -> FakeInkboxAPI {
        FakeInkboxAPI(numbers: [
            ("num-1", "+14155550100", "auto_accept", nil, "wss://agent.example/calls"),
            ("num-2", "+14155550101", "webhook", "https://old.example/hook", nil),
        ])
    }

    static func client(_ base: String, key: String = FakeInkboxAPI.apiKey) -> InkboxClient {
        InkboxClient(apiKey: key, base: base, backoff: [.milliseconds(10), .milliseconds(10)])
    }

    @Test func listsNumbersWithTheKeyInItsHeader() async throws {
        let api = Self.api()
        let numbers = try await api.serve { base in try await Self.client(base).numbers() }
        #expect(numbers.map(\.number) == ["+14155550100", "+14155550101"])
        #expect(numbers[0].incomingCallAction == "auto_accept")
        #expect(numbers[0].clientWebsocketURL == "wss://agent.example/calls")
        #expect(numbers[1].isAttached(to: "https://old.example/hook"))
        #expect(api.requests == [.init(method: "GET", path: "/api/v1/phone/numbers", apiKey: FakeInkboxAPI.apiKey, body: "")])
    }

    @Test func attachSendsOnlyTheChangedFields() async throws {
        let api = Self.api()
        let updated = try await api.serve { base in
            try await Self.client(base).update(id: "num-1", .attach(webhookURL: "https://sb.example/webhooks/incoming-call"))
        }
        #expect(updated.isAttached(to: "https://sb.example/webhooks/incoming-call"))
        let request = try #require(api.requests.last)
        #expect(request.method == "PATCH" && request.path == "/api/v1/phone/numbers/num-1")
        let body = try #require(try JSONSerialization.jsonObject(with: Data(request.body.utf8)) as? [String: String])
        #expect(body == ["incoming_call_action": "webhook", "incoming_call_webhook_url": "https://sb.example/webhooks/incoming-call"])
    }

    @Test func detachClearsTheWebhookURLWithAnExplicitNull() async throws {
        let api = Self.api()
        let change = PhoneNumberUpdate(incomingCallAction: "auto_reject", incomingCallWebhookURL: .some(nil))
        let updated = try await api.serve { base in try await Self.client(base).update(id: "num-2", change) }
        #expect(updated.incomingCallAction == "auto_reject" && updated.incomingCallWebhookURL == nil)
        #expect(api.requests.last?.body.contains(#""incoming_call_webhook_url":null"#) == true)
    }

    @Test(arguments: [
        (401, "API key was refused", "INKBOX_API_KEY"),
        (404, "not found", "Phone number not found"),
        (422, "rejected the change", "incoming_call_webhook_url: an https URL is required"),
    ])
    func errorsSayWhatToFix(_ status: Int, _ phrase: String, _ detail: String) async throws {
        let api = Self.api()
        let error = try await api.serve { base -> InkboxError? in
            let client = Self.client(base, key: status == 401 ? "ik_wrong" : FakeInkboxAPI.apiKey)
            do throws(InkboxError) {
                switch status {
                case 404: _ = try await client.update(id: "num-404", .attach(webhookURL: "https://sb.example/x"))
                case 422: _ = try await client.update(id: "num-1", .attach(webhookURL: "http://plain.example/x"))
                default: _ = try await client.numbers()
                }
                return nil
            } catch {
                return error
            }
        }
        let found = try #require(error)
        #expect(found.status == status)
        #expect(found.description.contains(phrase), "\(found)")
        #expect(found.description.contains(detail) || status == 401, "\(found)")
        #expect(!found.description.contains("ik_wrong") && !found.description.contains(FakeInkboxAPI.apiKey))
    }

    @Test func rateLimitsAndServerErrorsAreRetried() async throws {
        let api = Self.api()
        api.failNext([429, 503])
        let numbers = try await api.serve { base in try await Self.client(base).numbers() }
        #expect(numbers.count == 2)
        #expect(api.requests.count == 3)
    }

    @Test func retriesEndWithAClearError() async throws {
        let api = Self.api()
        api.failNext([502, 502, 502])
        let error = try await api.serve { base -> InkboxError? in
            do throws(InkboxError) {
                _ = try await Self.client(base).numbers()
                return nil
            } catch {
                return error
            }
        }
        #expect(error?.status == 502)
        #expect(error?.description.contains("still after retrying") == true)
        #expect(api.requests.count == 3)  // the first try and two retries
    }

    @Test func driftComparesTheTableWithTheAttachedNumbers() {
        let url = "https://sb.example/webhooks/incoming-call"
        let numbers = [
            PhoneNumber(id: "1", number: "+1001", incomingCallAction: "webhook", incomingCallWebhookURL: url),
            PhoneNumber(id: "2", number: "+1002", incomingCallAction: "auto_reject"),
            PhoneNumber(id: "3", number: "+1003", incomingCallAction: "webhook", incomingCallWebhookURL: url),
            PhoneNumber(id: "4", number: "+1004", incomingCallAction: "webhook", incomingCallWebhookURL: "https://other"),
        ]
        let drift = Drift(numbers: numbers, named: ["+1001", "+1002", "+1004", "+1999"], webhookURL: url)
        #expect(drift.notAttached.map(\.number) == ["+1002", "+1004"])
        #expect(drift.unknown == ["+1999"])
        #expect(drift.attachedNotRouted.map(\.number) == ["+1003"])
        #expect(Drift(numbers: numbers, named: ["+1001", "+1003"], webhookURL: url).isEmpty)
    }
}
