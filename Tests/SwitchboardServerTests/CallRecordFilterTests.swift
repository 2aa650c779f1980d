import Foundation
import SwitchboardServer
import Testing

/// The times `switchboard calls` and `GET /admin/calls` read.
struct CallRecordFilterTests {
    @Test func readsInstantsAndDates() throws {
        let instant = try #require(CallRecordFilter.time("2026-12-06T14:02:00Z"))
        #expect(instant.timeIntervalSince1970 == 1_796_565_720)
        let fractional = try #require(CallRecordFilter.time("2026-12-06T14:02:00.250Z"))
        #expect(fractional.timeIntervalSince(instant) == 0.25)
        let offset = try #require(CallRecordFilter.time("2026-12-06T15:02:00+01:00"))
        #expect(offset == instant)
        // A date is midnight UTC.
        let date = try #require(CallRecordFilter.time("2026-12-06"))
        #expect(instant.timeIntervalSince(date) == 14 * 3600 + 2 * 60)
        for wrong in ["yesterday", "2026-13-01", "14:02", ""] {
            #expect(CallRecordFilter.time(wrong) == nil, "\(wrong)")
        }
    }

    @Test func sinceTakesADurationBackFromNowOrATime() throws {
        let now = try #require(CallRecordFilter.time("2026-12-06T14:00:00Z"))
        #expect(CallRecordFilter.since("2h", now: now) == now.addingTimeInterval(-7200))
        #expect(CallRecordFilter.since("30m", now: now) == now.addingTimeInterval(-1800))
        #expect(CallRecordFilter.since("7d", now: now) == now.addingTimeInterval(-7 * 86_400))
        #expect(CallRecordFilter.since("2026-12-05", now: now) == CallRecordFilter.time("2026-12-05"))
        #expect(CallRecordFilter.since("two hours", now: now) == nil)
    }
}
