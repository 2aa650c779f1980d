import Foundation
import Logging
import SwitchboardCore
import Synchronization

/// One routing decision as `/status` shows it: phone numbers masked.
public struct DecisionRecord: Sendable, Hashable {
    public var at: Date
    public var requestID: String
    public var callID: String?
    public var caller: String
    public var number: String
    public var route: String?
    public var backend: String?
    public var outcome: String
}

/// Writes the decision log line and keeps the last decisions for `/status`.
///
/// Exactly one `info` line per decision carries both the request ID and the call ID; phone numbers are masked.
public final class DecisionLog: Sendable {
    public let capacity: Int
    private let logger: Logger
    /// The logger's handler when it writes lines itself with nothing to merge in: the line goes to it directly.
    private let lines: LogLineHandler?
    /// The last decisions (a ring: `next` is the oldest once it is full), and the decisions since start by matched
    /// route, where the nil key counts decisions where no route matched. One lock for both, taken once per decision.
    private let history = Mutex<(records: [DecisionRecord], next: Int, counts: [String?: Int])>(([], 0, [:]))

    public init(logger: Logger, capacity: Int = 50) {
        self.logger = logger
        self.lines = (logger.handler as? LogLineHandler).flatMap { $0.writesFieldsDirectly ? $0 : nil }
        self.capacity = capacity
    }

    func record(requestID: String, call: IncomingCall, decision: RouteDecision, duration: Duration) {
        let loggedRequestID = LogSafe.requestID(requestID)
        let loggedCallID = LogSafe.requestID(call.id)
        // Raw values are kept (no copies, no formatting) and masked when `/status` reads them.
        let record = DecisionRecord(
            at: Date(), requestID: loggedRequestID, callID: call.id == nil ? nil : loggedCallID,
            caller: call.caller ?? "", number: call.number ?? "",
            route: decision.route, backend: decision.backend, outcome: decision.answer.outcome
        )
        if logger.logLevel <= .info { log(record, call: call, decision: decision, duration: duration) }
        history.withLock { history in
            if history.records.count < capacity {
                history.records.append(record)
            } else {
                history.records[history.next] = record
            }
            history.next = (history.next + 1) % capacity
            history.counts[decision.route, default: 0] += 1
        }
    }

    /// The decision line; its fields are formatted only when `info` lines are written. Straight into the line when
    /// the handler allows (no metadata dictionary, no sorting: the keys are added in order), else through `Logger`.
    private func log(_ record: DecisionRecord, call: IncomingCall, decision: RouteDecision, duration: Duration) {
        if let lines {
            lines.write(level: .info, message: "decision") { fields in
                Self.add(record, call: call, decision: decision, duration: duration, to: &fields)
            }
        } else {
            var metadata: Logger.Metadata = [:]
            Self.add(record, call: call, decision: decision, duration: duration, to: &metadata)
            logger.info("decision", metadata: metadata)
        }
    }

    /// The decision line's fields, in key order. Backends passed over although up are `full=a,b draining=c`
    /// (absent in the common case).
    private static func add(
        _ record: DecisionRecord, call: IncomingCall, decision: RouteDecision, duration: Duration,
        to fields: inout some LineFields
    ) {
        fields.add("backend", decision.backend ?? "-")
        fields.add("call_id", record.callID ?? "-")
        fields.add("caller", PhoneMask.mask(call.caller))
        if !decision.skipped.isEmpty {
            let keys: [(Availability, StaticString)] = [(.draining, "draining"), (.full, "full")]
            for (reason, key) in keys {
                let names = decision.skipped.filter { $0.reason == reason }.map(\.backend)
                if !names.isEmpty { fields.add(key, names.joined(separator: ",")) }
            }
        }
        fields.add("number", PhoneMask.mask(call.number))
        fields.add("outcome", decision.answer.outcome)
        fields.add("request_id", record.requestID)
        fields.add("route", decision.route ?? "-")
        fields.add("us", String(duration.wholeMicroseconds))
    }

    /// Decisions since start by matched route name (routes keep their count across reloads by name); the nil key
    /// counts decisions where no route matched.
    public var decisionsByRoute: [String?: Int] { history.withLock { $0.counts } }

    /// The last decisions, oldest first, phone numbers masked.
    public var last: [DecisionRecord] {
        let records = history.withLock { history in
            guard history.records.count == capacity else { return history.records }
            return Array(history.records[history.next...] + history.records[..<history.next])
        }
        return records.map { record in
            var masked = record
            masked.caller = PhoneMask.mask(record.caller)
            masked.number = PhoneMask.mask(record.number)
            return masked
        }
    }
}
