import Foundation

/// Removing what a photo says about where and when it was taken, and by which device, before a
/// resident's photo is stored: a report's photos may be shown beyond the staff who verify it,
/// and a phone's EXIF carries the reporter's position to the metre (GPS IFD), the time and the
/// phone's make and serial.
public enum ImageMetadata {
    /// `data` without its metadata, or `nil` when it cannot be walked safely (then the caller
    /// refuses the photo rather than keep one it could not clean).
    ///
    /// - JPEG (ITU-T T.81 B.1.1): every APP1 (EXIF and XMP), APP13 (IPTC/Photoshop) and COM
    ///   segment before the start of scan is dropped. An EXIF orientation other than 1 is kept in
    ///   a new, minimal APP1 holding only IFD0's Orientation (tag 0x0112), so the photo is still
    ///   shown upright. APP0 (JFIF), APP2 (ICC colour profile) and APP14 (Adobe) stay.
    /// - PNG (W3C PNG §11): the `eXIf`, `tEXt`, `zTXt`, `iTXt` and `tIME` chunks are dropped.
    /// - HEIC: `nil` (its metadata lives in item boxes we do not rewrite; the residents' page
    ///   sends JPEG).
    public static func stripped(_ data: [UInt8], format: ImageFormat) -> [UInt8]? {
        switch format {
        case .jpeg: strippedJPEG(data)
        case .png: strippedPNG(data)
        case .heic: nil
        }
    }

    private static func strippedJPEG(_ d: [UInt8]) -> [UInt8]? {
        guard d.count >= 4, d[0] == 0xFF, d[1] == 0xD8 else { return nil }
        let reader = JPEGReader(d)
        var out: [UInt8] = [0xFF, 0xD8]
        if let o = reader.orientation(), o != 1 { out += orientationSegment(o) }
        let walked = reader.walk { marker, start, end in
            if marker != 0xE1 && marker != 0xED && marker != 0xFE { out += d[start..<end] }
            return true
        }
        // The scan and everything after it (entropy-coded data, later scans, EOI) as is.
        guard case .scan(let at) = walked else { return nil }
        return out + d[at...]
    }

    /// `FF E1`, length, `Exif\0\0`, a big-endian TIFF header and IFD0 with one SHORT entry.
    private static func orientationSegment(_ o: Int) -> [UInt8] {
        let tiff: [UInt8] = [0x4D, 0x4D, 0x00, 0x2A, 0x00, 0x00, 0x00, 0x08, // MM, 42, IFD0 at 8
                             0x00, 0x01,                                     // one entry
                             0x01, 0x12, 0x00, 0x03, 0x00, 0x00, 0x00, 0x01, // Orientation, SHORT, count 1
                             0x00, UInt8(o & 0xFF), 0x00, 0x00,              // the value, left-justified
                             0x00, 0x00, 0x00, 0x00]                         // no next IFD
        let body: [UInt8] = [0x45, 0x78, 0x69, 0x66, 0x00, 0x00] + tiff
        let length = body.count + 2
        return [0xFF, 0xE1, UInt8(length >> 8), UInt8(length & 0xFF)] + body
    }

    /// Width and height in pixels as the file declares them: a JPEG's first start-of-frame
    /// (SOF0–SOF15 but DHT `C4`, JPG `C8`, DAC `CC`; ITU-T T.81 B.2.2: precision, lines, samples
    /// per line), a PNG's IHDR (W3C PNG §11.2.2). `nil` when not found before the scan.
    public static func dimensions(_ d: [UInt8], format: ImageFormat) -> (width: Int, height: Int)? {
        switch format {
        case .png:
            guard d.count >= 24, String(decoding: d[12..<16], as: UTF8.self) == "IHDR" else { return nil }
            let w = d[16..<20].reduce(0) { $0 << 8 | Int($1) }, h = d[20..<24].reduce(0) { $0 << 8 | Int($1) }
            return (w, h)
        case .jpeg:
            var size: (width: Int, height: Int)?
            _ = JPEGReader(d).walk { marker, start, end in
                guard (0xC0...0xCF).contains(marker), ![0xC4, 0xC8, 0xCC].contains(marker) else { return true }
                if end - start >= 9 { size = (Int(d[start + 7]) << 8 | Int(d[start + 8]), Int(d[start + 5]) << 8 | Int(d[start + 6])) }
                return false
            }
            return size
        case .heic:
            return nil
        }
    }

    private static let droppedPNGChunks: Set<String> = ["eXIf", "tEXt", "zTXt", "iTXt", "tIME"]

    private static func strippedPNG(_ d: [UInt8]) -> [UInt8]? {
        guard d.count >= 8 else { return nil }
        var out = Array(d[0..<8])
        var i = 8
        while i + 12 <= d.count {
            let length = d[i..<i + 4].reduce(0) { $0 << 8 | Int($1) }
            guard length <= d.count, i + 12 + length <= d.count else { return nil }
            let type = String(decoding: d[i + 4..<i + 8], as: UTF8.self)
            if !droppedPNGChunks.contains(type) { out += d[i..<i + 12 + length] }
            i += 12 + length
            if type == "IEND" { return out }
        }
        return nil
    }
}
