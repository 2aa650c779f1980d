import Testing

@testable import SwitchboardCore

struct PhoneGeographyTests {
    /// One number and what both lookups should say about it.
    struct Case: Sendable, CustomTestStringConvertible {
        var number: String
        var callingCode: String?
        var country: String?
        var what: String

        init(_ number: String, _ callingCode: String?, _ country: String?, _ what: String) {
            self.number = number
            self.callingCode = callingCode
            self.country = country
            self.what = what
        }

        var testDescription: String { "\(what): \"\(number)\"" }
    }

    @Test(
        "calling code and country of a number",
        arguments: [
            // NANP: the country comes from the area code.
            Case("+14155550100", "1", "US", "US, San Francisco"),
            Case("+14165550100", "1", "CA", "Canada, Toronto"),
            Case("+16045550100", "1", "CA", "Canada, Vancouver"),
            Case("+18675550100", "1", "CA", "Canada, territories"),
            Case("+16005550100", "1", "CA", "Canada, non-geographic 600"),
            Case("+17875550100", "1", "PR", "Puerto Rico"),
            Case("+13405550100", "1", "VI", "US Virgin Islands"),
            Case("+16715550100", "1", "GU", "Guam"),
            Case("+18765550100", "1", "JM", "Jamaica"),
            Case("+16585550100", "1", "JM", "Jamaica overlay"),
            Case("+18295550100", "1", "DO", "Dominican Republic"),
            Case("+12425550100", "1", "BS", "Bahamas"),
            Case("+18005550100", "1", nil, "toll-free 800"),
            Case("+18335550100", "1", nil, "toll-free 833"),
            Case("+19005550100", "1", nil, "premium 900"),
            Case("+15005550100", "1", nil, "personal communications 500"),
            Case("+13575550100", "1", "US", "overlay newer than libphonenumber's data"),
            Case("+19995550100", "1", nil, "unassigned area code"),
            Case("+11235550100", "1", nil, "area code starting with 1"),
            Case("+1415555010", "1", nil, "NANP number one digit short"),
            Case("+141555501000", "1", nil, "NANP number one digit long"),
            // Elsewhere: the primary region, unless a prefix names another.
            Case("+442071234567", "44", "GB", "UK, London"),
            Case("+447911123456", "44", "GG", "UK code, Guernsey mobile range 7911 1"),
            Case("+441534456789", "44", "JE", "Jersey"),
            Case("+441624756789", "44", "IM", "Isle of Man"),
            Case("+4930123456", "49", "DE", "Germany"),
            Case("+35312345678", "353", "IE", "Ireland"),
            Case("+358912345678", "358", "FI", "Finland, Helsinki"),
            Case("+358181234567", "358", "AX", "Aland"),
            Case("+74951234567", "7", "RU", "Russia, Moscow"),
            Case("+79161234567", "7", "RU", "Russia, mobile"),
            Case("+77172123456", "7", "KZ", "Kazakhstan, Astana"),
            Case("+77011234567", "7", "KZ", "Kazakhstan, mobile"),
            Case("+5997123456", "599", "BQ", "Bonaire"),
            Case("+5999123456", "599", "CW", "Curacao"),
            Case("+38344123456", "383", "XK", "Kosovo"),
            // Non-geographic codes: a calling code, no country.
            Case("+80012345678", "800", nil, "international freephone"),
            Case("+882123456789", "882", nil, "international networks"),
            Case("+8816123456789", "881", nil, "satellite"),
            Case("+99912345678", nil, nil, "unassigned code"),
            // Not E.164.
            Case("4155550100", nil, nil, "no plus"),
            Case("", nil, nil, "empty"),
            Case("+", nil, nil, "plus alone"),
            Case("+abc", nil, nil, "letters"),
            Case("+1 415 555 0100", nil, nil, "spaces"),
            Case("++14155550100", nil, nil, "two pluses"),
            Case("+14155550100 ", nil, nil, "trailing space"),
            Case("+4479111234５", nil, nil, "fullwidth digit"),
            Case("+1234567890123456", nil, nil, "16 digits"),
            // Too short to be a number.
            Case("+4", nil, nil, "one digit"),
            Case("+44", nil, nil, "calling code alone"),
            Case("+4479", nil, nil, "four digits"),
            Case("+14155", nil, nil, "five digits"),
        ]
    )
    func lookup(_ test: Case) {
        let geography = PhoneGeography.shared
        #expect(geography.callingCode(of: test.number) == test.callingCode)
        #expect(geography.country(of: test.number) == test.country)
    }

    @Test("the bundled tables load")
    func bundledTables() {
        #expect(PhoneGeography.shared.callingCodeCount > 200)
        #expect(PhoneGeography.shared.areaCodeCount > 450)
    }

    @Test(
        "every Canadian area code is Canada",
        arguments: [
            204, 226, 236, 249, 250, 257, 263, 273, 289, 306, 343, 354, 365, 367, 368, 382, 403, 416, 418, 428, 431,
            437, 438, 450, 468, 474, 506, 514, 519, 548, 579, 581, 584, 587, 600, 604, 613, 622, 633, 639, 647, 672,
            683, 705, 709, 742, 753, 778, 780, 782, 807, 819, 825, 867, 873, 879, 902, 905, 942,
        ]
    )
    func canadianAreaCode(_ areaCode: Int) {
        #expect(PhoneGeography.shared.country(of: "+1\(areaCode)5550100") == "CA")
    }

    @Test("tables given as text, with CRLF line ends and comments")
    func tablesFromText() throws {
        let geography = try PhoneGeography(
            callingCodes: "# test\r\n1\tUS,CA\r\n\r\n358\tFI,AX\t18=AX\r\n800\t001\r\n",
            nanpAreaCodes: "416\tCA\n800\t001\n")
        #expect(geography.country(of: "+14165550100") == "CA")
        #expect(geography.country(of: "+12125550100") == nil)
        #expect(geography.callingCode(of: "+12125550100") == "1")
        #expect(geography.country(of: "+18005550100") == nil)
        #expect(geography.country(of: "+358181234567") == "AX")
        #expect(geography.country(of: "+358912345678") == "FI")
        #expect(geography.callingCode(of: "+80012345678") == "800")
        #expect(geography.country(of: "+80012345678") == nil)
        #expect(geography.callingCode(of: "+447911123456") == nil)
    }

    @Test(
        "a malformed table is rejected with its file and line",
        arguments: [
            ("# x\n44\tGB\n44\tGB\n", "", "calling_codes.tsv:3: calling code 44 is listed twice"),
            ("4\tGB\n44\tGB\n", "", "calling_codes.tsv:2: calling code 44 starts with another listed code, 4"),
            ("44\tgb\n", "", "calling_codes.tsv:1: region \"gb\" is not an ISO 3166-1 alpha-2 code"),
            ("44 GB\n", "", "calling_codes.tsv:1: expected 2 or 3 tab-separated fields, found 1"),
            ("44\tGB\t1=JE\n", "", "JE is not one of the code's secondary regions"),
            ("044\tGB\n", "", "without a leading zero"),
            ("44\tGB,JE\t1234567=JE\n", "", "1 to 6 digit prefix"),
            ("1\tUS\n", "123\tUS\n", "nanp_area_codes.tsv:1: area code \"123\" is not three digits"),
            ("1\tUS\n", "212\tUS,CA\n", "nanp_area_codes.tsv:1: an area code has one region"),
            ("1\tUS\n", "212\tUS\n212\tUS\n", "nanp_area_codes.tsv:2: area code 212 is listed twice"),
        ]
    )
    func malformedTable(callingCodes: String, nanpAreaCodes: String, message: String) {
        let error = #expect(throws: PhoneGeography.LoadError.self) {
            try PhoneGeography(callingCodes: callingCodes, nanpAreaCodes: nanpAreaCodes)
        }
        #expect(error?.description.contains(message) == true, "\(String(describing: error))")
    }
}
