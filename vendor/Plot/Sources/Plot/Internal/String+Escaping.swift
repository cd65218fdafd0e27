/**
*  Plot
*  Copyright (c) John Sundell 2019
*  MIT license, see LICENSE file for details
*
*  Patched for SafeGrid (PATCHES.md): text escapes every `&`, `<` and `>`; attribute values
*  also escape both quotes.
*/

internal extension String {
    func escaped() -> String {
        escaping(quotes: false)
    }

    func attributeEscaped() -> String {
        escaping(quotes: true)
    }

    private func escaping(quotes: Bool) -> String {
        var out = ""
        out.reserveCapacity(utf8.count)
        for scalar in unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"" where quotes: out += "&quot;"
            case "'" where quotes: out += "&#39;"
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }
}
