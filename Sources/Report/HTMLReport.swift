// The HTML report: one self-contained file (inline CSS and SVG, no scripts, no external fonts) that a learner can
// open from disk or attach to an issue. Sections, top to bottom: what ran and what happened; the event-time vs
// processing-time chart with its lanes; latency; late records with the rule that decided each; the Spark-vs-Flink
// comparison; faults; and the raw per-engine detail tables, folded away.
import OrderedCollections
import SimCore

/// Renders `RunObservations` as a self-contained HTML page.
public enum HTMLReport {
    /// Tables longer than this are cut, with a note saying how many rows were left out (the page stays usable for
    /// runs with many thousands of records; the charts always show everything).
    static let maximumTableRows = 400

    /// The complete HTML document. Byte-identical for equal observations.
    public static func render(_ observations: RunObservations) -> String {
        let o = observations
        var w = MarkupWriter()
        w.line("<!DOCTYPE html>")
        w.line(#"<html lang="en">"#)
        w.line("<head>")
        w.line(#"<meta charset="utf-8"/>"#)
        w.line(#"<meta name="viewport" content="width=device-width, initial-scale=1"/>"#)
        w.element("title", text: "StreamSim report — \(o.scenarioName)")
        w.raw("\n<style>\n\(stylesheet)</style>\n</head>\n<body>\n<main>\n")
        header(&w, o)
        mainChart(&w, o)
        latency(&w, o)
        lateRecords(&w, o)
        differences(&w, o)
        faults(&w, o)
        details(&w, o)
        w.element("footer", text: "StreamSim report · scenario \(o.scenarioName) · seed \(o.seed) · trace digest \(o.traceDigest). The same scenario and seed give this same file, byte for byte.")
        w.raw("\n</main>\n</body>\n</html>\n")
        return w.output
    }

    // MARK: sections

    static func header(_ w: inout MarkupWriter, _ o: RunObservations) {
        w.line("<header>")
        w.element("h1", text: o.scenarioName)
        w.raw("\n<p class=\"meta\">")
        w.element("span", text: "seed \(o.seed)")
        w.element("span", text: "trace digest ")
        w.element("code", [("title", o.traceDigest)], text: o.traceDigest)
        w.element("span", text: "virtual time \(o.start) → \(o.end)")
        w.line("</p>")
        if !o.scenarioDescription.isEmpty { w.element("p", [("class", "description")], text: o.scenarioDescription) }
        w.raw("\n")
        w.element("p", [("class", "summary")], text: RunSummary.paragraph(o))
        w.raw("\n")
        if o.engines.contains(where: { !$0.settings.isEmpty }) {
            w.line(#"<div class="settings">"#)
            for e in o.engines where !e.settings.isEmpty {
                w.raw(#"<div class="engine-settings">"#)
                w.element("strong", [("style", "color:\(colour(e.engine, o))")], text: e.displayName)
                w.raw("<dl>")
                for s in e.settings {
                    w.element("dt", text: s.name)
                    w.element("dd", text: s.text)
                }
                w.line("</dl></div>")
            }
            w.line("</div>")
        }
        w.line("</header>")
    }

    static func mainChart(_ w: inout MarkupWriter, _ o: RunObservations) {
        w.line(#"<section id="timeline">"#)
        w.element("h2", text: "Event time against processing time")
        w.raw("\n")
        w.element("p", [("class", "howto")], text: """
            Each dot is one input record: across, when it reached the log; up, when it happened. The dashed diagonal \
            is "no delay": the further a dot sits below it, the later it arrived. Each engine's watermark is a step \
            line (its claim "no more records older than this"). A window — a grey band — fires once its engine's \
            watermark reaches the top of the band (a star marks the result). A record whose window's end is already \
            below the line it is judged against is late; the outlined shape around it says what that engine did with \
            it. Hover over anything for the details.
            """)
        w.raw("\n")
        legend(&w, o)
        w.raw(#"<div class="scroll">"#)
        w.raw(TimelineChart(observations: o).render())
        w.line("</div>")
        w.line("</section>")
    }

    static func legend(_ w: inout MarkupWriter, _ o: RunObservations) {
        func swatch(_ w: inout MarkupWriter, _ svgBody: String, _ label: String) {
            w.raw(#"<span class="legend-item"><svg xmlns="http://www.w3.org/2000/svg" width="30" height="18" viewBox="0 0 30 18">"#)
            w.raw(svgBody)
            w.raw("</svg>")
            w.element("span", text: label)
            w.raw("</span>\n")
        }
        w.line(#"<div class="legend">"#)
        w.raw(#"<div class="legend-row"><span class="legend-head">keys</span>"#)
        for (key, colour) in ReportStyle.keyColours(ReportStyle.keys(of: o)) {
            swatch(&w, #"<circle cx="15" cy="9" r="5" fill="\#(colour)"/>"#, key)
        }
        swatch(&w, ##"<path d="\##(FateShape.path(.malformed, cx: 15, cy: 9.5, size: 6))" fill="#64748b"/>"##, "malformed record")
        swatch(&w, #"<line x1="2" y1="16" x2="28" y2="2" class="ideal"/>"#, "event time = processing time")
        swatch(&w, #"<rect x="2" y="3" width="26" height="12" class="band band-a"/>"#, "window [start, end)")
        w.line("</div>")
        for e in o.engines {
            let c = colour(e.engine, o)
            w.raw(#"<div class="legend-row"><span class="legend-head" style="color:\#(c)">\#(Markup.escape(e.engine.rawValue))</span>"#)
            swatch(&w, #"<path d="M2 14H14V5H28" class="wm wm-effective" stroke="\#(c)"/>"#, "watermark")
            let roles = Set(e.watermarks.map(\.role))
            if roles.contains(.input) {
                swatch(&w, #"<path d="M2 14H14V5H28" class="wm wm-input" stroke="\#(c)"/>"#, "per-input watermark (the line above is their minimum)")
            }
            if roles.contains(.lateThreshold) {
                swatch(&w, #"<path d="M2 14H14V5H28" class="wm wm-threshold" stroke="\#(c)"/>"#, "late-record threshold (previous batch's watermark)")
            }
            swatch(&w, #"<path d="\#(FateShape.star(cx: 15, cy: 9, size: 7))" fill="\#(c)" stroke="\#(c)"/>"#, "window result")
            if e.firings.contains(where: { $0.pane > 0 }) {
                swatch(&w, ##"<path d="\##(FateShape.star(cx: 15, cy: 9, size: 7))" fill="#ffffff" stroke="\##(c)" class="firing"/>"##, "late firing")
            }
            for fate in LateRecord.Fate.allCases where fate != .malformed && e.lateRecords.contains(where: { $0.fate == fate }) {
                swatch(&w, ##"<circle cx="15" cy="9" r="3" fill="#94a3b8"/><path d="\##(FateShape.path(fate, cx: 15, cy: 9, size: 6))" stroke="\##(c)" class="fate"/>"##,
                       ReportStyle.name(of: fate))
            }
            w.line("</div>")
        }
        w.line("</div>")
    }

    static func latency(_ w: inout MarkupWriter, _ o: RunObservations) {
        guard !o.engines.isEmpty else { return }
        w.line(#"<section id="latency">"#)
        w.element("h2", text: "Latency")
        w.raw("\n")
        w.element("p", [("class", "howto")], text: "How long after a record happened its contribution became visible in the sink. Both charts share one scale.")
        w.raw("\n")
        w.raw(LatencyHistogram(observations: o).render())
        w.line("</section>")
    }

    static func lateRecords(_ w: inout MarkupWriter, _ o: RunObservations) {
        w.line(#"<section id="late">"#)
        w.element("h2", text: "Late and unusable records")
        w.raw("\n")
        var rows: [[Cell]] = []
        for e in o.engines {
            for l in e.lateRecords {
                let r = o.record(l.recordID)
                rows.append([
                    .engine(e.engine, colour(e.engine, o)), .code(l.recordID), .text(r?.key ?? ""),
                    .time(r?.eventTime.map(NumberText.eventTime) ?? "—"), .time(r.map { NumberText.processingTime($0.appendTime) } ?? "—"),
                    .time(l.window.map(NumberText.window) ?? "—"), .fate(l.fate), .time(NumberText.processingTime(l.at)), .text(l.rule),
                ])
            }
        }
        table(&w, headers: ["engine", "record", "key", "event time", "appended", "window", "fate", "decided at", "rule"], rows: rows,
              empty: "No engine treated any record as late.")
        w.line("</section>")
    }

    static func differences(_ w: inout MarkupWriter, _ o: RunObservations) {
        w.line(#"<section id="diff">"#)
        w.element("h2", text: "Spark vs Flink: final results")
        w.raw("\n")
        var rows: [[Cell]] = []
        for d in o.differences {
            let differing = Set(differingNames(d.spark, d.flink))
            rows.append([.time(NumberText.window(d.window)), .text(d.key), .values(d.spark, differing), .values(d.flink, differing), .label(d.label)])
        }
        table(&w, headers: ["window", "key", "Spark", "Flink", "label"], rows: rows, empty: "No cells were compared.")
        w.line("</section>")
    }

    static func faults(_ w: inout MarkupWriter, _ o: RunObservations) {
        var rows: [(ProcessingTime, Int, [Cell])] = []
        for f in o.faults { rows.append((f.at, rows.count, [.time(NumberText.processingTime(f.at)), .text("system"), .text(f.kind.rawValue), .text(f.text)])) }
        for e in o.engines {
            for i in e.incidents {
                rows.append((i.at, rows.count, [.time(NumberText.processingTime(i.at)), .engine(e.engine, colour(e.engine, o)), .text(i.kind.rawValue), .text(i.text)]))
            }
        }
        guard !rows.isEmpty else { return }
        w.line(#"<section id="faults">"#)
        w.element("h2", text: "Faults, crashes and restarts")
        w.raw("\n")
        table(&w, headers: ["at", "where", "what", "details"], rows: rows.sorted { ($0.0, $0.1) < ($1.0, $1.1) }.map(\.2), empty: "")
        w.line("</section>")
    }

    /// Per-engine raw tables, folded: the batches, checkpoints, watermark changes and every emitted result.
    static func details(_ w: inout MarkupWriter, _ o: RunObservations) {
        guard !o.engines.isEmpty else { return }
        w.line(#"<section id="details">"#)
        w.element("h2", text: "Engine details")
        w.raw("\n")
        for e in o.engines {
            if !e.batches.isEmpty {
                fold(&w, "\(e.displayName): \(RunSummary.count(e.batches.count, "micro-batch", plural: "micro-batches"))") { w in
                    table(&w, headers: ["batch", "kind", "start", "end", "watermark used", "rows in", "rows out", "dropped by watermark"],
                          rows: e.batches.map { b in
                              [.text("\(b.id)"), .text(b.kind == .data ? "data" : "no data"), .time(NumberText.processingTime(b.start)),
                               .time(NumberText.processingTime(b.end)), .time(NumberText.eventTime(b.watermark)), .text("\(b.rowsIn)"),
                               .text("\(b.rowsOut)"), .text("\(b.droppedByWatermark)")]
                          }, empty: "")
                }
            }
            if !e.checkpoints.isEmpty {
                fold(&w, "\(e.displayName): \(RunSummary.count(e.checkpoints.count, "checkpoint"))") { w in
                    table(&w, headers: ["checkpoint", "triggered", "finished", "status", "note"],
                          rows: e.checkpoints.map { c in
                              [.text("\(c.id)"), .time(NumberText.processingTime(c.triggered)), .time(c.finished.map(NumberText.processingTime) ?? "—"),
                               .text(c.status.rawValue), .text(c.note)]
                          }, empty: "")
                }
            }
            fold(&w, "\(e.displayName): \(RunSummary.count(e.watermarks.count, "watermark change"))") { w in
                table(&w, headers: ["at", "watermark", "role", "source", "why it moved"],
                      rows: e.watermarks.map { p in
                          [.time(NumberText.processingTime(p.at)), .time(NumberText.eventTime(p.watermark)), .text(p.role.rawValue), .text(p.source), .text(p.reason)]
                      }, empty: "No watermark was observed.")
            }
            fold(&w, "\(e.displayName): \(RunSummary.count(e.firings.count, "window result"))") { w in
                table(&w, headers: ["fired at", "window", "key", "pane", "cause", "batch", "values"],
                      rows: e.firings.map { f in
                          [.time(NumberText.processingTime(f.firedAt)), .time(NumberText.window(f.window)), .text(f.key), .text("\(f.pane)"),
                           .text(f.cause.rawValue), .text(f.batchID.map { "\($0)" } ?? "—"), .values(f.values, [])]
                      }, empty: "No window result was emitted.")
            }
        }
        w.line("</section>")
    }

    // MARK: building blocks

    static func colour(_ e: EngineID, _ o: RunObservations) -> String { ReportStyle.colour(of: e, among: o.engines.map(\.engine)) }

    /// Column names whose text differs between the two sides (or that only one side has).
    static func differingNames(_ a: [NamedText]?, _ b: [NamedText]?) -> [String] {
        guard let a, let b else { return [] }
        var out: [String] = []
        for v in a where b.first(where: { $0.name == v.name })?.text != v.text { out.append(v.name) }
        for v in b where !a.contains(where: { $0.name == v.name }) { out.append(v.name) }
        return out
    }

    enum Cell {
        case text(String)
        case code(String)
        /// Text that must stay on one line (times, windows).
        case time(String)
        case engine(EngineID, String)
        case fate(LateRecord.Fate)
        case values([NamedText]?, Set<String>)
        case label(ResultDifference.Label)
    }

    static func table(_ w: inout MarkupWriter, headers: [String], rows: [[Cell]], empty: String) {
        guard !rows.isEmpty else {
            if !empty.isEmpty { w.element("p", [("class", "empty-note")], text: empty) }
            w.raw("\n")
            return
        }
        w.raw("<table>\n<thead><tr>")
        for h in headers { w.element("th", text: h) }
        w.raw("</tr></thead>\n<tbody>\n")
        for row in rows.prefix(maximumTableRows) {
            w.raw("<tr>")
            for cell in row { self.cell(&w, cell) }
            w.raw("</tr>\n")
        }
        w.raw("</tbody>\n</table>\n")
        if rows.count > maximumTableRows {
            w.element("p", [("class", "empty-note")], text: "… and \(rows.count - maximumTableRows) more rows, left out to keep the page small.")
            w.raw("\n")
        }
    }

    static func cell(_ w: inout MarkupWriter, _ cell: Cell) {
        switch cell {
        case .text(let t): w.element("td", text: t)
        case .code(let t): w.raw("<td>"); w.element("code", text: t); w.raw("</td>")
        case .time(let t): w.element("td", [("class", "nowrap")], text: t)
        case .engine(let e, let c): w.element("td", [("style", "color:\(c);font-weight:600")], text: e.rawValue)
        case .fate(let f): w.element("td", [("class", "fate-\(f.rawValue)")], text: ReportStyle.name(of: f))
        case .label(let l):
            switch l {
            case .same: w.element("td", [("class", "label-same")], text: "same")
            case .unexplained:
                w.raw(#"<td class="label-unexplained">"#)
                w.element("span", text: "unexplained — no rule explains this; look for a model bug")
                w.raw("</td>")
            case .expected(let reason):
                w.raw(#"<td class="label-expected">"#)
                w.element("strong", text: "expected")
                w.element("span", text: " — " + reason)
                w.raw("</td>")
            }
        case .values(let values, let differing):
            guard let values else { w.element("td", [("class", "missing")], text: "no result"); return }
            w.raw("<td>")
            for (i, v) in values.enumerated() {
                if i > 0 { w.raw(", ") }
                w.element("span", [("class", differing.contains(v.name) ? "differs" : nil)], text: "\(v.name)=\(v.text)")
            }
            w.raw("</td>")
        }
    }

    static func fold(_ w: inout MarkupWriter, _ summary: String, _ body: (inout MarkupWriter) -> Void) {
        w.raw("<details>")
        w.element("summary", text: summary)
        w.raw("\n")
        body(&w)
        w.line("</details>")
    }
}
