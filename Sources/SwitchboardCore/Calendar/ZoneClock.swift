import Foundation

/// Converts between instants and wall-clock time in one IANA zone.
///
/// Times are whole seconds: an instant counts seconds since 1970-01-01T00:00:00Z, a local time counts seconds
/// since 1970-01-01T00:00 on the zone's wall clock. Across a daylight-saving change, a local time maps to the
/// first instant at which the wall clock reaches it: on a spring-forward day `02:30` (which the clock never shows)
/// is the moment the clock jumps to `03:00`, and on a fall-back day `01:30` is its first showing.
struct ZoneClock: Sendable {
    let zone: TimeZone

    func offset(at instant: Int64) -> Int64 {
        Int64(zone.secondsFromGMT(for: Date(timeIntervalSince1970: TimeInterval(instant))))
    }

    func local(_ instant: Int64) -> Int64 { instant + offset(at: instant) }

    /// The first instant at which the wall clock shows `local` or a later time.
    func instant(local: Int64) -> Int64 {
        // The offsets a day either side: a zone changes its offset at most once in two days.
        let before = local - offset(at: local - 86_400)
        let after = local - offset(at: local + 86_400)
        let valid = [before, after].filter { offset(at: $0) == local - $0 }
        if let first = valid.min() { return first }
        // A time skipped by a spring-forward change: the clock reaches it when it jumps.
        let earlier = Date(timeIntervalSince1970: TimeInterval(min(before, after)))
        guard let jump = zone.nextDaylightSavingTimeTransition(after: earlier) else { return before }
        return Int64(jump.timeIntervalSince1970.rounded(.down))
    }
}

extension Int64 {
    /// Division rounding toward negative infinity (a day number from a second count).
    func floorDivided(by divisor: Int64) -> Int64 {
        let (quotient, remainder) = quotientAndRemainder(dividingBy: divisor)
        return remainder < 0 ? quotient - 1 : quotient
    }
}
