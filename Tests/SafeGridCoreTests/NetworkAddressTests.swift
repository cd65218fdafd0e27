import Testing
@testable import SafeGridCore

@Suite("IP addresses, CIDR blocks and where the server may call")
struct NetworkAddressTests {
    @Test func addressesParseStrictlyAndPrintCanonically() {
        #expect(IPAddress("192.0.2.1")?.bytes == [192, 0, 2, 1])
        #expect(IPAddress("2001:db8::1")?.description == "2001:db8::1")
        #expect(IPAddress("[::1]")?.description == "::1")
        #expect(IPAddress("fe80::1%eth0")?.description == "fe80::1")
        #expect(IPAddress("::ffff:127.0.0.1")?.bytes == [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF, 127, 0, 0, 1])
        #expect(IPAddress("2001:db8:0:0:1:0:0:1")?.description == "2001:db8::1:0:0:1")
        #expect(IPAddress("::")?.description == "::")
        #expect(IPAddress("::ffff:7f00:1")?.description == "::ffff:127.0.0.1")
        for bad in ["256.1.1.1", "1.2.3", "01.2.3.4", "0x7f.0.0.1", "2130706433", "1:2:3:4:5:6:7:8:9", "1::2::3", "example.com", "", "1.2.3.4.5"] {
            #expect(IPAddress(bad) == nil, "\(bad)")
        }
    }

    @Test func blocksHoldTheirAddressesAndIPv4FormsOfIPv6() throws {
        let ten = try #require(IPRange("10.0.0.0/8"))
        #expect(ten.contains(IPAddress("10.255.1.2")!))
        #expect(!ten.contains(IPAddress("11.0.0.1")!))
        #expect(ten.contains(IPAddress("::ffff:10.1.2.3")!))
        #expect(try #require(IPRange("172.16.0.0/12")).contains(IPAddress("172.31.255.255")!))
        #expect(!(try #require(IPRange("172.16.0.0/12")).contains(IPAddress("172.32.0.0")!)))
        #expect(try #require(IPRange("fc00::/7")).contains(IPAddress("fd12:3456::1")!))
        #expect(IPRange("10.0.0.0/33") == nil)
        #expect(IPRange("10.0.0.1")?.prefixLength == 32)
        #expect(try IPRange.list("10.1.0.0/16, 192.168.3.4 ::1").map(\.description) == ["10.1.0.0/16", "192.168.3.4/32", "::1/128"])
        #expect(throws: InvalidValue.self) { try IPRange.list("10.1.0.0/16, intranet") }
    }

    @Test func loopbackPrivateLinkLocalAndTheirIPv6FormsAreRefused() throws {
        let refused: [(String, String)] = [
            ("127.0.0.1", "loopback"), ("10.1.2.3", "private"), ("172.16.0.1", "private"), ("192.168.1.1", "private"),
            ("100.64.0.1", "shared (carrier-grade NAT)"), ("169.254.169.254", "link-local"), ("0.0.0.0", "unspecified"),
            ("224.0.0.1", "multicast"), ("255.255.255.255", "reserved"), ("::1", "loopback"), ("::", "unspecified"),
            ("fe80::1", "link-local"), ("fd00::1", "unique local"), ("ff02::1", "multicast"),
            ("::ffff:127.0.0.1", "loopback"), ("::ffff:169.254.169.254", "link-local"), ("64:ff9b::a01:203", "private"),
            ("2002:c0a8:0101::1", "private"),
        ]
        for (text, name) in refused {
            #expect(OutboundAddressRule.refusal(try #require(IPAddress(text))) == name, "\(text)")
        }
        for ok in ["203.0.113.5", "8.8.8.8", "2400:3200::1", "::ffff:8.8.8.8", "172.32.0.1", "100.128.0.1"] {
            #expect(OutboundAddressRule.refusal(try #require(IPAddress(ok))) == nil, "\(ok)")
        }
        // An allowed intranet block.
        let intranet = try IPRange.list("10.20.0.0/16")
        #expect(OutboundAddressRule.refusal(IPAddress("10.20.3.4")!, allowed: intranet) == nil)
        #expect(OutboundAddressRule.refusal(IPAddress("::ffff:10.20.3.4")!, allowed: intranet) == nil)
        #expect(OutboundAddressRule.refusal(IPAddress("10.21.0.1")!, allowed: intranet) == "private")
    }
}
