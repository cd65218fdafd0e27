/// Which Excel number formats show a number as a date (or time).
///
/// Built-in formats (ECMA-376 Part 1 §18.8.30): 14–22 (`m/d/yyyy`, `d-mmm-yy`, …, `h:mm`,
/// `m/d/yyyy h:mm`) and 45–47 (`mm:ss`, `[h]:mm:ss`, `mmss.0`); and the East Asian built-ins
/// that Chinese Excel uses for dates and times, 27–36 and 50–58 (`yyyy"年"m"月"`,
/// `m"月"d"日"`, `yyyy"年"m"月"d"日"`, `h"时"mm"分"`…). A custom format (id ≥ 164, from
/// styles.xml `<numFmt formatCode>`) is a date format when, outside quoted text, `\`-escapes,
/// `_`/`*` spacing and `[…]` colour/locale/condition sections, it uses a date or time code:
/// `y`, `m`, `d`, `h`, `s` or `年`, `月`, `日`, `时`, `分`, `秒` (only the first section, the one
/// for positive numbers, is looked at). `General`, `0.00`, `#,##0`, `@`, `0.00E+00`,
/// `[$¥-804]#,##0.00` are not. Elapsed-time codes (`[h]:mm`) count as time.
public enum NumberFormats {
    /// Built-in ids that are dates or times.
    public static let builtInDateIDs: Set<Int> = Set(14...22).union(27...36).union(45...47).union(50...58)

    /// Whether the format `id` (with its `code` for custom formats) displays a date or time.
    public static func isDate(id: Int, code: String?) -> Bool {
        if builtInDateIDs.contains(id) { return true }
        guard let code else { return false }
        return isDate(code: code)
    }

    /// Whether a format code displays a date or time (see the type's documentation).
    public static func isDate(code: String) -> Bool {
        // Only the first section matters for positive numbers; dates use one section anyway.
        var inQuotes = false
        var inBrackets = false
        var bracket = ""
        var skipNext = false
        for ch in code {
            if skipNext { skipNext = false; continue }
            if inQuotes {
                if ch == "\"" { inQuotes = false }
                continue
            }
            if inBrackets {
                if ch == "]" {
                    inBrackets = false
                    let b = bracket.lowercased()
                    // [h], [hh], [m], [mm], [s], [ss]: elapsed time.
                    if !b.isEmpty, b.allSatisfy({ $0 == "h" || $0 == "m" || $0 == "s" }) { return true }
                    bracket = ""
                } else {
                    bracket.append(ch)
                }
                continue
            }
            switch ch {
            case "\"": inQuotes = true
            case "[": inBrackets = true; bracket = ""
            case "\\", "_", "*": skipNext = true
            case ";": return false
            case "y", "Y", "m", "M", "d", "D", "h", "H", "s", "S":
                return true
            case "年", "月", "日", "时", "分", "秒": return true
            default: continue
            }
        }
        return false
    }
}
