import CSV
import Foundation
import SafeGridCore
import XMLCoder
import ZIPFoundation

/// Writes CSV for Excel on a Chinese Windows desktop, with `yaslab/CSV.swift`'s writer:
/// UTF-8 with a byte order mark (without it Excel reads the bytes as GBK and garbles Chinese),
/// CRLF line ends, RFC 4180 quoting (fields with `,`, `"`, CR or LF are quoted), a final CRLF.
public enum CSVTableWriter {
    /// - Parameters:
    ///   - neutraliseFormulas: prefix risky text with `'` (``FormulaGuard``); on by default.
    /// - Returns: the file's bytes. Numbers in their shortest form (`13800000000`, `0.5`),
    ///   dates as `YYYY-MM-DD` (`YYYY-MM-DD hh:mm` with a time), booleans `TRUE`/`FALSE`.
    /// - Throws: only if the in-memory stream fails (``LedgerFileError`` `.tooLarge`).
    public static func write(_ sheet: LedgerSheet, neutraliseFormulas: Bool = true) throws(LedgerFileError) -> Data {
        let stream = OutputStream(toMemory: ())
        stream.open()
        let bom: [UInt8] = [0xEF, 0xBB, 0xBF]
        _ = stream.write(bom, maxLength: 3)
        do {
            let writer = try CSVWriter(stream: stream, delimiter: ",", newline: .crlf)
            try writer.write(row: sheet.header.map { neutraliseFormulas ? FormulaGuard.neutralise($0) : $0 })
            for row in sheet.rows {
                try writer.write(row: row.map { value in
                    switch value {
                    case .text(let s): neutraliseFormulas ? FormulaGuard.neutralise(s) : s
                    default: value.displayText(system: .from1900)
                    }
                })
            }
            // The final line break, while the writer (which closes the stream when it goes) is alive.
            withExtendedLifetime(writer) {
                let crlf: [UInt8] = [13, 10]
                _ = stream.write(crlf, maxLength: 2)
            }
        } catch {
            throw LedgerFileError(.tooLarge, reason: "the CSV could not be written: \(error)")
        }
        return stream.property(forKey: .dataWrittenToMemoryStreamKey) as? Data ?? Data()
    }
}
