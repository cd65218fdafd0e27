import Vapor

/// Sets up the SMS provider and the background sender. (Filled in by the outbox work.)
func configureMessaging(_ app: Application) throws {}

/// `GET /api/v1/messages` and the `/messages` page. (Filled in by the outbox work.)
func messagingRoutes(_ app: Application, api: any RoutesBuilder) {}
