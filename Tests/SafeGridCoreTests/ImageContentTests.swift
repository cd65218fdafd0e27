import Foundation
import Testing
@testable import SafeGridCore

@Suite struct ImageContentTests {
    private let notImage = "the file is not a JPEG, PNG or HEIC image"

    private func reason(_ bytes: [UInt8], maxBytes: Int = ImageContent.maxBytes) -> String? {
        do {
            _ = try ImageContent.inspect(bytes, maxBytes: maxBytes)
            return nil
        } catch {
            return error.reason
        }
    }

    private func be16(_ v: Int) -> [UInt8] { [UInt8(v >> 8 & 0xFF), UInt8(v & 0xFF)] }
    private func le16(_ v: Int) -> [UInt8] { [UInt8(v & 0xFF), UInt8(v >> 8 & 0xFF)] }
    private func be32(_ v: Int) -> [UInt8] { be16(v >> 16) + be16(v) }
    private func le32(_ v: Int) -> [UInt8] { le16(v) + le16(v >> 16) }

    /// A TIFF block: header + IFD0 with the given (tag, type, count, value) entries; SHORT values
    /// are left-justified in the 4-byte value field.
    private func tiff(littleEndian: Bool, entries: [(tag: Int, type: Int, count: Int, value: Int)]) -> [UInt8] {
        let u16 = littleEndian ? le16 : be16
        let u32 = littleEndian ? le32 : be32
        var t: [UInt8] = littleEndian ? [0x49, 0x49] : [0x4D, 0x4D]
        t += u16(42) + u32(8) + u16(entries.count)
        for e in entries {
            t += u16(e.tag) + u16(e.type) + u32(e.count)
            t += e.type == 3 ? u16(e.value) + [0, 0] : u32(e.value)
        }
        return t + u32(0) // no next IFD
    }

    private func segment(_ marker: UInt8, _ payload: [UInt8]) -> [UInt8] {
        [0xFF, marker] + be16(payload.count + 2) + payload
    }

    private let exifHeader: [UInt8] = Array("Exif".utf8) + [0, 0]
    private let jfif: [UInt8] = Array("JFIF".utf8) + [0, 1, 1, 0, 0, 1, 0, 1, 0, 0]
    private let scan: [UInt8] = [0xFF, 0xDA, 0x00, 0x08, 0x01, 0x01, 0x00, 0x00, 0x3F, 0x00, 0x12, 0x34, 0xFF, 0xD9]

    private func jpeg(_ segments: [UInt8]...) -> [UInt8] {
        [0xFF, 0xD8] + segments.flatMap { $0 } + scan
    }

    private func exifJPEG(littleEndian: Bool, orientation: Int) -> [UInt8] {
        let ifd = tiff(littleEndian: littleEndian, entries: [(0x010F, 2, 1, 0), (0x0112, 3, 1, orientation), (0x011A, 5, 1, 100)])
        return jpeg(segment(0xE0, jfif), segment(0xE1, exifHeader + ifd))
    }

    // MARK: - JPEG

    @Test func jpegWithOrientationBothByteOrders() throws {
        for little in [true, false] {
            let info = try ImageContent.inspect(exifJPEG(littleEndian: little, orientation: 6))
            #expect(info.format == .jpeg)
            #expect(info.format.mimeType == "image/jpeg")
            #expect(info.orientation == 6, "\(little ? "II" : "MM")")
            #expect(info.byteCount == exifJPEG(littleEndian: little, orientation: 6).count)
        }
        for value in 1...8 {
            #expect(try ImageContent.inspect(exifJPEG(littleEndian: false, orientation: value)).orientation == value)
        }
    }

    @Test func jpegOrientationOutOfRangeOrWrongType() throws {
        #expect(try ImageContent.inspect(exifJPEG(littleEndian: true, orientation: 0)).orientation == nil)
        #expect(try ImageContent.inspect(exifJPEG(littleEndian: true, orientation: 9)).orientation == nil)
        let long = jpeg(segment(0xE1, exifHeader + tiff(littleEndian: true, entries: [(0x0112, 4, 1, 6)])))
        #expect(try ImageContent.inspect(long).orientation == nil)
    }

    @Test func jpegWithoutExif() throws {
        let info = try ImageContent.inspect(jpeg(segment(0xE0, jfif)))
        #expect(info.format == .jpeg)
        #expect(info.orientation == nil)
        #expect(try ImageContent.inspect([0xFF, 0xD8, 0xFF]).orientation == nil)
        // An XMP APP1 before the Exif APP1 is skipped.
        let xmp = segment(0xE1, Array("http://ns.adobe.com/xap/1.0/".utf8) + [0] + Array("<x:xmpmeta/>".utf8))
        let withXMP = jpeg(xmp, segment(0xE1, exifHeader + tiff(littleEndian: false, entries: [(0x0112, 3, 1, 8)])))
        #expect(try ImageContent.inspect(withXMP).orientation == 8)
        // EXIF after the start of scan is not looked for.
        let late: [UInt8] = [0xFF, 0xD8] + Array(scan.dropLast(2)) + segment(0xE1, exifHeader + tiff(littleEndian: true, entries: [(0x0112, 3, 1, 6)]))
        #expect(try ImageContent.inspect(late).orientation == nil)
    }

    @Test func truncatedAndMaliciousExifNeverCrash() throws {
        let full = exifJPEG(littleEndian: true, orientation: 6)
        // Every prefix of at least 3 bytes is a JPEG; the orientation is there or nil.
        for n in 3..<full.count {
            let info = try ImageContent.inspect(Array(full.prefix(n)))
            #expect(info.format == .jpeg)
            #expect(info.orientation == nil || info.orientation == 6)
        }
        // Segment length running past the end.
        #expect(try ImageContent.inspect([0xFF, 0xD8, 0xFF, 0xE1, 0xFF, 0xFF] + exifHeader + [0x49, 0x49]).orientation == nil)
        // Length below 2.
        #expect(try ImageContent.inspect([0xFF, 0xD8, 0xFF, 0xE1, 0x00, 0x01, 0x00, 0x00]).orientation == nil)
        // IFD offset far outside the segment, and pointing into the header.
        for offset in [0x7FFF_FFF0, 4, 0] {
            let t: [UInt8] = [0x49, 0x49] + le16(42) + le32(offset) + [0, 0]
            #expect(try ImageContent.inspect(jpeg(segment(0xE1, exifHeader + t))).orientation == nil, "\(offset)")
        }
        // Entry count claiming 65535 entries with only one present.
        var t = tiff(littleEndian: false, entries: [(0x010F, 2, 1, 0)])
        t[8] = 0xFF
        t[9] = 0xFF
        #expect(try ImageContent.inspect(jpeg(segment(0xE1, exifHeader + t))).orientation == nil)
        // Bad byte order mark and bad magic number.
        #expect(try ImageContent.inspect(jpeg(segment(0xE1, exifHeader + [0x49, 0x4D] + le16(42) + le32(8)))).orientation == nil)
        #expect(try ImageContent.inspect(jpeg(segment(0xE1, exifHeader + [0x49, 0x49] + le16(43) + le32(8)))).orientation == nil)
        // Long runs of fill bytes and standalone markers terminate.
        #expect(try ImageContent.inspect([0xFF, 0xD8] + [UInt8](repeating: 0xFF, count: 5_000)).orientation == nil)
        #expect(try ImageContent.inspect([0xFF, 0xD8] + Array([[UInt8]](repeating: [0xFF, 0xD0], count: 3_000).joined())).orientation == nil)
        // Random bytes after a JPEG signature.
        var rng = SystemRandomNumberGenerator()
        for _ in 0..<300 {
            let tail = (0..<Int.random(in: 0..<200, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
            let info = try ImageContent.inspect([0xFF, 0xD8, 0xFF, 0xE1] + tail)
            #expect(info.orientation == nil || (1...8).contains(info.orientation!))
        }
        // Random corruption of a valid EXIF JPEG.
        for _ in 0..<300 {
            var bytes = full
            for _ in 0..<3 { bytes[Int.random(in: 3..<bytes.count, using: &rng)] = UInt8.random(in: 0...255, using: &rng) }
            let info = try ImageContent.inspect(bytes)
            #expect(info.orientation == nil || (1...8).contains(info.orientation!))
        }
    }

    /// A camera's EXIF: IFD0 (orientation, pointers to the EXIF and GPS IFDs), the EXIF IFD
    /// (`DateTimeOriginal`, and `OffsetTimeOriginal` when `offset` is given), the GPS IFD (30°10'30" N,
    /// 120°27'36" E as RATIONALs), values placed after the IFDs as a camera writes them.
    private func cameraJPEG(littleEndian: Bool, time: String, offset: String?, latRef: String = "N") -> [UInt8] {
        let u16 = littleEndian ? le16 : be16
        let u32 = littleEndian ? le32 : be32
        func entry(_ tag: Int, _ type: Int, _ count: Int, _ value: [UInt8]) -> [UInt8] { u16(tag) + u16(type) + u32(count) + value }
        let ifd0At = 8, exifAt = 50, gpsAt = 80, timeAt = 134, offsetAt = 154, latAt = 162, lonAt = 186
        var t: [UInt8] = (littleEndian ? [0x49, 0x49] : [0x4D, 0x4D]) + u16(42) + u32(ifd0At)
        t += u16(3) + entry(0x0112, 3, 1, u16(6) + [0, 0]) + entry(0x8769, 4, 1, u32(exifAt)) + entry(0x8825, 4, 1, u32(gpsAt)) + u32(0)
        t += u16(2) + entry(0x9003, 2, 20, u32(timeAt))
            + (offset == nil ? entry(0x9999, 2, 7, u32(offsetAt)) : entry(0x9011, 2, 7, u32(offsetAt))) + u32(0)
        t += u16(4) + entry(1, 2, 2, Array(latRef.utf8) + [0, 0, 0]) + entry(2, 5, 3, u32(latAt))
            + entry(3, 2, 2, Array("E".utf8) + [0, 0, 0]) + entry(4, 5, 3, u32(lonAt)) + u32(0)
        #expect(t.count == timeAt)
        t += Array(time.utf8) + [0]
        t += Array((offset ?? "+00:00").utf8) + [0, 0]
        for (num, den) in [(30, 1), (10, 1), (3000, 100), (120, 1), (27, 1), (3600, 100)] { t += u32(num) + u32(den) }
        #expect(t.count == lonAt + 24)
        return jpeg(segment(0xE0, jfif), segment(0xE1, exifHeader + t))
    }

    // MARK: - Metadata removed (residents' photos)

    @Test func aCamerasPositionTimeAndMakeAreGoneAndItsOrientationStays() throws {
        for little in [true, false] {
            let camera = cameraJPEG(littleEndian: little, time: "2026:12:05 09:30:15", offset: "+08:00")
            let withComment = Array(camera[0..<2]) + segment(0xFE, Array("Xiaomi 13 SN 8841".utf8)) + Array(camera[2...])
            let clean = try #require(ImageMetadata.stripped(withComment, format: .jpeg))
            let info = try ImageContent.inspect(clean)
            #expect(info.position == nil && info.takenAt == nil)
            #expect(info.orientation == 6, "an upright photo stays upright")
            #expect(ImageContent.isComplete(clean, format: .jpeg))
            #expect(!String(decoding: clean, as: UTF8.self).contains("Xiaomi"))
            #expect(!clean.windowed(4).contains([0x88, 0x25, 0, 4]) && !clean.windowed(4).contains([0x25, 0x88, 4, 0]), "no GPS pointer")
            // The scan is byte for byte what the camera wrote.
            #expect(Array(clean.suffix(scan.count)) == scan)
        }
        // Upright (orientation 1 or none): no APP1 at all.
        let upright = try #require(ImageMetadata.stripped(exifJPEG(littleEndian: true, orientation: 1), format: .jpeg))
        #expect(!upright.windowed(2).contains([0xFF, 0xE1]))
        #expect(upright == jpeg(segment(0xE0, jfif)))
        // Truncated or not a JPEG: nil, never a partial copy.
        let camera = cameraJPEG(littleEndian: true, time: "2026:12:05 09:30:15", offset: nil)
        #expect(ImageMetadata.stripped(Array(camera.prefix(40)), format: .jpeg) == nil)
        #expect(ImageMetadata.stripped(Array("GIF89a".utf8), format: .jpeg) == nil)
        #expect(ImageMetadata.stripped(camera, format: .heic) == nil)
    }

    @Test func theDeclaredSizeIsReadFromTheFrameHeader() throws {
        // SOF0: length 17, precision 8, 1200 lines, 1600 samples per line, 3 components.
        let sof: [UInt8] = [8] + be16(1200) + be16(1600) + [3, 1, 0x22, 0, 2, 0x11, 1, 3, 0x11, 1]
        let withFrame = jpeg(segment(0xE0, jfif), segment(0xC4, [0, 1, 2]), segment(0xC0, sof))
        #expect(ImageMetadata.dimensions(withFrame, format: .jpeg).map { [$0.width, $0.height] } == [1600, 1200])
        #expect(ImageMetadata.dimensions(jpeg(segment(0xE0, jfif)), format: .jpeg) == nil, "no frame before the scan")
        let png: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] + be32(13) + Array("IHDR".utf8) + be32(20_000) + be32(300) + [8, 2, 0, 0, 0]
        #expect(ImageMetadata.dimensions(png, format: .png).map { [$0.width, $0.height] } == [20_000, 300])
    }

    @Test func pngTextAndExifChunksAreDropped() throws {
        func chunk(_ type: String, _ data: [UInt8]) -> [UInt8] { be32(data.count) + Array(type.utf8) + data + [0, 0, 0, 0] }
        let signature: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
        let ihdr = chunk("IHDR", be32(1) + be32(1) + [8, 2, 0, 0, 0]), idat = chunk("IDAT", [1, 2, 3]), iend = chunk("IEND", [])
        let png = signature + ihdr + chunk("eXIf", Array("MM\0*GPS".utf8)) + chunk("tEXt", Array("Author\0Li".utf8)) + idat
            + chunk("tIME", [7, 234, 12, 5, 9, 30, 0]) + iend
        #expect(ImageMetadata.stripped(png, format: .png) == signature + ihdr + idat + iend)
        #expect(ImageMetadata.stripped(Array(png.prefix(30)), format: .png) == nil)
    }

    @Test func jpegTimeAndPositionFromEXIF() throws {
        for little in [true, false] {
            let info = try ImageContent.inspect(cameraJPEG(littleEndian: little, time: "2026:12:05 09:30:15", offset: "+08:00"))
            #expect(info.orientation == 6)
            #expect(info.takenAt.map(Timestamp.format) == "2026-12-05T09:30:15+08:00")
            let p = try #require(info.position)
            #expect(abs(p.latitude - 30.175) < 1e-9)
            #expect(abs(p.longitude - 120.46) < 1e-9)
            #expect(p.datum == .wgs84)
        }
        // No offset written: China Standard Time. An offset of another zone is honoured.
        #expect(try ImageContent.inspect(cameraJPEG(littleEndian: true, time: "2026:12:05 09:30:15", offset: nil)).takenAt
            .map(Timestamp.format) == "2026-12-05T09:30:15+08:00")
        #expect(try ImageContent.inspect(cameraJPEG(littleEndian: true, time: "2026:12:05 09:30:15", offset: "-05:00")).takenAt
            .map(Timestamp.format) == "2026-12-05T22:30:15+08:00")
        // A camera without a clock, an impossible day, an unknown hemisphere letter: none.
        #expect(try ImageContent.inspect(cameraJPEG(littleEndian: true, time: "0000:00:00 00:00:00", offset: nil)).takenAt == nil)
        #expect(try ImageContent.inspect(cameraJPEG(littleEndian: true, time: "2026:02:30 10:00:00", offset: nil)).takenAt == nil)
        #expect(try ImageContent.inspect(cameraJPEG(littleEndian: true, time: "2026:12:05 09:30:15", offset: nil, latRef: "X")).position == nil)
        let south = try #require(try ImageContent.inspect(cameraJPEG(littleEndian: false, time: "2026:12:05 09:30:15", offset: nil, latRef: "S")).position)
        #expect(abs(south.latitude + 30.175) < 1e-9)
        // A photo without EXIF has neither.
        let plain = try ImageContent.inspect(jpeg(segment(0xE0, jfif)))
        #expect(plain.takenAt == nil && plain.position == nil)
    }

    @Test func photoFactsKeepOnlyWhatACameraCanHaveSeen() throws {
        let now = try Timestamp.parse("2026-12-06T10:00:00+08:00")
        #expect(PhotoFacts.plausibleTime(try Timestamp.parse("2026-12-06T10:09:00+08:00"), now: now))
        #expect(!PhotoFacts.plausibleTime(try Timestamp.parse("2026-12-06T10:11:00+08:00"), now: now))
        #expect(PhotoFacts.plausibleTime(try Timestamp.parse("2000-01-01T00:00:00Z"), now: now))
        #expect(!PhotoFacts.plausibleTime(try Timestamp.parse("1999-12-31T23:59:59Z"), now: now))
        #expect(!PhotoFacts.plausiblePosition(try GeoPoint(latitude: 0, longitude: 0, datum: .wgs84)))
        #expect(PhotoFacts.plausiblePosition(try GeoPoint(latitude: 30.175, longitude: 120.46, datum: .wgs84)))
        #expect(PhotoFacts.isPhotoID(String(repeating: "a1", count: 32)))
        for s in [String(repeating: "A1", count: 32), String(repeating: "a", count: 63), "IMG_0001.jpg", String(repeating: "g", count: 64)] {
            #expect(!PhotoFacts.isPhotoID(s), "\(s)")
        }
    }

    @Test func corruptCameraEXIFNeverCrashes() throws {
        var rng = SystemRandomNumberGenerator()
        let full = cameraJPEG(littleEndian: true, time: "2026:12:05 09:30:15", offset: "+08:00")
        for _ in 0..<2_000 {
            var bytes = full
            for _ in 0..<4 { bytes[Int.random(in: 3..<bytes.count, using: &rng)] = UInt8.random(in: 0...255, using: &rng) }
            let info = try ImageContent.inspect(bytes)
            if let p = info.position { #expect(abs(p.latitude) <= 90 && abs(p.longitude) <= 180) }
        }
        for cut in stride(from: 4, to: full.count, by: 3) { _ = try ImageContent.inspect(Array(full.prefix(cut))) }
    }

    // MARK: - PNG, HEIC

    @Test func png() throws {
        let signature: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
        let info = try ImageContent.inspect(signature)
        #expect(info == ImageInfo(format: .png, byteCount: 8, orientation: nil,
                                sha256: "4c4b6a3be1314ab86138bef4314dde022e600960d8689a2c8f8631802d20dab6"))
        #expect(info.format.mimeType == "image/png")
        #expect(reason(Array(signature.prefix(7))) == notImage)
        #expect(try ImageContent.inspect(Data(signature + [0, 0, 0, 13] + Array("IHDR".utf8))).format == .png)
    }

    private func ftyp(major: String, compatible: [String]) -> [UInt8] {
        let body = Array(major.utf8) + [0, 0, 0, 0] + compatible.flatMap { Array($0.utf8) }
        return be32(body.count + 8) + Array("ftyp".utf8) + body + be32(8) + Array("meta".utf8)
    }

    @Test func heic() throws {
        let heic = try ImageContent.inspect(ftyp(major: "heic", compatible: ["mif1", "heic"]))
        #expect(heic.format == .heic)
        #expect(heic.format.mimeType == "image/heic")
        #expect(heic.orientation == nil)
        #expect(try ImageContent.inspect(ftyp(major: "mif1", compatible: ["heic"])).format == .heic)
        #expect(try ImageContent.inspect(ftyp(major: "mif1", compatible: [])).format == .heic)
        #expect(try ImageContent.inspect(ftyp(major: "msf1", compatible: ["hevc"])).format == .heic)
        #expect(try ImageContent.inspect(ftyp(major: "isom", compatible: ["heix"])).format == .heic)
        // Size 0 (to the end of the file) and 1 (64-bit size).
        var toEnd = ftyp(major: "heic", compatible: [])
        toEnd.replaceSubrange(0..<4, with: [0, 0, 0, 0])
        #expect(try ImageContent.inspect(toEnd).format == .heic)
        let large: [UInt8] = be32(1) + Array("ftyp".utf8) + be32(0) + be32(24) + Array("mif1".utf8) + be32(0)
        #expect(try ImageContent.inspect(large).format == .heic)
    }

    @Test func notHEIC() {
        #expect(reason(ftyp(major: "isom", compatible: ["iso2", "mp41"])) == notImage) // MP4 video
        #expect(reason(ftyp(major: "qt  ", compatible: [])) == notImage) // QuickTime
        #expect(reason(ftyp(major: "avif", compatible: ["mif1", "miaf"])) == notImage) // AV1 image
        // Brands beyond the declared box size are not read.
        var short = ftyp(major: "isom", compatible: ["heic"])
        short.replaceSubrange(0..<4, with: be32(16))
        #expect(reason(short) == notImage)
        #expect(reason(Array("xxxxftyp".utf8)) == notImage)
        #expect(reason(be32(0xFFFF_FFFF) + Array("ftypheic".utf8)) == notImage) // fewer than 16 bytes
    }

    // MARK: - Refused

    @Test func otherFormatsRefused() {
        #expect(reason(Array("GIF89a".utf8) + [1, 0, 1, 0, 0, 0, 0, 0x3B]) == notImage)
        #expect(reason(Array("%PDF-1.7\n%âãÏÓ\n".utf8)) == notImage)
        #expect(reason(Array("this is a text file renamed photo.jpg\n".utf8)) == notImage)
        #expect(reason([0xFF, 0xD8]) == notImage)
        #expect(reason([0x42, 0x4D, 0, 0, 0, 0]) == notImage) // BMP
        #expect(reason(Array("RIFF\u{0}\u{0}\u{0}\u{0}WEBPVP8 ".utf8)) == notImage)
    }

    @Test func empty() {
        #expect(reason([]) == "the file is empty")
        if let error = #expect(throws: (any Error).self, performing: { try ImageContent.inspect(Data()) }) {
            #expect((error as? InvalidValue)?.reason == "the file is empty")
        }
    }

    @Test func tooLarge() throws {
        #expect(reason([0xFF, 0xD8, 0xFF] + [UInt8](repeating: 0, count: 8), maxBytes: 10) ==
                "the file is 11 bytes; at most 10 bytes")
        #expect(reason([0xFF, 0xD8, 0xFF] + [UInt8](repeating: 0, count: 7), maxBytes: 10) == nil)
        #expect(ImageContent.maxBytes == 10_485_760)
        let big = [0xFF, 0xD8, 0xFF] + [UInt8](repeating: 0, count: ImageContent.maxBytes - 2)
        #expect(reason(big) == "the file is 10.1 MB; at most 10 MB")
        if let error = #expect(throws: (any Error).self, performing: { try ImageContent.inspect(Data(big)) }) {
            #expect((error as? InvalidValue)?.reason == "the file is 10.1 MB; at most 10 MB")
        }
        #expect(try ImageContent.inspect(Array(big.dropLast())).byteCount == ImageContent.maxBytes)
        #expect(reason([UInt8](repeating: 0x89, count: 13 * 1024 * 1024 / 2 * 3)) == "the file is 19.5 MB; at most 10 MB")
        #expect(reason([UInt8](repeating: 0, count: 3000), maxBytes: 2048) == "the file is 3 KB; at most 2 KB")
    }

    @Test func sha256() throws {
        // SHA-256 of the JPEG bytes FF D8 FF D9 (computed independently).
        let info = try ImageContent.inspect(Data([0xFF, 0xD8, 0xFF, 0xD9]))
        #expect(info.sha256 == "32461d5bd1773012acef0ba15636752949bd7c2ce50f9172159d9f56cf0dd9af")
        #expect(info.byteCount == 4)
        #expect(try ImageContent.inspect([0xFF, 0xD8, 0xFF, 0xD9]) == info)
    }
}

private extension Array where Element == UInt8 {
    /// Every run of `n` consecutive bytes.
    func windowed(_ n: Int) -> [[UInt8]] { count < n ? [] : (0...(count - n)).map { Array(self[$0..<$0 + n]) } }
}
