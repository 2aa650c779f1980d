import Foundation

/// Where a phone number belongs: its E.164 country calling code and its ISO 3166-1 alpha-2 region.
///
/// Built once from two tables (`Resources/calling_codes.tsv` and `Resources/nanp_area_codes.tsv`, whose headers
/// name their sources and format) and then only read, so one value is shared by every request. Lookups run on
/// every webhook: they walk the UTF-8 bytes of the number once, keep its digits as one integer and index flat
/// arrays with numeric prefixes of it, so they never split strings, hash or allocate; every string they return is a
/// table entry short enough for Swift to store inline.
public struct PhoneGeography: Sendable {
    /// A table line that could not be used, with where it is.
    public struct LoadError: Error, Sendable, CustomStringConvertible {
        /// The table's file name, e.g. `calling_codes.tsv`.
        public var file: String
        /// 1-based line number; 0 when the problem is not on one line (a missing file).
        public var line: Int
        public var message: String

        public init(file: String, line: Int, message: String) {
            self.file = file
            self.line = line
            self.message = message
        }

        public var description: String { "\(file):\(line): \(message)" }
    }

    /// The region marker of a non-geographic calling code or area code (UN M.49 "World", as CLDR uses it).
    static let nonGeographic = "001"
    /// The most digits an E.164 number has (ITU-T E.164 §6.1).
    static let maximumDigits = 15
    /// The fewest digits accepted: a 2-digit calling code and a 4-digit national number, the shortest in service
    /// (Austria, Germany). Anything shorter is a prefix or a fragment, not a number.
    static let minimumDigits = 6
    /// NANP numbers are always `1` and ten digits: area code, exchange, line.
    static let nanpDigits = 11
    /// The longest override prefix a table may use, so prefixes and powers of ten stay within `UInt64`.
    static let maximumOverrideDigits = 6

    /// One calling code's row.
    struct CallingCode: Sendable {
        /// The code as text, returned by `callingCode(of:)`.
        let code: String
        /// Every region the code serves, primary first; empty for a non-geographic code.
        let regions: [String]
        /// Regions told apart by the leading digits of the national number, longest prefix first.
        let overrides: [Override]
    }

    /// A region for the national numbers that start with `prefix` (`length` digits, leading zeros included).
    struct Override: Sendable {
        let prefix: UInt64
        let length: Int
        let region: String
    }

    /// Calling codes by slot: a 1-digit code `c` at `c`, 2-digit at `10 + c`, 3-digit at `110 + c`.
    private let callingCodes: [CallingCode?]
    /// Region by NANP area code (index 0...999); nil for unknown and non-geographic area codes alike.
    private let areaCodeRegions: [String?]
    /// How many calling codes and area codes the tables listed (for tests and diagnostics).
    let callingCodeCount: Int
    let areaCodeCount: Int

    /// Builds the lookup from the two tables' contents.
    ///
    /// Takes text rather than files so tests and tools can use their own tables; the format is the one described in
    /// the bundled files' headers. Every line is checked, and the first bad one is reported, because a silently
    /// skipped row would misroute calls without any sign of it.
    public init(callingCodes: String, nanpAreaCodes: String) throws {
        var codes = [CallingCode?](repeating: nil, count: 1110)
        var lines = [Int](repeating: 0, count: 1110)
        var codeCount = 0
        for (number, fields) in Self.rows(of: callingCodes) {
            func fail(_ message: String) -> LoadError {
                LoadError(file: "calling_codes.tsv", line: number, message: message)
            }
            guard fields.count == 2 || fields.count == 3 else {
                throw fail("expected 2 or 3 tab-separated fields, found \(fields.count)")
            }
            guard let (value, length) = Self.number(fields[0], maxLength: 3), fields[0].first != "0" else {
                throw fail("calling code \"\(fields[0])\" is not 1 to 3 digits without a leading zero")
            }
            let slot = Self.slot(value, length: length)
            guard codes[slot] == nil else { throw fail("calling code \(fields[0]) is listed twice") }

            let regions = try Self.regions(fields[1], fail: fail)
            var overrides: [Override] = []
            if fields.count == 3 {
                for item in fields[2].split(separator: ",", omittingEmptySubsequences: false) {
                    let parts = item.split(separator: "=", omittingEmptySubsequences: false)
                    guard parts.count == 2,
                        let (prefix, prefixLength) = Self.number(parts[0], maxLength: Self.maximumOverrideDigits)
                    else {
                        throw fail("override \"\(item)\" is not PREFIX=REGION with a 1 to 6 digit prefix")
                    }
                    let region = String(parts[1])
                    guard regions.dropFirst().contains(region) else {
                        throw fail("override \"\(item)\": \(region) is not one of the code's secondary regions")
                    }
                    guard !overrides.contains(where: { $0.prefix == prefix && $0.length == prefixLength }) else {
                        throw fail("override prefix \(parts[0]) is listed twice")
                    }
                    overrides.append(Override(prefix: prefix, length: prefixLength, region: region))
                }
                overrides.sort { $0.length > $1.length }
            }
            codes[slot] = CallingCode(code: String(fields[0]), regions: regions, overrides: overrides)
            lines[slot] = number
            codeCount += 1
        }
        // E.164 codes are prefix-free, which is what lets a lookup take the first code that matches.
        for length in 2...3 {
            for value in 0..<Self.powersOfTen[length] {
                let slot = Self.slot(value, length: length)
                guard let code = codes[slot] else { continue }
                for shorter in 1..<length {
                    let prefix = value / Self.powersOfTen[length - shorter]
                    if codes[Self.slot(prefix, length: shorter)] != nil {
                        throw LoadError(
                            file: "calling_codes.tsv", line: lines[slot],
                            message: "calling code \(code.code) starts with another listed code, \(prefix)")
                    }
                }
            }
        }

        var areas = [String?](repeating: nil, count: 1000)
        var listed = [Bool](repeating: false, count: 1000)
        var areaCount = 0
        for (number, fields) in Self.rows(of: nanpAreaCodes) {
            func fail(_ message: String) -> LoadError {
                LoadError(file: "nanp_area_codes.tsv", line: number, message: message)
            }
            guard fields.count == 2 else { throw fail("expected 2 tab-separated fields, found \(fields.count)") }
            guard let (value, length) = Self.number(fields[0], maxLength: 3), length == 3, value >= 200 else {
                throw fail("area code \"\(fields[0])\" is not three digits starting with 2-9")
            }
            guard !listed[Int(value)] else { throw fail("area code \(fields[0]) is listed twice") }
            let regions = try Self.regions(fields[1], fail: fail)
            guard regions.count <= 1 else { throw fail("an area code has one region, found \(fields[1])") }
            listed[Int(value)] = true
            areas[Int(value)] = regions.first
            areaCount += 1
        }

        self.callingCodes = codes
        self.areaCodeRegions = areas
        self.callingCodeCount = codeCount
        self.areaCodeCount = areaCount
    }

    /// Loads the tables from `bundle`'s `Resources/` folder.
    ///
    /// The target copies `Resources` as a folder, so the files sit in that subdirectory of the bundle.
    public init(bundle: Bundle) throws {
        func contents(_ name: String) throws -> String {
            guard let url = bundle.url(forResource: name, withExtension: "tsv", subdirectory: "Resources") else {
                throw LoadError(file: "\(name).tsv", line: 0, message: "not found in \(bundle.bundlePath)/Resources")
            }
            return try String(contentsOf: url, encoding: .utf8)
        }
        try self.init(callingCodes: contents("calling_codes"), nanpAreaCodes: contents("nanp_area_codes"))
    }

    /// The country calling code of an E.164 number: `"44"` for `+447911123456`.
    ///
    /// nil unless the input is `+` and 6 to 15 ASCII digits with nothing else (no spaces or dashes: webhooks send
    /// E.164 as is) and starts with an assigned code. Non-geographic codes (`800`, `882`, …) are returned too.
    public func callingCode(of e164: String) -> String? {
        guard let digits = Self.digits(of: e164), let (slot, _) = callingCodeSlot(of: digits) else { return nil }
        return callingCodes[slot]?.code
    }

    /// The ISO 3166-1 alpha-2 region of an E.164 number: `"GB"` for `+447911123456`.
    ///
    /// `+1` numbers (exactly ten digits after the `1`) go by their area code, so `+1 416` is `CA` and `+1 787` is
    /// `PR`. Other codes give their primary region unless the national number starts with a prefix that the table
    /// assigns to another region (`+7 7xx` is `KZ`, `+358 18` is `AX`). nil for input `callingCode(of:)` rejects,
    /// for non-geographic codes and area codes (`+800`, `+1 800`) and for area codes the table does not list.
    public func country(of e164: String) -> String? {
        guard let digits = Self.digits(of: e164), let (slot, length) = callingCodeSlot(of: digits),
            let entry = callingCodes[slot]
        else { return nil }
        if slot == 1 {
            guard digits.count == Self.nanpDigits else { return nil }
            return areaCodeRegions[Int(digits.prefix(4) - 1000)]
        }
        let nationalLength = digits.count - length
        for override in entry.overrides where override.length <= nationalLength {
            if digits.prefix(length + override.length) % Self.powersOfTen[override.length] == override.prefix {
                return override.region
            }
        }
        return entry.regions.first
    }

    // MARK: - Lookup helpers

    /// The digits after the `+`, as one integer and a count (15 digits fit easily in 64 bits).
    struct Digits {
        let value: UInt64
        let count: Int

        /// The first `length` digits as an integer; `length` must not exceed `count`.
        func prefix(_ length: Int) -> UInt64 { value / PhoneGeography.powersOfTen[count - length] }
    }

    /// 10⁰ through 10¹⁵.
    static let powersOfTen: [UInt64] = (0...15).map { (0..<$0).reduce(1) { value, _ in value * 10 } }

    /// The digits of `e164` if it is `+` followed by `minimumDigits` to `maximumDigits` ASCII digits.
    static func digits(of e164: String) -> Digits? {
        var value: UInt64 = 0
        var count = 0
        var bytes = e164.utf8.makeIterator()
        guard bytes.next() == UInt8(ascii: "+") else { return nil }
        while let byte = bytes.next() {
            let digit = byte &- UInt8(ascii: "0")
            guard digit < 10, count < maximumDigits else { return nil }
            value = value * 10 + UInt64(digit)
            count += 1
        }
        return count >= minimumDigits ? Digits(value: value, count: count) : nil
    }

    /// The slot and length of the calling code `digits` start with, if any.
    private func callingCodeSlot(of digits: Digits) -> (slot: Int, length: Int)? {
        for length in 1...3 {
            let slot = Self.slot(digits.prefix(length), length: length)
            if callingCodes[slot] != nil { return (slot, length) }
        }
        return nil
    }

    /// Where a code of `length` digits with numeric value `value` lives in `callingCodes`.
    private static func slot(_ value: UInt64, length: Int) -> Int {
        Int(value) + (length == 1 ? 0 : length == 2 ? 10 : 110)
    }

    // MARK: - Table parsing

    /// The data rows of a table: 1-based line number and tab-separated fields, skipping blank and `#` lines.
    ///
    /// Splits bytes, not `Character`s: `"\r\n"` is a single `Character`, so a CRLF file would not split on `"\n"`.
    private static func rows(of text: String) -> [(line: Int, fields: [Substring])] {
        var rows: [(line: Int, fields: [Substring])] = []
        let lines = text.utf8.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
        for (index, rawLine) in lines.enumerated() {
            let line = rawLine.last == UInt8(ascii: "\r") ? rawLine.dropLast() : rawLine
            if line.isEmpty || line.first == UInt8(ascii: "#") { continue }
            let fields = line.split(separator: UInt8(ascii: "\t"), omittingEmptySubsequences: false)
            rows.append((index + 1, fields.map { Substring($0) }))
        }
        return rows
    }

    /// The numeric value and length of a field of 1 to `maxLength` ASCII digits.
    private static func number(_ field: Substring, maxLength: Int) -> (value: UInt64, length: Int)? {
        guard (1...maxLength).contains(field.utf8.count) else { return nil }
        var value: UInt64 = 0
        for byte in field.utf8 {
            let digit = byte &- UInt8(ascii: "0")
            guard digit < 10 else { return nil }
            value = value * 10 + UInt64(digit)
        }
        return (value, field.utf8.count)
    }

    /// A region field: comma-separated ISO alpha-2 codes, or `001` alone (returned as no regions).
    private static func regions(_ field: Substring, fail: (String) -> LoadError) throws -> [String] {
        if field == nonGeographic { return [] }
        var regions: [String] = []
        for region in field.split(separator: ",", omittingEmptySubsequences: false) {
            guard region.utf8.count == 2, region.utf8.allSatisfy({ (UInt8(ascii: "A")...UInt8(ascii: "Z")) ~= $0 })
            else {
                throw fail("region \"\(region)\" is not an ISO 3166-1 alpha-2 code (or \(nonGeographic) alone)")
            }
            guard !regions.contains(String(region)) else { throw fail("region \(region) is listed twice") }
            regions.append(String(region))
        }
        return regions
    }
}

#if SWIFT_PACKAGE
extension PhoneGeography {
    /// The tables shipped with SwitchboardCore, loaded on first use.
    ///
    /// The files are part of the build, so failing to read them is a packaging bug, not a runtime condition to
    /// recover from: it stops the process with the offending file and line rather than routing every call blind.
    public static let shared: PhoneGeography = {
        do {
            return try PhoneGeography(bundle: .module)
        } catch {
            fatalError("SwitchboardCore phone geography tables are unusable: \(error)")
        }
    }()
}
#endif
