import Fluent

/// 010: when a webhook subscription was removed (`DELETE /api/v1/webhooks/{id}`). A removed
/// subscription is gone for its readers: not listed, its deliveries 404, a second DELETE 404.
/// Its rows stay for the audit of what was sent. A subscription stopped after repeated failures
/// (`active` false, `removed_at` null) is still listed with its deliveries.
struct AddWebhookRemoval: AsyncMigration {
    var name: String { "010_AddWebhookRemoval" }

    func prepare(on database: any Database) async throws {
        try await database.schema("webhook_subscriptions").field("removed_at", .datetime).update()
    }

    func revert(on database: any Database) async throws {
        try await database.schema("webhook_subscriptions").deleteField("removed_at").update()
    }
}
