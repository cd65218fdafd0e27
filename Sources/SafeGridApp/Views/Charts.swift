import Foundation

/// Charts drawn on the server as inline SVG (no script, no external asset). Text is escaped with
/// ``SVG/escape(_:)``; numbers are formatted with a fixed precision.
enum SVG {
    static func escape(_ s: String) -> String {
        var out = ""
        out.reserveCapacity(s.count)
        for c in s {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(c)
            }
        }
        return out
    }

    static func n(_ x: Double) -> String { String(format: "%.1f", x) }

    /// Horizontal bars with a label and a value text each; `max` scales the bars.
    static func bars(_ rows: [(label: String, value: Double, text: String, colour: String)], max: Double,
                     width: Double = 560, title: String) -> String {
        let rowHeight = 30.0, labelWidth = 150.0, valueWidth = 90.0
        let height = Double(rows.count) * rowHeight + 10
        var s = ##"<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 \##(n(width)) \##(n(height))" role="img" aria-label="\##(escape(title))">"##
        s += "<title>\(escape(title))</title>"
        let span = width - labelWidth - valueWidth
        for (i, r) in rows.enumerated() {
            let y = Double(i) * rowHeight + 5
            let w = max > 0 ? Swift.max(0, r.value / max * span) : 0
            s += ##"<text x="0" y="\##(n(y + 19))" class="label">\##(escape(r.label))</text>"##
            s += ##"<rect x="\##(n(labelWidth))" y="\##(n(y + 4))" width="\##(n(span))" height="20" fill="#eef1f5"/>"##
            s += ##"<rect x="\##(n(labelWidth))" y="\##(n(y + 4))" width="\##(n(w))" height="20" fill="\##(escape(r.colour))"/>"##
            s += ##"<text x="\##(n(width - valueWidth + 8))" y="\##(n(y + 19))" class="value">\##(escape(r.text))</text>"##
        }
        return s + "</svg>"
    }

    /// One stacked bar of shares with a legend below.
    static func stacked(_ parts: [(label: String, value: Int, colour: String)], width: Double = 560, title: String) -> String {
        let total = Double(parts.map(\.value).reduce(0, +))
        let legendRows = (parts.count + 1) / 2
        let height = 40 + Double(legendRows) * 22
        var s = ##"<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 \##(n(width)) \##(n(height))" role="img" aria-label="\##(escape(title))">"##
        s += "<title>\(escape(title))</title>"
        var x = 0.0
        for p in parts where total > 0 && p.value > 0 {
            let w = Double(p.value) / total * width
            s += ##"<rect x="\##(n(x))" y="4" width="\##(n(w))" height="26" fill="\##(escape(p.colour))"><title>\##(escape(p.label)) \##(p.value)</title></rect>"##
            x += w
        }
        for (i, p) in parts.enumerated() {
            let lx = Double(i % 2) * (width / 2), ly = 40 + Double(i / 2) * 22
            s += ##"<rect x="\##(n(lx))" y="\##(n(ly))" width="14" height="14" fill="\##(escape(p.colour))" stroke="#999" stroke-width="0.5"/>"##
            s += ##"<text x="\##(n(lx + 20))" y="\##(n(ly + 12))" class="label">\##(escape(p.label)) \##(p.value)</text>"##
        }
        return s + "</svg>"
    }

    /// Two daily series (found, rectified) as lines over `days` labels.
    static func trend(days: [String], series: [(label: String, values: [Int], colour: String)],
                      width: Double = 560, height: Double = 200, title: String) -> String {
        let left = 40.0, bottom = 24.0, top = 24.0
        // Axis top: the data's maximum rounded up to a multiple of 4, so the 5 ticks are whole numbers.
        let top4 = Swift.max(4, series.flatMap(\.values).max() ?? 0)
        let maxValue = Double((top4 + 3) / 4 * 4)
        let plotW = width - left - 10, plotH = height - top - bottom
        var s = ##"<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 \##(n(width)) \##(n(height))" role="img" aria-label="\##(escape(title))">"##
        s += "<title>\(escape(title))</title>"
        for k in 0...4 {
            let y = top + plotH - Double(k) / 4 * plotH
            s += ##"<line x1="\##(n(left))" x2="\##(n(width - 10))" y1="\##(n(y))" y2="\##(n(y))" stroke="#e3e6ea"/>"##
            s += ##"<text x="\##(n(left - 6))" y="\##(n(y + 4))" class="axis" text-anchor="end">\##(Int(maxValue * Double(k) / 4))</text>"##
        }
        let step = days.count > 1 ? plotW / Double(days.count - 1) : 0
        for (i, d) in days.enumerated() where (i % 7 == 0 && days.count - 1 - i >= 4) || i == days.count - 1 {
            s += ##"<text x="\##(n(left + Double(i) * step))" y="\##(n(height - 6))" class="axis" text-anchor="\##(i == days.count - 1 ? "end" : "middle")">\##(escape(String(d.suffix(5))))</text>"##
        }
        for (j, line) in series.enumerated() {
            let points = line.values.enumerated().map { i, v in
                "\(n(left + Double(i) * step)),\(n(top + plotH - Double(v) / maxValue * plotH))"
            }.joined(separator: " ")
            s += ##"<polyline fill="none" stroke="\##(escape(line.colour))" stroke-width="2" points="\##(points)"/>"##
            s += ##"<rect x="\##(n(left + Double(j) * 150))" y="4" width="12" height="12" fill="\##(escape(line.colour))"/>"##
            s += ##"<text x="\##(n(left + Double(j) * 150 + 18))" y="14" class="label">\##(escape(line.label))</text>"##
        }
        return s + "</svg>"
    }
}
