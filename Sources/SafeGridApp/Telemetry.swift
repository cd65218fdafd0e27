import Foundation
import Metrics
import Prometheus
import Vapor

/// Prometheus metrics at `/metrics`: Vapor's request counters and latency histograms by route
/// (through swift-metrics, bootstrapped once per process by the `safegrid` entry point), job
/// durations, and queue depths read from the database at scrape time.
enum Telemetry {
    static let registry = PrometheusCollectorRegistry()

    /// Sends swift-metrics (Vapor's `http_requests_total`, `http_request_duration_seconds`) to
    /// the registry. Once per process; tests do not call it.
    static func bootstrap() {
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
    }

    static let jobBuckets: [Duration] = [.milliseconds(5), .milliseconds(25), .milliseconds(100), .milliseconds(500),
                                         .seconds(1), .seconds(5), .seconds(30), .seconds(120)]

    /// Records how long one pass of a background job took (`job`: `deadlines`, `sms_outbox`).
    static func recordJob(_ job: String, _ duration: Duration) {
        registry.makeDurationHistogram(name: "safegrid_job_duration_seconds", labels: [("job", job)], buckets: jobBuckets)
            .record(duration)
    }

    /// Counts a stored row that could not be read (``StoredRow``):
    /// `safegrid_undecodable_rows_total{table}`.
    static func countUndecodable(table: String) {
        registry.makeCounter(name: "safegrid_undecodable_rows_total", labels: [("table", table)]).increment()
    }

    static func scrape(_ req: Request) async throws -> Response {
        let queries = MetricsQueries(sql: req.sql)
        // Every known state is reported, 0 when it has no rows, so a state's gauge never goes stale.
        var states: [String: Int] = ["queued": 0, "sending": 0, "sent": 0, "delivered": 0, "failed": 0]
        states.merge(try await queries.recipientsByState()) { _, counted in counted }
        for (state, n) in states {
            registry.makeGauge(name: "safegrid_sms_recipients", labels: [("state", state)]).set(Double(n))
        }
        let overdue = try await queries.overdueHazards(at: req.services.now())
        registry.makeGauge(name: "safegrid_hazards_overdue").set(Double(overdue))
        let response = Response(status: .ok, body: .init(data: Data(registry.emitToBuffer())))
        response.headers.replaceOrAdd(name: .contentType, value: "text/plain; version=0.0.4; charset=utf-8")
        return response
    }
}
