import Foundation
import Plot
import SafeGridCore
import Vapor

/// `/imports`: the ledger upload page. Choose a file and its kind (subjects, hazards,
/// incidents or devices); 试运行 (dry run) stores the
/// file and shows per row what would be created, updated, left unchanged or rejected, with the
/// column and reason; 导入 (apply) then writes the good rows of that same file. Rejected rows
/// download as CSV or XLSX with an added 导入问题 column, to fix and upload again.
enum ImportsPage {
    struct Upload: Content {
        var file: File
        var kind: String?
    }

    static func form(_ req: Request) async throws -> Response {
        Layout.page(title: "台账导入", subtitle: "Ledger import", nodes: [uploadForm()])
    }

    static func uploadForm() -> Node<HTML.BodyContext> {
        .form(.method(.post), .action("/imports"), .enctype(.multipartData),
              Layout.csrfField(),
              .label(.text("台账文件 File (.xlsx / .csv)"),
                     .input(.type(.file), .name("file"), .attribute(named: "accept", value: ".xlsx,.csv,.txt,.tsv"), .required(true))),
              .label(.text("类型 Kind"),
                     .select(.attribute(named: "name", value: "kind"),
                             .option(.value("subjects"), .label("主体台账 Subjects"), .isSelected(true)),
                             .option(.value("hazards"), .label("隐患台账 Hazards")),
                             .option(.value("incidents"), .label("警情台账 Incidents (有效警情 / 火警 / 交通事故)")),
                             .option(.value("devices"), .label("设备台账 Devices (智慧烟感 / 生命通道监控 / 充电桩 / 火点监测)")))),
              .button(.type(.submit), .text("试运行 Dry run")))
    }

    /// `POST /imports` (multipart): a dry run, then the report page.
    static func dryRun(_ req: Request) async throws -> Response {
        let upload = try req.content.decode(Upload.self)
        let kind: ImportKind = try Input.enumValue(upload.kind ?? "subjects", "kind")
        let report = try await ImportsController.runAndStore(Data(buffer: upload.file.data), options: .init(kind: kind, dryRun: true, townCode: nil, scope: req.jurisdiction),
                                                             fileName: upload.file.filename, app: req.application)
        return req.redirect(to: "/imports/\(report.id!.uuidString.lowercased())", redirectType: .normal)
    }

    /// `POST /imports/{id}/apply`: applies the dry run's file, then its report page.
    static func apply(_ req: Request) async throws -> Response {
        let report = try await ImportsController.applyStored(req)
        return req.redirect(to: "/imports/\(report.id!.uuidString.lowercased())", redirectType: .normal)
    }

    static let actionZh = ["created": "新增", "updated": "更新", "unchanged": "不变", "rejected": "未导入"]

    static func show(_ req: Request) async throws -> Response {
        let (id, stored) = try await ImportsController.load(req)
        let r = stored.report
        let t = r.totals
        let raw = id.uuidString.lowercased()
        let shown = r.rows.filter { $0.action == "rejected" || !$0.problems.isEmpty || $0.action != "unchanged" }.prefix(2_000)
        return Layout.page(
            title: (stored.dryRun ? "试运行结果" : "导入结果") + " · " + (ImportKind(rawValue: r.kind)?.zh ?? r.kind),
            subtitle: (stored.dryRun ? "Dry run" : "Import") + " · \(stored.fileName ?? "") · \(r.format)",
            nodes: [
                .div(.class("stats"),
                     Layout.stat("行数", "\(t.rows)", "Rows"), Layout.stat(stored.dryRun ? "将新增" : "新增", "\(t.created)", "Created"),
                     Layout.stat(stored.dryRun ? "将更新" : "更新", "\(t.updated)", "Updated"), Layout.stat("不变", "\(t.unchanged)", "Unchanged"),
                     Layout.stat("未导入", "\(t.rejected)", "Rejected")),
                .if(stored.dryRun && stored.hasFile,
                    .form(.method(.post), .action("/imports/\(raw)/apply"),
                          Layout.csrfField(),
                          .button(.type(.submit), .text("导入 Apply (\(t.created + t.updated) 行 rows)")))),
                .if(stored.dryRun && !stored.hasFile, .p(.text("此试运行已导入 This dry run has been applied."))),
                .if(t.rejected > 0,
                    .p(.text("下载未导入的行（含“导入问题”列），修改后重新上传 Download the rejected rows, fix and upload again: "),
                       .a(.href("/api/v1/imports/\(raw)/rejected.xlsx"), .text("XLSX")), .text(" · "),
                       .a(.href("/api/v1/imports/\(raw)/rejected.csv"), .text("CSV")))),
                .forEach(r.failedBatches) { .p(.class("overdue"), .text($0)) },
                .forEach(r.fileProblems) { .p(.text("文件 File: \($0.column.map { "\($0): " } ?? "")\($0.reason)")) },
                .table(
                    .tr(.th(.class("n"), .text("行 Row")), .th("结果 Action"), .th("更新列 Changed"), .th("问题 Problems (列 column: 原因 reason)")),
                    .forEach(Array(shown)) { row in
                        .tr(.td(.class("n"), .text("\(row.row)")),
                            .td(.text("\(actionZh[row.action] ?? row.action) \(row.action)")),
                            .td(.text(row.changed.joined(separator: "、"))),
                            .td(.forEach(row.problems) { p in
                                .div(.text((p.severity == "warning" ? "提示 " : "") + (p.column.map { c in "\(c)\(p.columnLetters.map { " (\($0))" } ?? ""): " } ?? "") + p.reason))
                            }))
                    }),
                .if(r.rows.count > shown.count, .p(.text("未列出的行均不变 Rows not listed are unchanged; the JSON report lists every row: "),
                                                      .a(.href("/api/v1/imports/\(raw)"), .text("/api/v1/imports/\(raw)")))),
                .h2(.text("再导入一个文件"), .span(.class("en"), .text("Import another file"))),
                uploadForm(),
            ])
    }
}
