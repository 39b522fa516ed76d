import Glibc

/// HTTP dates (RFC 9110 §5.6.7): formatted as IMF-fixdate, parsed in all three legal forms.
public enum HTTPDate {
    private static let dayNames = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
    private static let monthNames = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ]

    /// Formats seconds since the Unix epoch, e.g. `Sun, 06 Nov 1994 08:49:37 GMT`.
    public static func format(secondsSinceEpoch: Int) -> String {
        var seconds = time_t(secondsSinceEpoch)
        var parts = tm()
        gmtime_r(&seconds, &parts)
        let day = Self.dayNames[Int(parts.tm_wday) % 7]
        let month = Self.monthNames[Int(parts.tm_mon) % 12]
        return "\(day), \(two(parts.tm_mday)) \(month) \(parts.tm_year + 1900) "
            + "\(two(parts.tm_hour)):\(two(parts.tm_min)):\(two(parts.tm_sec)) GMT"
    }

    /// Parses an HTTP date into seconds since the Unix epoch, or nil when it is not one.
    ///
    /// Accepts IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`), the obsolete RFC 850 form
    /// (`Sunday, 06-Nov-94 08:49:37 GMT`) and asctime (`Sun Nov  6 08:49:37 1994`), as
    /// RFC 9110 §5.6.7 asks of recipients. The weekday is not cross-checked.
    public static func parse(_ text: String) -> Int? {
        let words = text.split(whereSeparator: { $0 == " " || $0 == "," || $0 == "-" })
        guard words.count == 5 || words.count == 6 else { return nil }
        let day: Substring, month: Substring, year: Substring, clock: Substring
        if words.count == 6 {
            guard words[5] == "GMT" else { return nil }
            (day, month, year, clock) = (words[1], words[2], words[3], words[4])
        } else {
            (month, day, clock, year) = (words[1], words[2], words[3], words[4])
        }
        guard let dayNumber = Int(day),
            let monthIndex = Self.monthNames.firstIndex(of: String(month)),
            var yearNumber = Int(year), year.count == 2 || year.count == 4,
            let seconds = Self.secondsOfDay(clock), (1...31).contains(dayNumber)
        else { return nil }
        if year.count == 2 { yearNumber += yearNumber < 70 ? 2000 : 1900 }
        return Self.daysFromCivil(year: yearNumber, month: monthIndex + 1, day: dayNumber) * 86_400
            + seconds
    }

    private static func secondsOfDay(_ clock: Substring) -> Int? {
        let parts = clock.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 3, parts.allSatisfy({ $0.count == 2 }),
            let hours = Int(parts[0]), let minutes = Int(parts[1]), let seconds = Int(parts[2]),
            hours < 24, minutes < 60, seconds < 61
        else { return nil }
        return hours * 3600 + minutes * 60 + seconds
    }

    /// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
    private static func daysFromCivil(year: Int, month: Int, day: Int) -> Int {
        let shiftedYear = month <= 2 ? year - 1 : year
        let era = (shiftedYear >= 0 ? shiftedYear : shiftedYear - 399) / 400
        let yearOfEra = shiftedYear - era * 400
        let dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    private static func two(_ value: Int32) -> String {
        value < 10 ? "0\(value)" : "\(value)"
    }
}
