import Foundation
import SafeGridCore

/// Residents' reports: the residents' page's public operations (``ResidentController``) and the
/// workers' (``ReportsController``).
extension OpenAPIDocument {
    static var reports: [Operation] { [
        Operation(method: "get", path: "/api/v1/resident/context", tag: "residents",
                  summary: "What the residents' page needs: the town, its villages and extent (WGS-84), what may be reported (the checklist by category, in plain words), the limits",
                  query: [q("town", ["type": "string", "pattern": "^([0-9]{9})?$"], "a town code (default 瓜沥镇)")],
                  answer: (200, "ResidentContext"), errors: [404], secured: false),
        Operation(method: "post", path: "/api/v1/resident/codes", tag: "residents",
                  summary: "Text a 6-digit code to a resident's mobile (valid 10 min; 1 a minute, 5 an hour and 10 a day per number, 20 an hour per network address: 429 with Retry-After naming phone or address)",
                  body: "ResidentCodeInput", answer: (202, "ResidentCodeSent"), errors: [422, 429], secured: false),
        Operation(method: "get", path: "/api/v1/resident/nearby", tag: "residents",
                  summary: "Reports of the same hazard category within 50 m received in the last 30 days and not dismissed (is it this one?); no names, no phones",
                  query: [q("latitude", ["type": "number"], "WGS-84", required: true), q("longitude", ["type": "number"], "WGS-84", required: true),
                          q("serviceCode", text, "the checklist item", required: true)],
                  answer: (200, "ResidentNearby"), errors: [422], secured: false),
        Operation(method: "post", path: "/api/v1/resident/reports", tag: "residents",
                  summary: "A resident's report: the item, a position (WGS-84) or address, up to 3 photos (stored without metadata), a mobile proven by its code or anonymous (no SMS answers), or an addition to a nearby report (addTo); at most 5 a day per number and 10 an hour per network address",
                  body: "ResidentReportInput", answer: (201, "ResidentReceipt"), errors: [422, 429], secured: false),
        Operation(method: "get", path: "/api/v1/resident/reports/{token}", tag: "residents",
                  summary: "A report's state as its resident sees it (an addition shows its original's)", answer: (200, "ResidentTrack"),
                  errors: [404], secured: false),
        Operation(method: "get", path: "/api/v1/reports", tag: "residents",
                  summary: "Residents' reports of an area: awaiting verification oldest first (default), handled newest first, or all; the reporter's mobile in full only for grid and micro-grid workers",
                  query: [q("areaCode", areaFilter, "the area (default your home area)"),
                          q("state", ["type": "string", "enum": ["", "open", "closed", "all"]], "open (default), closed or all")],
                  answer: (200, "ReportList"), errors: [404, 422]),
        Operation(method: "get", path: "/api/v1/reports/summary", tag: "residents",
                  summary: "Reports received, awaiting, verified, dismissed, rectified, waiting beyond 24 h, median minutes to verify, per child area",
                  query: [q("areaCode", areaFilter, "the area (default your home area)")], answer: (200, "ReportSummary"), errors: [404]),
        Operation(method: "get", path: "/api/v1/reports/changes", tag: "residents",
                  summary: "Every state the area's reports reached, in commit order, from a cursor (as /api/v1/changes for hazards)",
                  query: [q("after", ["type": "string", "pattern": "^[0-9]{0,18}$"], "the `next` of the previous page (default 0)"),
                          q("limit", intOrEmpty(1...ChangesController.maxLimit), "1…5000, default 500")],
                  answer: (200, "ReportChanges"), errors: [422]),
        Operation(method: "get", path: "/api/v1/reports/{id}", tag: "residents", summary: "A resident's report", answer: (200, "Report"), errors: [404]),
        Operation(method: "get", path: "/api/v1/reports/{id}/photos/{n}", tag: "residents",
                  summary: "Photo n (0…2) of a report, without its metadata",
                  answerTypes: ["image/jpeg": binary, "image/png": binary], errors: [404]),
        Operation(method: "post", path: "/api/v1/reports/{id}/actions", tag: "residents",
                  summary: "Verify (an inspection of the subject through the campaign's write path; the resident is told the deadline) or dismiss with a reason (the resident is told why)",
                  body: "ReportActionInput", answer: (200, "Report"), errors: [404, 409, 422]),
    ] }

    static var reportSchemas: [String: Any] {
        let uuid = idParam
        let states = oneOf(ResidentReportState.self)
        let reasons = oneOf(ReportDismissalReason.self)
        let itemCode: [String: Any] = ["type": "string", "pattern": "^[A-Z]+-[0-9]{2}$"]
        return [
            "ResidentContext": object([
                "town": object(["code": areaCode, "name": text], required: ["code", "name"]),
                "centre": object(["latitude": number, "longitude": number], required: ["latitude", "longitude"]),
                "bounds": object(["south": number, "west": number, "north": number, "east": number], required: ["south", "west", "north", "east"]),
                "tiles": text,
                "villages": array(object(["code": areaCode, "name": text], required: ["code", "name"])),
                "categories": array(object(["code": oneOf(HazardCategory.self), "zh": text, "en": text,
                                            "items": array(object(["code": itemCode, "plain": text, "zh": text, "en": text],
                                                                  required: ["code", "plain", "zh", "en"]))],
                                           required: ["code", "zh", "en", "items"])),
                "limits": object(["photos": count, "photoBytes": count, "description": count, "address": count, "nearbyMetres": count,
                                  "nearbyDays": count, "codeSeconds": count, "resendSeconds": count],
                                 required: ["photos", "photoBytes", "description", "address", "nearbyMetres", "nearbyDays", "codeSeconds", "resendSeconds"]),
                "notice": text, "anonymousNotice": text],
                required: ["town", "centre", "bounds", "villages", "categories", "limits", "notice", "anonymousNotice"]),
            "ResidentCodeInput": input(["phone": line(40)], required: ["phone"]),
            "ResidentCodeSent": object(["sentTo": text, "expiresInSeconds": count, "resendAfterSeconds": count],
                                       required: ["sentTo", "expiresInSeconds", "resendAfterSeconds"]),
            "ResidentNearby": object(["items": array(object([
                "id": uuid, "serviceCode": itemCode, "item": text, "categoryZh": text, "state": states, "stateName": text,
                "receivedAt": timestamp, "distanceMetres": count, "description": text, "address": text, "additions": count],
                required: ["id", "serviceCode", "item", "categoryZh", "state", "stateName", "receivedAt", "distanceMetres", "additions"]))],
                required: ["items"]),
            "ResidentReportInput": input([
                "serviceCode": itemCode, "description": paragraph(ResidentReportRules.descriptionMax),
                "latitude": ["type": "number", "minimum": -90, "maximum": 90], "longitude": ["type": "number", "minimum": -180, "maximum": 180],
                "address": line(ResidentReportRules.addressMax), "villageCode": ["type": "string", "pattern": "^[0-9]{12}$"],
                "anonymous": bool, "phone": line(40), "code": ["type": "string", "pattern": "^[0-9]{6}$"], "name": line(TextRules.personName),
                "photos": array(["type": "string", "description": "data:image/jpeg;base64,… or data:image/png;base64,… (at most 2,000,000 bytes decoded)"],
                                max: ResidentReportRules.maxPhotos),
                "addTo": uuid], required: ["serviceCode"]),
            "ResidentReceipt": object(["id": uuid, "token": text, "state": states, "stateName": text, "notice": text, "trackPath": text,
                                       "addedTo": uuid],
                                      required: ["id", "token", "state", "stateName", "notice", "trackPath"]),
            "ResidentTrack": object(["id": uuid, "serviceCode": itemCode, "item": text, "state": states, "stateName": text, "statusNotes": text,
                                     "receivedAt": timestamp, "updatedAt": timestamp, "dueOn": date, "dismissReason": reasons,
                                     "dismissReasonName": text, "note": text, "anonymous": bool, "addedTo": uuid],
                                    required: ["id", "serviceCode", "item", "state", "stateName", "statusNotes", "receivedAt", "updatedAt", "anonymous"]),
            "Report": object([
                "id": uuid, "channel": oneOf(["page", "open311"]), "serviceCode": itemCode, "item": text, "categoryZh": text,
                "description": text, "latitude": number, "longitude": number, "address": text, "townCode": areaCode,
                "villageCode": areaCode, "villageName": text, "gridCode": areaCode, "microGridCode": areaCode, "subjectId": uuid,
                "subjectName": text, "subjectKind": text, "state": states, "stateName": text, "receivedAt": timestamp, "ageMinutes": count,
                "verifyBy": timestamp, "overdue": bool, "anonymous": bool, "reporterName": text,
                "reporterPhone": ["type": "string", "description": "in full for grid and micro-grid workers, else masked (138****0000)"],
                "additions": count, "photos": array(object(["url": text], required: ["url"])), "verifiedAt": timestamp, "verifiedBy": text,
                "inspectionId": uuid, "hazardIds": array(uuid), "dismissReason": reasons, "dismissReasonName": text, "duplicateOf": uuid,
                "note": text, "alertedAt": timestamp,
                "nearbySubjects": array(object(["id": uuid, "name": text, "kind": text, "distanceMetres": count],
                                               required: ["id", "name", "kind", "distanceMetres"]))],
                required: ["id", "channel", "serviceCode", "item", "categoryZh", "townCode", "state", "stateName", "receivedAt", "ageMinutes",
                           "verifyBy", "overdue", "anonymous", "additions", "photos", "hazardIds", "nearbySubjects"]),
            "ReportList": array(ref("Report")),
            "ReportActionInput": input(["action": oneOf(["verify", "dismiss"]), "subjectId": uuid, "itemCode": itemCode,
                                        "severity": oneOf(Severity.self), "reason": reasons, "duplicateOf": uuid,
                                        "note": paragraph(ResidentReportRules.noteMax)],
                                       required: ["action"]),
            "ReportSummary": object([
                "areaCode": areaCode, "received": count, "open": count, "verified": count, "dismissed": count, "rectified": count,
                "overdue": count, "medianVerifyMinutes": count,
                "children": array(object(["code": areaCode, "name": text, "received": count, "open": count, "verified": count, "dismissed": count],
                                         required: ["code", "name", "received", "open", "verified", "dismissed"]))],
                required: ["areaCode", "received", "open", "verified", "dismissed", "rectified", "overdue", "children"]),
            "ReportChanges": object([
                "changes": array(object(["cursor": text, "reportId": uuid, "state": states, "stateName": text, "at": timestamp],
                                        required: ["cursor", "reportId", "state", "stateName", "at"])),
                "next": text, "hasMore": bool], required: ["changes", "next", "hasMore"]),
        ]
    }
}
