import Foundation

#if canImport(Glibc)
import Glibc
#endif

extension RegexPattern {
    /// The CPU time one match may use (`RegexPattern.timeBudget`), checked without a system call until the match has
    /// run for a while.
    ///
    /// The thread's CPU clock has no fast path in user space: reading it is a system call, which costs more than a
    /// whole short match (2 to 4 µs on the benchmark machine, docs/performance.md). Clocks are read only at every
    /// `interval`-th progress report (an unanchored search reports each position it starts from, so most matches read
    /// none). The first such report reads the monotonic clock, which is read in user space; a thread cannot use more
    /// CPU time than the wall time that passes, so until `unchecked` of wall time has passed since then the budget
    /// cannot be spent. Then the CPU clock is read, and the match is stopped once it has used `timeBudget - unchecked`
    /// of CPU time since: between 9 and 10 ms in all, also when the thread was preempted along the way, give or take
    /// a few reports' work (ICU reports every 10,000 steps of its engine, tens of microseconds).
    struct Budget {
        /// Wall time during which a match is not measured by the CPU clock.
        static let unchecked: Duration = .milliseconds(1)
        /// Progress reports per clock reading.
        static let interval = 8

        private var reports = 0
        /// The monotonic clock at the first reading.
        private var started: Int64?
        /// The thread's CPU time when it was first read, once `unchecked` had passed.
        private var firstReading: Int64?

        /// Whether the match has used its budget; called at each progress report.
        mutating func isSpent() -> Bool {
            reports += 1
            guard reports % Self.interval == 0 else { return false }
            guard let started else {
                started = Self.nanoseconds(CLOCK_MONOTONIC)
                return false
            }
            guard let firstReading else {
                if Self.nanoseconds(CLOCK_MONOTONIC) - started >= Self.nanoseconds(Self.unchecked) {
                    firstReading = Self.nanoseconds(CLOCK_THREAD_CPUTIME_ID)
                }
                return false
            }
            let measured = Self.nanoseconds(RegexPattern.timeBudget - Self.unchecked)
            return Self.nanoseconds(CLOCK_THREAD_CPUTIME_ID) - firstReading >= measured
        }

        private static func nanoseconds(_ duration: Duration) -> Int64 {
            duration.components.seconds * 1_000_000_000 + duration.components.attoseconds / 1_000_000_000
        }

        /// A clock's reading in nanoseconds.
        static func nanoseconds(_ clock: clockid_t) -> Int64 {
            // `struct timespec` is two longs (seconds, nanoseconds) on Linux. It is filled through raw memory because
            // which module declares the struct, and so whether its members are visible here, depends on the build.
            var words: (Int, Int) = (0, 0)
            withUnsafeMutableBytes(of: &words) { raw in
                _ = clock_gettime(clock, raw.baseAddress!.assumingMemoryBound(to: timespec.self))
            }
            return Int64(words.0) * 1_000_000_000 + Int64(words.1)
        }
    }

    /// The literal text, as UTF-8, that every match of a pattern anchored with `^` starts with; empty when there is
    /// none or the pattern is not plain enough to tell. A value that does not start with it cannot match, so it is
    /// turned away without running the regex: routes are tested in order and most of them do not match.
    ///
    /// The prefix is the run of ASCII letters, digits, spaces, unspecial punctuation and escaped punctuation (`\+`)
    /// right after the `^`, without a last character that a quantifier follows (`^ab?` starts with `a`). A pattern
    /// with `|` outside parentheses (`^a|b`) or with `\Q` quoting has none.
    static func anchoredPrefix(_ pattern: String) -> [UInt8] {
        let bytes = Array(pattern.utf8)
        guard bytes.first == UInt8(ascii: "^"), !pattern.contains("\\Q"), !hasTopLevelAlternation(bytes) else {
            return []
        }
        let special = Set("\\^$.|?*+()[]{}".utf8)
        let quantifiers = Set("?*+{".utf8)
        var prefix: [UInt8] = []
        var index = 1
        while index < bytes.count {
            let literal: UInt8
            let width: Int
            if bytes[index] == UInt8(ascii: "\\") {
                // An escaped ASCII punctuation character is itself; `\d`, `\w`, `\x41`, … are classes or codes.
                guard index + 1 < bytes.count, Self.isASCIIPunctuation(bytes[index + 1]) else { break }
                (literal, width) = (bytes[index + 1], 2)
            } else {
                let byte = bytes[index]
                guard byte < 0x80, byte >= 0x20, !special.contains(byte) else { break }
                (literal, width) = (byte, 1)
            }
            if index + width < bytes.count, quantifiers.contains(bytes[index + width]) { break }
            prefix.append(literal)
            index += width
        }
        return prefix
    }

    private static func isASCIIPunctuation(_ byte: UInt8) -> Bool {
        (0x21...0x7E).contains(byte) && !(byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9"))
            && !(byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z"))
            && !(byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z"))
    }

    /// Whether `|` occurs outside every group and character class (escapes skipped; ICU classes can nest).
    private static func hasTopLevelAlternation(_ bytes: [UInt8]) -> Bool {
        var depth = 0
        var classDepth = 0
        var index = 0
        while index < bytes.count {
            switch bytes[index] {
            case UInt8(ascii: "\\"): index += 1
            case UInt8(ascii: "["): classDepth += 1
            case UInt8(ascii: "]") where classDepth > 0: classDepth -= 1
            case UInt8(ascii: "(") where classDepth == 0: depth += 1
            case UInt8(ascii: ")") where classDepth == 0: depth -= 1
            case UInt8(ascii: "|") where classDepth == 0 && depth <= 0: return true
            default: break
            }
            index += 1
        }
        return false
    }
}
