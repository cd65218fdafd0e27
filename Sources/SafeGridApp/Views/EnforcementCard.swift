import Foundation
import Plot
import SafeGridCore

enum EnforcementCard {
    /// The dashboard card 综合执法 Joint enforcement: actions (次), share of the district (%),
    /// enterprises closed and with demolitions (家), m² demolished, 亩 freed.
    static func card(_ f: EnforcementFigures) -> Node<HTML.BodyContext> {
        .div(.class("card"),
             .h3(.text("综合执法"), .span(.class("en"), .text("Joint enforcement"))),
             .div(.class("stats"),
                  Layout.stat("行动(次)", String(f.actions), "actions"),
                  Layout.stat("占全区", EnforcementController.percentText(tenths: f.share.tenthsOfPercent), "of the district"),
                  Layout.stat("关停企业(家)", String(f.enterprisesClosed), "closed"),
                  Layout.stat("拆违企业(家)", String(f.enterprisesWithDemolitions), "with demolitions"),
                  Layout.stat("拆除面积(m²)", String(Int(f.squareMetresDemolished.rounded())), "demolished"),
                  Layout.stat("腾出空间(亩)", String(format: "%.2f", f.muFreed), "land freed")))
    }
}
