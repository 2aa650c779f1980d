import Foundation
import Hummingbird
import PostgresNIO

extension AdminController {
    /// `GET /admin/calls`: call records from the store, newest first, phone numbers masked (docs/http.md).
    ///
    /// Filters as `switchboard calls` takes them: `number`, `backend`, `route`, `outcome`, `call`, `since`, `from`,
    /// `to`, `limit` (default 50, at most 1,000); an empty parameter is no filter.
    static func calls(_ parameters: [String: String], store: PostgresLedger?) async -> Response {
        guard let store else {
            return JSONResponse.error(
                .notFound, "no call records: they need serve --store, and are off with --no-call-records"
            )
        }
        var filter = CallRecordFilter()
        filter.number = parameters["number"]
        filter.backend = parameters["backend"]
        filter.route = parameters["route"]
        filter.outcome = parameters["outcome"]
        filter.callID = parameters["call"]
        do {
            try filter.setTimes(since: parameters["since"], from: parameters["from"], to: parameters["to"])
        } catch {
            return JSONResponse.error(.badRequest, "\(error.name) must be \(error.expected)")
        }
        if let text = parameters["limit"] {
            guard let limit = Int(text), (1...1_000).contains(limit) else {
                return JSONResponse.error(.badRequest, "limit must be a number from 1 to 1000")
            }
            filter.limit = limit
        }
        let found = filter
        do {
            let records = try await withBudget(.seconds(5)) {
                try await store.client.withConnection { connection in
                    try await CallRecords.search(found, on: connection, logger: store.logger)
                }
            }
            let document = ["calls": records.map { $0.json(fullNumbers: false) }]
            let data = try JSONSerialization.data(withJSONObject: document, options: [.sortedKeys, .withoutEscapingSlashes])
            return JSONResponse.body(.ok, String(decoding: data, as: UTF8.self))
        } catch {
            return JSONResponse.error(.serviceUnavailable, "the store did not answer: \(PostgresLedger.describe(error))")
        }
    }
}
