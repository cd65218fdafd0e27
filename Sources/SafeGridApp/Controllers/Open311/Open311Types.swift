import Crypto
import Foundation
import SQLKit
import SafeGridCore
import Vapor
import XMLCoder

/// The GeoReport v2 documents (field names as the specification spells them).
extension Open311Controller {
    struct Service: Codable {
        let service_code: String
        let service_name: String
        let description: String?
        let metadata: Bool
        let type: String
        let keywords: String?
        let group: String?
    }

    struct Attribute: Codable {
        let variable: Bool
        let code: String
        let datatype: String
        let required: Bool
        let datatype_description: String?
        let order: Int
        let description: String
    }

    struct ServiceDefinition: Codable {
        let service_code: String
        let attributes: [Attribute]
    }

    struct ServiceRequest: Codable {
        let service_request_id: String
        let status: String
        let status_notes: String?
        let service_name: String?
        let service_code: String
        let description: String?
        let agency_responsible: String?
        let service_notice: String?
        let requested_datetime: String
        let updated_datetime: String?
        let expected_datetime: String?
        let address: String?
        let lat: Double?
        let long: Double?
        let media_url: String?
    }

    struct Created: Codable {
        let service_request_id: String
        let token: String
        let service_notice: String?
    }

    struct TokenAnswer: Codable {
        let service_request_id: String
        let token: String
    }

    struct ErrorItem: Codable {
        let code: Int
        let description: String
    }

    /// The form (or JSON) of `POST requests`; numbers may come as text, as forms send them.
    struct ReportInput: Content {
        var api_key: String?
        var service_code: String?
        var lat: String?
        var long: String?
        var address_string: String?
        var address_id: String?
        var description: String?
        var first_name: String?
        var last_name: String?
        var email: String?
        var phone: String?
        var device_id: String?
        var account_id: String?
        var media_url: String?
    }
}
