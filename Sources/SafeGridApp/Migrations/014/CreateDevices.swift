import Fluent
import SQLKit

/// 014: smart fire devices (智建 / 智慧消防), the IoT platforms they report through, their
/// messages and the alarms that become work.
///
/// - `iot_platforms`: one row per platform that posts events (`id`, a short lower-case name used
///   in its URL), the area it serves (a device of it must be bound to a subject inside), and the
///   HMAC-SHA256 key it signs with (shown once when the platform is made).
/// - `devices`: one row per device, bound to a subject (and a room for rental housing), with the
///   subject's area codes copied so area figures need no join. `serial` is unique per platform
///   (it is how the platform names the device). State columns: the last message, and since when it
///   is offline, faulty, low on battery, due for maintenance (null when not).
/// - `device_messages`: every event accepted, keyed by (platform, the platform's event id), with
///   the SHA-256 of the event as sent: a resend with the same id and body is a duplicate, with a
///   different body a conflict.
/// - `device_alarms`: an alarm and its handling: raised → acknowledged → on site → confirmed (then
///   `hazard_id`, `inspection_id` of the hazard it became) or false alarm (reason, note). Repeats of
///   an open alarm of the same kind on the same device are counted on it (`repeats`).
/// - `device_plans`: how many devices of each kind an area (a village) is to get (the article's
///   plan for 瓜沥, spread over its villages by the demo); a town's plan is its villages' sum.
struct CreateDevices: AsyncMigration {
    var name: String { "014_CreateDevices" }

    func prepare(on database: any Database) async throws {
        try await database.schema("iot_platforms")
            .field("id", .string, .identifier(auto: false))
            .field("name", .string, .required)
            .field("area_code", .string, .required, .references("areas", "code"))
            .field("secret", .string, .required)
            .field("active", .bool, .required)
            .field("created_by", .string, .required)
            .field("created_at", .datetime, .required)
            .create()
        try await database.schema("devices")
            .field("id", .uuid, .identifier(auto: false))
            .field("platform_id", .string, .required, .references("iot_platforms", "id"))
            .field("serial", .string, .required)
            .field("kind", .string, .required)
            .field("vendor", .string, .required)
            .field("subject_id", .uuid, .required, .references("subjects", "id"))
            .field("room", .string)
            .field("installed_on", .string)
            .field("latitude", .double)
            .field("longitude", .double)
            .field("town_code", .string, .required)
            .field("village_code", .string, .required)
            .field("grid_code", .string, .required)
            .field("micro_grid_code", .string, .required)
            .field("registered_at", .datetime, .required)
            .field("last_message_at", .datetime)
            .field("offline_since", .datetime)
            .field("fault_since", .datetime)
            .field("battery_low_since", .datetime)
            .field("maintenance_since", .datetime)
            .unique(on: "platform_id", "serial")
            .create()
        try await database.schema("device_messages")
            .field("platform_id", .string, .required)
            .field("event_id", .string, .required)
            .field("body_sha256", .string, .required)
            .field("device_id", .uuid, .required, .references("devices", "id"))
            .field("kind", .string, .required)
            .field("occurred_at", .datetime, .required)
            .field("received_at", .datetime, .required)
            .field("alarm_id", .uuid)
            .unique(on: "platform_id", "event_id")
            .create()
        try await database.schema("device_alarms")
            .field("id", .uuid, .identifier(auto: false))
            .field("device_id", .uuid, .required, .references("devices", "id"))
            .field("subject_id", .uuid, .required, .references("subjects", "id"))
            .field("town_code", .string, .required)
            .field("village_code", .string, .required)
            .field("grid_code", .string, .required)
            .field("micro_grid_code", .string, .required)
            .field("kind", .string, .required)
            .field("state", .string, .required)
            .field("raised_at", .datetime, .required)
            .field("repeats", .int, .required)
            .field("town_alerted", .bool, .required)
            .field("acknowledged_at", .datetime)
            .field("acknowledged_by", .string)
            .field("on_site_at", .datetime)
            .field("on_site_by", .string)
            .field("closed_at", .datetime)
            .field("closed_by", .string)
            .field("false_alarm_reason", .string)
            .field("note", .string)
            .field("item_code", .string)
            .field("hazard_id", .uuid)
            .field("inspection_id", .uuid)
            .create()
        try await database.schema("device_plans")
            .field("area_code", .string, .required, .references("areas", "code"))
            .field("kind", .string, .required)
            .field("planned", .int, .required)
            .unique(on: "area_code", "kind")
            .create()
        guard let sql = database as? any SQLDatabase else { return }
        for (name, table, columns) in [
            ("devices_subject", "devices", ["subject_id"]),
            ("devices_village", "devices", ["village_code", "kind"]),
            ("devices_town", "devices", ["town_code", "kind"]),
            ("devices_last_message", "devices", ["offline_since", "last_message_at"]),
            ("device_messages_device", "device_messages", ["device_id", "occurred_at"]),
            ("device_alarms_device", "device_alarms", ["device_id", "state"]),
            ("device_alarms_village", "device_alarms", ["village_code", "state"]),
            ("device_alarms_micro_grid", "device_alarms", ["micro_grid_code", "state"]),
            ("device_alarms_state", "device_alarms", ["state", "raised_at"]),
        ] {
            var builder = sql.create(index: name).on(table)
            for column in columns { builder = builder.column(column) }
            try await builder.run()
        }
    }

    func revert(on database: any Database) async throws {
        for table in ["device_plans", "device_alarms", "device_messages", "devices", "iot_platforms"] {
            try await database.schema(table).delete()
        }
    }
}
