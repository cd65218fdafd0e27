import Foundation
import SQLKit
import SafeGridCore
import Testing
import Vapor
import VaporTesting
@testable import SafeGridApp

@Suite("SMS providers and their configuration")
struct MessagingProviderTests {
    /// Aliyun's own documented example (signature version 1.0).
    @Test func aliyunSignatureMatchesTheDocumentedExample() {
        let params = [
            "AccessKeyId": "testId", "Action": "SendSms", "Format": "XML", "OutId": "123", "PhoneNumbers": "15300000001",
            "RegionId": "cn-hangzhou", "SignName": "阿里云短信测试专用", "SignatureMethod": "HMAC-SHA1",
            "SignatureNonce": "45e25e9b-0a6f-4070-8c85-2956eda1b466", "SignatureVersion": "1.0", "TemplateCode": "SMS_71390007",
            "TemplateParam": #"{"customer":"test"}"#, "Timestamp": "2017-07-12T02:42:19Z", "Version": "2017-05-25",
        ]
        #expect(AliyunSMSProvider.signature(params, secret: "testSecret") == "zJDF+Lrzhj/ThnlvIToysFRq6t4=")
    }

    /// Our request, signed independently with python3 (`hmac.new((secret+'&').encode(),
    /// ('GET&%2F&' + quote(canonical, safe='-_.~')).encode(), hashlib.sha1)`, base64).
    @Test func aliyunRequestIsSignedAsComputedIndependently() throws {
        let provider = AliyunSMSProvider(
            config: .init(accessKeyID: "LTAI5tSafeGridTest", accessKeySecret: "SafeGridSecret/Test+Key=", signName: "瓜沥镇除险保安",
                          templateCode: "SMS_123456789"),
            client: FailingClient())
        let text = "【整改通知】请于12月7日前整改 ELEC-01 电线未穿管 + 50% *~"
        let params = provider.parameters(phone: "13800000000", text: text, nonce: "3f1c2a9e-5b7d-4e8f-9a0b-1c2d3e4f5a6b",
                                         timestamp: testNow)
        #expect(params["Timestamp"] == "2026-11-30T02:00:00Z")
        #expect(params["TemplateParam"] == #"{"content":"【整改通知】请于12月7日前整改 ELEC-01 电线未穿管 + 50% *~"}"#)
        #expect(AliyunSMSProvider.canonicalQuery(params) == "AccessKeyId=LTAI5tSafeGridTest&Action=SendSms&Format=JSON&PhoneNumbers=13800000000&RegionId=cn-hangzhou&SignName=%E7%93%9C%E6%B2%A5%E9%95%87%E9%99%A4%E9%99%A9%E4%BF%9D%E5%AE%89&SignatureMethod=HMAC-SHA1&SignatureNonce=3f1c2a9e-5b7d-4e8f-9a0b-1c2d3e4f5a6b&SignatureVersion=1.0&TemplateCode=SMS_123456789&TemplateParam=%7B%22content%22%3A%22%E3%80%90%E6%95%B4%E6%94%B9%E9%80%9A%E7%9F%A5%E3%80%91%E8%AF%B7%E4%BA%8E12%E6%9C%887%E6%97%A5%E5%89%8D%E6%95%B4%E6%94%B9%20ELEC-01%20%E7%94%B5%E7%BA%BF%E6%9C%AA%E7%A9%BF%E7%AE%A1%20%2B%2050%25%20%2A~%22%7D&Timestamp=2026-11-30T02%3A00%3A00Z&Version=2017-05-25")
        #expect(AliyunSMSProvider.signature(params, secret: "SafeGridSecret/Test+Key=") == "nJXs6JrHQBqGSWzQbxaPdK4HOEM=")
        let url = provider.url(phone: "13800000000", text: text, nonce: "3f1c2a9e-5b7d-4e8f-9a0b-1c2d3e4f5a6b", timestamp: testNow)
        #expect(url.hasPrefix("https://dysmsapi.aliyuncs.com/?Signature=nJXs6JrHQBqGSWzQbxaPdK4HOEM%3D&AccessKeyId="))
    }

    @Test func aliyunAnswersAreClassified() throws {
        #expect(try AliyunSMSProvider.interpret(status: .ok, body: #"{"Code":"OK","Message":"OK","BizId":"123^0","RequestId":"R"}"#) == "123^0")
        func kind(_ status: HTTPResponseStatus, _ body: String) -> SMSFailure.Kind? {
            do {
                _ = try AliyunSMSProvider.interpret(status: status, body: body)
                return nil
            } catch { return (error as? SMSFailure)?.kind }
        }
        #expect(kind(.ok, #"{"Code":"isv.MOBILE_NUMBER_ILLEGAL","Message":"非法手机号"}"#) == .permanent)
        #expect(kind(.ok, #"{"Code":"isv.BLACK_KEY_CONTROL_LIMIT"}"#) == .permanent)
        #expect(kind(.ok, #"{"Code":"isv.BUSINESS_LIMIT_CONTROL"}"#) == .temporary)
        #expect(kind(.ok, #"{"Code":"Throttling.User"}"#) == .temporary)
        #expect(kind(.serviceUnavailable, #"{"Code":"ServiceUnavailable"}"#) == .temporary)
        #expect(kind(.internalServerError, #"{"Code":"isv.SOMETHING"}"#) == .temporary)
        #expect(kind(.badGateway, "<html>") == .temporary)
    }

    @Test func aliyunThroughARealHTTPEndpoint() async throws {
        try await withGateway { gw in
            try await withSafeGrid { app in
                app.smsProvider = AliyunSMSProvider(
                    config: .init(endpoint: gw.aliyunURL, accessKeyID: "LTAI-test", accessKeySecret: "gateway-secret",
                                  signName: "瓜沥镇除险保安", templateCode: "SMS_123456789"),
                    client: app.client)
                let (ok, illegal, throttled, broken) = (mobile(1), mobile(2), mobile(3), mobile(4))
                await gw.script.plan(illegal, [.refuse(200, "isv.MOBILE_NUMBER_ILLEGAL")])
                await gw.script.plan(throttled, [.refuse(200, "Throttling.User")])
                await gw.script.plan(broken, [.fail500])
                let body = "【整改通知】请于12月7日前整改 + 复查"
                let id = try await enqueue(app, phones: [ok, illegal, throttled, broken], body: body)
                let r = try await app.outboxSender.runOnce(now: testNow)
                #expect(r.sent == 1 && r.failed == 1 && r.retried == 2)
                let rows = try await recipientRows(app, id)
                #expect(rows[ok]?.state == "sent")
                #expect(rows[ok]?.provider == "aliyun")
                #expect(rows[ok]?.providerMessageId == "900619746936498440^0")
                #expect(rows[illegal]?.state == "failed")
                #expect(rows[illegal]?.lastError?.contains("isv.MOBILE_NUMBER_ILLEGAL") == true)
                #expect(rows[throttled]?.state == "queued")
                #expect(rows[broken]?.state == "queued")
                let p = try #require(await gw.script.received.first { $0.to == ok }?.params)
                #expect(p["TemplateParam"] == #"{"content":"\#(body)"}"#)
                #expect(p["SignName"] == "瓜沥镇除险保安")
                #expect(p["Action"] == "SendSms")
                // The endpoint verified every signature (a mismatch would be a permanent failure).
                #expect(rows.values.allSatisfy { $0.lastError?.contains("SignatureDoesNotMatch") != true })
            }
        }
    }

    @Test func providersComeFromTheSettings() async throws {
        try await withSafeGrid { app in
            func provider(_ env: [String: String]) throws -> any SMSProvider {
                try Settings.fromEnvironment(env).sms.gateway.provider(client: app.client, logger: app.logger, timeout: 3)
            }
            #expect(try provider([:]).name == "log")
            #expect(try provider(["SAFEGRID_SMS_PROVIDER": "log"]) is LogSMSProvider)
            let kannel = try provider(["SAFEGRID_SMS_PROVIDER": "kannel", "SAFEGRID_SMS_URL": "http://127.0.0.1:13013/cgi-bin/sendsms",
                                       "SAFEGRID_SMS_USERNAME": "u", "SAFEGRID_SMS_PASSWORD": "p", "SAFEGRID_SMS_DLR_MASK": "31"])
            let k = try #require(kannel as? KannelSMSProvider)
            #expect(k.config.timeout == 3)
            #expect(k.config.dlrMask == 31)
            #expect(k.fields(to: "13800000000", text: "t", messageID: "m").contains { $0 == ("dlr-mask", "31") })
            let aliyun = try provider(["SAFEGRID_SMS_PROVIDER": "aliyun", "SAFEGRID_SMS_ACCESS_KEY_ID": "id",
                                       "SAFEGRID_SMS_ACCESS_KEY_SECRET": "secret", "SAFEGRID_SMS_SIGN_NAME": "瓜沥镇",
                                       "SAFEGRID_SMS_TEMPLATE_CODE": "SMS_1"])
            #expect((aliyun as? AliyunSMSProvider)?.config.endpoint == "https://dysmsapi.aliyuncs.com/")
            #expect(throws: ConfigurationError.self) { try provider(["SAFEGRID_SMS_PROVIDER": "kannel"]) }
            #expect(throws: ConfigurationError.self) {
                try provider(["SAFEGRID_SMS_PROVIDER": "kannel", "SAFEGRID_SMS_URL": "ftp://x", "SAFEGRID_SMS_USERNAME": "u",
                              "SAFEGRID_SMS_PASSWORD": "p"])
            }
            #expect(throws: ConfigurationError.self) { try provider(["SAFEGRID_SMS_PROVIDER": "aliyun"]) }
            #expect(throws: ConfigurationError.self) { try provider(["SAFEGRID_SMS_PROVIDER": "twilio"]) }

            let s = try Settings.fromEnvironment(["SAFEGRID_SMS_TIMEOUT": "2.5", "SAFEGRID_SMS_SENDER": "off",
                                                  "SAFEGRID_SMS_MAX_ATTEMPTS": "4"]).sms.outbox
            #expect(s.timeout == 2.5 && s.maxAttempts == 4 && !s.backgroundLoop)
            #expect(throws: ConfigurationError.self) { try Settings.fromEnvironment(["SAFEGRID_SMS_TIMEOUT": "soon"]) }
        }
    }

    @Test func percentEncodingIsRFC3986() {
        #expect(SMSFormat.percentEncode("a b+c*d~e/f") == "a%20b%2Bc%2Ad~e%2Ff")
        #expect(SMSFormat.percentEncode("瓜") == "%E7%93%9C")
        #expect(SMSFormat.masked("13800001234") == "138****1234")
        #expect(SMSFormat.masked("garbage") == "****")
    }
}

/// A client that must not be called.
struct FailingClient: Client {
    var eventLoop: any EventLoop { MultiThreadedEventLoopGroup.singleton.any() }
    func delegating(to eventLoop: any EventLoop) -> any Client { self }
    func send(_ request: ClientRequest) -> EventLoopFuture<ClientResponse> {
        eventLoop.makeFailedFuture(Abort(.internalServerError, reason: "no network in this test"))
    }
}
