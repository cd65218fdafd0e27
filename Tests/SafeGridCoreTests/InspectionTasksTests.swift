import Foundation
import Testing
@testable import SafeGridCore

private func day(_ s: String) -> CalendarDate { shanghaiDay(s) }
private func field(_ body: () throws -> Void) -> String? { domainErrorField(body) }

@Suite struct TaskQuotaTests {
    @Test func weekdaysAndPeriods() {
        #expect(day("2026-11-30").isoWeekday == 1)
        #expect(day("2026-11-18").isoWeekday == 3)
        #expect(day("2024-02-29").isoWeekday == 4)
        #expect(day("1970-01-01").isoWeekday == 4)
        #expect(day("1969-12-31").isoWeekday == 3)
        let week = QuotaPeriod.week.bounds(containing: day("2026-11-18"))
        #expect([week.first, week.last] == [day("2026-11-16"), day("2026-11-22")])
        let sunday = QuotaPeriod.week.bounds(containing: day("2026-11-22"))
        #expect(sunday.first == day("2026-11-16"))
        let month = QuotaPeriod.month.bounds(containing: day("2026-11-18"))
        #expect([month.first, month.last] == [day("2026-11-01"), day("2026-11-30")])
        #expect(QuotaPeriod.month.bounds(containing: day("2024-02-10")).last == day("2024-02-29"))
        #expect(QuotaPeriod.month.bounds(containing: day("2023-02-28")).last == day("2023-02-28"))
        #expect(QuotaPeriod.month.bounds(containing: day("2026-12-31")).first == day("2026-12-01"))
        #expect(QuotaPeriod.month.bounds(containing: day("2026-01-01")).last == day("2026-01-31"))
    }

    /// The defaults are the routine load of 瓜沥 (article figures) shared among its workers.
    @Test func defaultsFollowTheRoutineLoad() {
        let guali: [SubjectKind: Int] = [.enterprise: 2_928, .streetShop: 5_351, .rentalHousing: 3_113, .smallMicroPark: 18]
        for worker in TaskQuota.Worker.allCases {
            let workers = worker == .gridWorker ? BundledAreas.gualiGrids : BundledAreas.gualiMicroGrids
            for period in QuotaPeriod.allCases {
                #expect(TaskQuota.default(for: worker, period: period).target ==
                        TaskQuota.derivedTarget(subjects: guali, workers: workers, period: period), "\(worker) \(period)")
            }
        }
        #expect(TaskQuota.default(for: .gridWorker, period: .month).target == 40)
        #expect(TaskQuota.default(for: .gridWorker, period: .week).target == 9)
        #expect(TaskQuota.default(for: .microGridWorker, period: .month).target == 3)
        #expect(TaskQuota.default(for: .microGridWorker, period: .week).target == 1)
    }

    @Test func progressCountsThePeriodOnly() throws {
        let quota = TaskQuota.default(for: .gridWorker, period: .week)
        let done = ["2026-11-15", "2026-11-16", "2026-11-17", "2026-11-17", "2026-11-20", "2026-11-22", "2026-11-23"].map(day)
        let p = quota.progress(completedOn: done, on: day("2026-11-18"))
        #expect([p.first, p.last] == [day("2026-11-16"), day("2026-11-22")])
        #expect(p.done == 5)
        #expect(p.remaining == 4)
        #expect(!p.isMet)
        #expect(p.basisPoints == 5_556)   // 5 ÷ 9 = 55.56%
        let over = try TaskQuota(worker: .microGridWorker, period: .month, target: 2).progress(completedOn: done, on: day("2026-11-30"))
        #expect(over.done == 7)
        #expect(over.isMet)
        #expect(over.remaining == 0)
        #expect(over.basisPoints == 10_000)
        #expect(field { _ = try TaskQuota(worker: .gridWorker, period: .week, target: 0) } == "target")
        #expect(field { _ = try TaskQuota(worker: .gridWorker, period: .week, target: -3) } == "target")
    }
}

@Suite struct TodayTasksTests {
    // 瓜沥: a grid of 航民村 and two of its micro-grids; a micro-grid of another grid.
    let grid = "33010911320101"
    var mgA: String { grid + "001" }
    var mgB: String { grid + "002" }
    let elsewhere = "33010911320201001"
    let today = day("2026-11-20")
    let worker = GeoPoint(unchecked: 30.1500, 120.4500, .gcj02)

    private func point(_ dLat: Double) -> GeoPoint { GeoPoint(unchecked: 30.1500 + dLat, 120.4500, .gcj02) }

    private func directed(_ subject: UUID, area: String, assigned: String = "2026-11-19", due: String,
                          completed: String? = nil) throws -> DirectedTask {
        try DirectedTask(id: UUID(), subjectId: subject, areaCode: area, assignedBy: "瓜沥镇平安办", assignedOn: day(assigned),
                         dueOn: day(due), reason: "群众投诉：楼道堆放电动车", completedOn: completed.map(day))
    }

    @Test func directedTaskRules() {
        let s = UUID()
        #expect(field { _ = try DirectedTask(id: UUID(), subjectId: s, areaCode: "330109113", assignedBy: "平安办",
                                             assignedOn: today, dueOn: today, reason: "复查") } == "areaCode")
        #expect(field { _ = try DirectedTask(id: UUID(), subjectId: s, areaCode: grid, assignedBy: "平安办",
                                             assignedOn: today, dueOn: today.adding(days: -1), reason: "复查") } == "dueOn")
        #expect(field { _ = try DirectedTask(id: UUID(), subjectId: s, areaCode: grid, assignedBy: "平安办",
                                             assignedOn: today, dueOn: today, reason: "  ") } == "reason")
        #expect(field { _ = try DirectedTask(id: UUID(), subjectId: s, areaCode: grid, assignedBy: "",
                                             assignedOn: today, dueOn: today, reason: "复查") } == "assignedBy")
        #expect(field { _ = try DirectedTask(id: UUID(), subjectId: s, areaCode: grid, assignedBy: "平安办",
                                             assignedOn: today, dueOn: today, reason: "复查",
                                             completedOn: today.adding(days: -2)) } == "completedOn")
    }

    @Test func todayMergesRoutineAndDirectedNearestFirst() throws {
        let near = UUID(), far = UUID(), both = UUID(), future = UUID(), outside = UUID(), noPlace = UUID(), done = UUID()
        // Routine tasks from the risk-based frequency, for the week from 11-16.
        let subjects: [InspectionFrequency.TaskSubject] = [
            .init(subjectId: near, kind: .rentalHousing, areaCode: mgA, lastInspectedOn: day("2026-10-15"), location: point(0.001)),
            .init(subjectId: far, kind: .enterprise, areaCode: mgB, lastInspectedOn: day("2026-09-21"),
                  worstOpenSeverity: .serious, location: point(0.02)),          // 14 days → behind, due 11-16
            .init(subjectId: both, kind: .streetShop, areaCode: mgB, lastInspectedOn: day("2026-08-22"), location: point(0.005)),
            .init(subjectId: future, kind: .rentalHousing, areaCode: mgA, lastInspectedOn: day("2026-10-22"), location: point(0.0001)),
            .init(subjectId: outside, kind: .rentalHousing, areaCode: elsewhere, lastInspectedOn: nil, location: point(0)),
        ]
        let routine = try InspectionFrequency.tasks(for: subjects, from: day("2026-11-16"), through: day("2026-11-22"))
        #expect(routine.first { $0.subjectId == future }?.dueOn == day("2026-11-21"), "due tomorrow")
        let directedTasks = [
            try directed(both, area: mgB, due: "2026-11-25"),
            try directed(noPlace, area: grid, due: "2026-11-27"),
            try directed(outside, area: elsewhere, due: "2026-11-20"),
            try directed(done, area: mgA, due: "2026-11-19", completed: "2026-11-19"),
            try directed(UUID(), area: mgA, assigned: "2026-11-21", due: "2026-11-22"),   // not yet assigned
        ]
        let list = try InspectionTasks.today(routine: routine, directed: directedTasks, workerArea: grid, on: today, from: worker)
        #expect(list.map(\.subjectId) == [near, both, far, noPlace], "nearest first; no location last")
        let byId = Dictionary(uniqueKeysWithValues: list.map { ($0.subjectId, $0) })
        // near: rental, every 30 days from 10-15 → due 11-14, generated behind → due 11-16, 4 days late.
        #expect(byId[near]?.dueOn == day("2026-11-16"))
        #expect(byId[near]?.isOverdue == true)
        #expect(byId[near]?.overdueDays == 4)
        #expect(abs((byId[near]?.metres ?? 0) - 111) <= 2)
        // both: a routine shop task (08-22 + 90 → 11-20, due today) and a directed one: one line.
        #expect(byId[both]?.dueOn == today)
        #expect(byId[both]?.isOverdue == false)
        #expect(byId[both]?.routine != nil)
        #expect(byId[both]?.directed.count == 1)
        #expect(byId[far]?.routine?.reason == .openSeriousHazard)
        #expect(byId[noPlace]?.dueOn == day("2026-11-27"))
        #expect(byId[noPlace]?.metres == nil)
        #expect(byId[future] == nil, "routine task due after today")

        // Without a position: by due day.
        let plain = try InspectionTasks.today(routine: routine, directed: directedTasks, workerArea: grid, on: today, from: nil)
        #expect(plain.map(\.subjectId) == [near, far, both, noPlace].sorted {
            (byId[$0]!.dueOn, byId[$0]!.areaCode, $0.uuidString) < (byId[$1]!.dueOn, byId[$1]!.areaCode, $1.uuidString)
        })
        #expect(plain.first?.dueOn == day("2026-11-16"))
        #expect(plain.allSatisfy { $0.metres == nil })

        // A micro-grid worker sees their micro-grid only.
        let micro = try InspectionTasks.today(routine: routine, directed: directedTasks, workerArea: mgA, on: today, from: worker)
        #expect(micro.map(\.subjectId) == [near])
        // A located directed task gets its place from the map.
        let located = try InspectionTasks.today(routine: [], directed: directedTasks, workerArea: grid, on: today, from: worker,
                                                locations: [noPlace: point(0.0005)])
        #expect(located.map(\.subjectId) == [noPlace, both])
        #expect(field { _ = try InspectionTasks.today(routine: [], directed: [], workerArea: "330109113", on: today, from: nil) } ==
                "workerArea")
    }
}
