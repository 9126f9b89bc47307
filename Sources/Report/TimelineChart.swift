// The main chart: event time (y) against processing time (x), the picture of the streaming literature
// (Akidau et al., Streaming Systems, ch. 2–3). Every record is a dot at (append time, event time); a record on the
// dashed diagonal arrived with no delay, one far below it arrived late. Each engine's watermark is a step line:
// a window [start, end) can fire once the line reaches `end`, and a record whose window end is below the line when
// it arrives is late. Under the chart, lanes on the same processing-time axis show Spark's micro-batches, Flink's
// checkpoints, firings, late records and faults, so a learner can read one vertical slice of time top to bottom.
import OrderedCollections
import SimCore

struct TimelineChart {
    let observations: RunObservations

    // Layout (pixels). The plot is wide enough for ~12 time labels and tall enough that 10 s windows are bands.
    let width = 1240.0
    let plotLeft = 92.0
    let plotTop = 28.0
    let plotHeight = 520.0
    let gutterWidth = 150.0
    let laneHeight = 46.0
    var plotRight: Double { width - gutterWidth }
    var plotBottom: Double { plotTop + plotHeight }
    var lanesTop: Double { plotBottom + 44 }

    var engineIDs: [EngineID] { observations.engines.map(\.engine) }
    func colour(_ e: EngineID) -> String { ReportStyle.colour(of: e, among: engineIDs) }

    // MARK: extents

    var processingExtent: TimeExtent {
        let o = observations
        var xs = [o.start.millisecondsSinceEpoch, o.end.millisecondsSinceEpoch]
        xs += o.records.map(\.appendTime.millisecondsSinceEpoch)
        xs += o.faults.map(\.at.millisecondsSinceEpoch)
        for e in o.engines {
            xs += e.watermarks.map(\.at.millisecondsSinceEpoch)
            xs += e.firings.map(\.firedAt.millisecondsSinceEpoch)
            xs += e.batches.flatMap { [$0.start.millisecondsSinceEpoch, $0.end.millisecondsSinceEpoch] }
            xs += e.checkpoints.flatMap { [$0.triggered, $0.finished ?? $0.triggered].map(\.millisecondsSinceEpoch) }
            xs += e.incidents.map(\.at.millisecondsSinceEpoch)
        }
        let fallback = o.start.millisecondsSinceEpoch...max(o.start.millisecondsSinceEpoch, o.end.millisecondsSinceEpoch)
        return TimeExtent(covering: xs, fallback: fallback).padded(by: 0.02)
    }

    /// Records and windows decide the event-time axis; watermarks only when there is nothing else, because Spark's
    /// first watermark is the epoch and would squash everything else into one line.
    var eventExtent: TimeExtent {
        let o = observations
        var ys = o.records.compactMap(\.eventTime?.millisecondsSinceEpoch)
        ys += windows.flatMap { [$0.start.millisecondsSinceEpoch, $0.end.millisecondsSinceEpoch] }
        if ys.isEmpty {
            ys = o.engines.flatMap(\.watermarks).map(\.watermark).filter { $0 != .min && $0 != .max }
                .map(\.millisecondsSinceEpoch)
        }
        let x = processingExtent
        return TimeExtent(covering: ys, fallback: x.lower...x.upper).padded(by: 0.04)
    }

    /// Every window any engine fired or judged a record late for, sorted.
    var windows: [EventWindow] {
        var set = OrderedSet<EventWindow>()
        for e in observations.engines {
            for f in e.firings { set.append(f.window) }
            for l in e.lateRecords { if let w = l.window { set.append(w) } }
        }
        for d in observations.differences { set.append(d.window) }
        return set.elements.sorted()
    }

    // MARK: rendering

    func render() -> String {
        let xExtent = processingExtent, yExtent = eventExtent
        let x = LinearScale(domain: xExtent, range: plotLeft...plotRight)
        let y = LinearScale(domain: yExtent, range: plotTop...plotBottom, reversed: true)
        let laneCount = observations.engines.count + 1
        let height = lanesTop + Double(laneCount) * laneHeight + 34
        var w = MarkupWriter()
        w.line(#"<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 \#(px(width)) \#(px(height))" width="\#(px(width))" height="\#(px(height))" role="img" aria-label="event time against processing time">"#)
        w.empty("rect", [("x", px(plotLeft)), ("y", px(plotTop)), ("width", px(plotRight - plotLeft)), ("height", px(plotHeight)), ("class", "plot-bg")])
        drawWindowBands(&w, y: y)
        drawGrid(&w, x: x, y: y, xExtent: xExtent, yExtent: yExtent, bottom: height - 34)
        drawDiagonal(&w, x: x, y: y, xExtent: xExtent, yExtent: yExtent)
        drawIncidentLines(&w, x: x, bottom: height - 34)
        for e in observations.engines { drawWatermarks(&w, engine: e, x: x, y: y) }
        drawRecords(&w, x: x, y: y)
        for e in observations.engines { drawFirings(&w, engine: e, x: x, y: y) }
        w.empty("rect", [("x", px(plotLeft)), ("y", px(plotTop)), ("width", px(plotRight - plotLeft)), ("height", px(plotHeight)), ("class", "plot-frame")])
        drawLanes(&w, x: x)
        w.line("</svg>")
        return w.output
    }

    private func drawGrid(_ w: inout MarkupWriter, x: LinearScale, y: LinearScale, xExtent: TimeExtent, yExtent: TimeExtent, bottom: Double) {
        let xTicks = Ticks.timeTicks(xExtent, maxTicks: Int((plotRight - plotLeft) / 95))
        w.line(#"<g class="grid">"#)
        for t in xTicks.values {
            let px0 = x(t)
            w.empty("line", [("x1", px(px0)), ("y1", px(plotTop)), ("x2", px(px0)), ("y2", px(bottom))])
        }
        let yTicks = Ticks.timeTicks(yExtent, maxTicks: Int(plotHeight / 42))
        for t in yTicks.values {
            w.empty("line", [("x1", px(plotLeft)), ("y1", px(y(t))), ("x2", px(plotRight)), ("y2", px(y(t)))])
        }
        w.line("</g>")
        w.line(#"<g class="axis-labels">"#)
        for t in xTicks.values {
            w.element("text", [("x", px(x(t))), ("y", px(plotBottom + 16)), ("text-anchor", "middle")], text: Ticks.timeLabel(t, step: xTicks.step))
            w.raw("\n")
        }
        for t in yTicks.values {
            w.element("text", [("x", px(plotLeft - 8)), ("y", px(y(t) + 4)), ("text-anchor", "end")], text: Ticks.timeLabel(t, step: yTicks.step))
            w.raw("\n")
        }
        let day = String(UTCTimestamp.iso8601(xExtent.lower).prefix(10))
        w.element("text", [("x", px((plotLeft + plotRight) / 2)), ("y", px(plotBottom + 34)), ("text-anchor", "middle"), ("class", "axis-title")],
                  text: "processing time — the virtual wall clock (UTC, \(day)) →")
        w.raw("\n")
        let cy = (plotTop + plotBottom) / 2
        w.element("text", [("x", "18"), ("y", px(cy)), ("text-anchor", "middle"), ("class", "axis-title"), ("transform", "rotate(-90 18 \(px(cy)))")],
                  text: "event time — the record's own timestamp (UTC) →")
        w.line("\n</g>")
    }

    /// Windows as horizontal bands on the event-time axis, with brackets and labels in the right-hand gutter.
    /// Overlapping (sliding) windows get their own bracket column.
    private func drawWindowBands(_ w: inout MarkupWriter, y: LinearScale) {
        let all = windows
        guard !all.isEmpty else { return }
        var columnEnds: [EventTime] = []
        var columns: [Int] = []
        for win in all {
            if let free = columnEnds.firstIndex(where: { $0 <= win.start }) {
                columnEnds[free] = win.end
                columns.append(free)
            } else {
                columnEnds.append(win.end)
                columns.append(columnEnds.count - 1)
            }
        }
        w.line(#"<g class="windows">"#)
        for (i, win) in all.enumerated() {
            let top = y.clamped(win.end.millisecondsSinceEpoch), bottom = y.clamped(win.start.millisecondsSinceEpoch)
            let title = "window \(NumberText.window(win))"
            if columns[i] == 0 {
                w.empty("rect", [("x", px(plotLeft)), ("y", px(top)), ("width", px(plotRight - plotLeft)), ("height", px(max(bottom - top, 0))),
                                 ("class", i % 2 == 0 ? "band band-a" : "band band-b")], title: title)
            }
            let bx = plotRight + 10 + Double(columns[i]) * 9
            w.empty("path", [("d", "M\(px(bx + 4)) \(px(top + 1))H\(px(bx))V\(px(bottom - 1))H\(px(bx + 4))"), ("class", "bracket")], title: title)
            if columns[i] == 0, bottom - top >= 13 {
                let label = Self.shortLabel(win)
                w.element("text", [("x", px(bx + Double(columnEnds.count) * 9 + 2)), ("y", px((top + bottom) / 2 + 4)), ("class", "window-label")], text: label)
                w.raw("\n")
            }
        }
        w.line("</g>")
    }

    /// `12:00:10–:20`: the end written only as far as it differs from the start, to fit the gutter.
    static func shortLabel(_ w: EventWindow) -> String {
        let start = NumberText.compactTime(w.start.millisecondsSinceEpoch), end = NumberText.compactTime(w.end.millisecondsSinceEpoch)
        let sameDay = w.end.millisecondsSinceEpoch - w.start.millisecondsSinceEpoch < 86_400_000
        if sameDay, start.prefix(6) == end.prefix(6) { return start + "–" + end.dropFirst(5) }
        if sameDay, start.prefix(3) == end.prefix(3) { return start + "–" + end.dropFirst(2) }
        return start + "–" + end
    }

    /// The line event time = processing time: a record on it arrived the instant it happened.
    private func drawDiagonal(_ w: inout MarkupWriter, x: LinearScale, y: LinearScale, xExtent: TimeExtent, yExtent: TimeExtent) {
        let lo = max(xExtent.lower, yExtent.lower), hi = min(xExtent.upper, yExtent.upper)
        guard lo < hi else { return }
        w.empty("line", [("x1", px(x(lo))), ("y1", px(y(lo))), ("x2", px(x(hi))), ("y2", px(y(hi))), ("class", "ideal")],
                title: "ideal: event time = processing time (no delay at all)")
    }

    /// One step line per (role, source): the value holds from its point until the next one, then jumps.
    private func drawWatermarks(_ w: inout MarkupWriter, engine: EngineObservations, x: LinearScale, y: LinearScale) {
        var series = OrderedDictionary<String, [WatermarkPoint]>()
        for role in [WatermarkPoint.Role.input, .lateThreshold, .effective] {
            for p in engine.watermarks where p.role == role { series["\(role.rawValue)\u{0}\(p.source)", default: []].append(p) }
        }
        let colour = colour(engine.engine)
        w.line(#"<g class="watermarks" data-engine="\#(Markup.escape(engine.engine.rawValue))">"#)
        for (_, points) in series {
            let sorted = points.enumerated().sorted { ($0.element.at, $0.offset) < ($1.element.at, $1.offset) }.map(\.element)
            guard let first = sorted.first else { continue }
            var d = "M\(px(x(first.at.millisecondsSinceEpoch))) \(px(y.clamped(first.watermark.millisecondsSinceEpoch)))"
            for p in sorted.dropFirst() {
                d += "H\(px(x(p.at.millisecondsSinceEpoch)))V\(px(y.clamped(p.watermark.millisecondsSinceEpoch)))"
            }
            d += "H\(px(x(observations.end.millisecondsSinceEpoch)))"
            let cls = switch first.role {
            case .effective: "wm wm-effective"
            case .input: "wm wm-input"
            case .lateThreshold: "wm wm-threshold"
            }
            w.empty("path", [("d", d), ("class", cls), ("stroke", colour)],
                    title: "\(engine.displayName) watermark — \(first.source) (\(roleText(first.role)))")
            // Points carry the reason the watermark moved.
            guard first.role == .effective else { continue }
            for p in sorted {
                w.empty("circle", [("cx", px(x(p.at.millisecondsSinceEpoch))), ("cy", px(y.clamped(p.watermark.millisecondsSinceEpoch))), ("r", "2.6"), ("fill", colour), ("class", "wm-point")],
                        title: "\(engine.displayName) watermark \(NumberText.eventTime(p.watermark)) at \(NumberText.processingTime(p.at)) — \(p.reason)")
            }
        }
        w.line("</g>")
    }

    func roleText(_ role: WatermarkPoint.Role) -> String {
        switch role {
        case .effective: "the watermark windows fire on"
        case .input: "one input's own watermark"
        case .lateThreshold: "what late records are judged against"
        }
    }

    private func drawRecords(_ w: inout MarkupWriter, x: LinearScale, y: LinearScale) {
        let colours = ReportStyle.keyColours(ReportStyle.keys(of: observations))
        var fates = OrderedDictionary<String, [(EngineID, LateRecord)]>()
        for e in observations.engines { for l in e.lateRecords { fates[l.recordID, default: []].append((e.engine, l)) } }
        w.line(#"<g class="records">"#)
        for r in observations.records {
            let cx = x(r.appendTime.millisecondsSinceEpoch)
            let cy = r.eventTime.map { y.clamped($0.millisecondsSinceEpoch) } ?? (plotBottom - 7)
            var title = "\(r.id) key \(r.key) — event time \(r.eventTime.map(NumberText.eventTime) ?? "unreadable"), appended \(NumberText.processingTime(r.appendTime))"
            if let et = r.eventTime { title += " (\(NumberText.duration(r.appendTime.millisecondsSinceEpoch &- et.millisecondsSinceEpoch)) after it happened)" }
            if !r.summary.isEmpty { title += "; \(r.summary)" }
            for (engine, late) in fates[r.id] ?? [] { title += "\n\(engine.rawValue): \(ReportStyle.name(of: late.fate)) — \(late.rule)" }
            let fill = colours[r.key] ?? "#666666"
            if r.malformed || r.eventTime == nil {
                w.empty("path", [("d", FateShape.path(.malformed, cx: cx, cy: cy, size: 6)), ("fill", fill), ("class", "record malformed")], title: title)
            } else {
                w.empty("circle", [("cx", px(cx)), ("cy", px(cy)), ("r", "4.5"), ("fill", fill), ("class", "record")], title: title)
            }
            for (i, (engine, late)) in (fates[r.id] ?? []).enumerated() where late.fate != .malformed {
                w.empty("path", [("d", FateShape.path(late.fate, cx: cx, cy: cy, size: 8 + 4 * Double(i))), ("stroke", colour(engine)), ("class", "fate")],
                        title: "\(engine.rawValue): \(ReportStyle.name(of: late.fate)) — \(late.rule)")
            }
        }
        w.line("</g>")
    }

    /// A star where the result left the engine: x = when, y = the window's end (where the watermark crossed it).
    private func drawFirings(_ w: inout MarkupWriter, engine: EngineObservations, x: LinearScale, y: LinearScale) {
        var groups = OrderedDictionary<String, [WindowFiring]>()
        for f in engine.firings {
            groups["\(f.firedAt.millisecondsSinceEpoch)/\(f.window.end.millisecondsSinceEpoch)/\(f.pane > 0)", default: []].append(f)
        }
        w.line(#"<g class="firings">"#)
        for (_, fs) in groups {
            let f = fs[0]
            let cx = x(f.firedAt.millisecondsSinceEpoch), cy = y.clamped(f.window.end.millisecondsSinceEpoch)
            var title = "\(engine.displayName) fired at \(NumberText.processingTime(f.firedAt))"
            if let b = f.batchID { title += " (batch \(b))" }
            for g in fs {
                title += "\n\(NumberText.window(g.window)) \(g.key) pane \(g.pane) [\(g.cause.rawValue)]: "
                    + g.values.map { "\($0.name)=\($0.text)" }.joined(separator: ", ")
            }
            w.empty("path", [("d", FateShape.star(cx: cx, cy: cy, size: 8)), ("fill", f.pane > 0 ? "#ffffff" : colour(engine.engine)),
                             ("stroke", colour(engine.engine)), ("class", "firing")], title: title)
        }
        w.line("</g>")
    }

    /// Vertical lines through plot and lanes where something happened to the system.
    private func drawIncidentLines(_ w: inout MarkupWriter, x: LinearScale, bottom: Double) {
        var all: [(EngineID?, Incident)] = observations.faults.map { (nil, $0) }
        for e in observations.engines { all += e.incidents.map { (e.engine, $0) } }
        guard !all.isEmpty else { return }
        w.line(#"<g class="incidents">"#)
        for (i, (engine, inc)) in all.enumerated() {
            let cx = x(inc.at.millisecondsSinceEpoch)
            let who = engine.map { "\($0.rawValue) " } ?? ""
            w.empty("line", [("x1", px(cx)), ("y1", px(plotTop - 4)), ("x2", px(cx)), ("y2", px(bottom)), ("class", "incident incident-\(inc.kind.rawValue)")],
                    title: "\(NumberText.processingTime(inc.at)) \(who)\(inc.kind.rawValue): \(inc.text)")
            w.element("text", [("x", px(cx + 3)), ("y", px(plotTop - 6 - Double(i % 2) * 11)), ("class", "incident-label incident-\(inc.kind.rawValue)")],
                      text: "\(who)\(inc.kind.rawValue)")
            w.raw("\n")
        }
        w.line("</g>")
    }

    // MARK: lanes

    private func drawLanes(_ w: inout MarkupWriter, x: LinearScale) {
        w.line(#"<g class="lanes">"#)
        var top = lanesTop
        for e in observations.engines {
            drawEngineLane(&w, engine: e, x: x, top: top)
            top += laneHeight
        }
        drawFaultLane(&w, x: x, top: top)
        w.line("</g>")
    }

    private func laneFrame(_ w: inout MarkupWriter, title: String, subtitle: String, top: Double) {
        w.empty("rect", [("x", px(plotLeft)), ("y", px(top)), ("width", px(plotRight - plotLeft)), ("height", px(laneHeight - 6)), ("class", "lane")])
        w.element("text", [("x", px(plotLeft - 8)), ("y", px(top + 16)), ("text-anchor", "end"), ("class", "lane-title")], text: title)
        w.element("text", [("x", px(plotLeft - 8)), ("y", px(top + 29)), ("text-anchor", "end"), ("class", "lane-subtitle")], text: subtitle)
        w.raw("\n")
    }

    private func drawEngineLane(_ w: inout MarkupWriter, engine e: EngineObservations, x: LinearScale, top: Double) {
        let colour = colour(e.engine)
        let subtitle = !e.batches.isEmpty ? "batches" : (!e.checkpoints.isEmpty ? "checkpoints" : "events")
        laneFrame(&w, title: e.engine.rawValue, subtitle: subtitle, top: top)
        let barY = top + 5, barH = 14.0
        for b in e.batches {
            let x0 = x(b.start.millisecondsSinceEpoch), x1 = max(x(b.end.millisecondsSinceEpoch), x0 + 3)
            let title = "batch \(b.id) (\(b.kind == .data ? "data" : "no data")) \(NumberText.processingTime(b.start))–\(NumberText.processingTime(b.end)): watermark \(NumberText.eventTime(b.watermark)), rows in \(b.rowsIn), out \(b.rowsOut), dropped by watermark \(b.droppedByWatermark)"
            w.empty("rect", [("x", px(x0)), ("y", px(barY)), ("width", px(x1 - x0)), ("height", px(barH)), ("fill", b.kind == .data ? colour : "#ffffff"),
                             ("stroke", colour), ("class", b.kind == .data ? "batch" : "batch no-data")], title: title)
            w.element("text", [("x", px(x1 + 2)), ("y", px(barY + 11)), ("class", "lane-note")], text: "\(b.id)")
            w.raw("\n")
        }
        for c in e.checkpoints {
            let x0 = x(c.triggered.millisecondsSinceEpoch)
            let x1 = max(x((c.finished ?? observations.end).millisecondsSinceEpoch), x0 + 3)
            let fill = switch c.status {
            case .completed: colour
            case .failed: "#dc2626"
            case .aborted, .pending: "#94a3b8"
            }
            var title = "checkpoint \(c.id) \(c.status.rawValue): triggered \(NumberText.processingTime(c.triggered))"
            if let f = c.finished { title += ", finished \(NumberText.processingTime(f))" }
            if !c.note.isEmpty { title += " — \(c.note)" }
            w.empty("rect", [("x", px(x0)), ("y", px(barY)), ("width", px(x1 - x0)), ("height", px(barH)), ("fill", fill), ("class", "checkpoint")], title: title)
            w.element("text", [("x", px(x1 + 2)), ("y", px(barY + 11)), ("class", "lane-note")], text: "cp\(c.id)" + (c.status == .completed ? "" : " " + c.status.rawValue))
            w.raw("\n")
        }
        // Second row: what left the engine (stars) and what it refused (fate shapes), as in the terminal timeline.
        let markY = top + 30
        var seenFiringTimes = OrderedSet<Int64>()
        for f in e.firings where seenFiringTimes.append(f.firedAt.millisecondsSinceEpoch).inserted {
            let n = e.firings.filter { $0.firedAt == f.firedAt }.count
            w.empty("path", [("d", FateShape.star(cx: x(f.firedAt.millisecondsSinceEpoch), cy: markY, size: 6.5)), ("fill", colour), ("class", "firing")],
                    title: "\(RunSummary.count(n, "result")) at \(NumberText.processingTime(f.firedAt))")
        }
        for l in e.lateRecords {
            w.empty("path", [("d", FateShape.path(l.fate, cx: x(l.at.millisecondsSinceEpoch), cy: markY, size: 5.5)), ("stroke", colour), ("class", "fate")],
                    title: "\(l.recordID): \(ReportStyle.name(of: l.fate)) — \(l.rule)")
        }
    }

    private func drawFaultLane(_ w: inout MarkupWriter, x: LinearScale, top: Double) {
        laneFrame(&w, title: "faults", subtitle: "crash · restart", top: top)
        var all: [(EngineID?, Incident)] = observations.faults.map { (nil, $0) }
        for e in observations.engines { all += e.incidents.map { (e.engine, $0) } }
        for (engine, inc) in all {
            let cx = x(inc.at.millisecondsSinceEpoch), cy = top + 20
            let who = engine.map { "\($0.rawValue) " } ?? ""
            w.empty("circle", [("cx", px(cx)), ("cy", px(cy)), ("r", "7"), ("class", "incident-dot incident-\(inc.kind.rawValue)")],
                    title: "\(NumberText.processingTime(inc.at)) \(who)\(inc.kind.rawValue): \(inc.text)")
            let glyph = switch inc.kind {
            case .crash: "!"
            case .restart: "R"
            case .fault: "F"
            case .recovery: "✓"
            case .note: "i"
            }
            w.element("text", [("x", px(cx)), ("y", px(cy + 4)), ("text-anchor", "middle"), ("class", "incident-glyph")], text: glyph)
            w.raw("\n")
        }
    }
}

/// Outline shapes for late-record fates (distinct without colour, for colour-blind readers) and the firing star.
enum FateShape {
    static func path(_ fate: LateRecord.Fate, cx: Double, cy: Double, size s: Double) -> String {
        switch fate {
        case .dropped:
            return "M\(px(cx - s)) \(px(cy - s))L\(px(cx + s)) \(px(cy + s))M\(px(cx - s)) \(px(cy + s))L\(px(cx + s)) \(px(cy - s))"
        case .sideOutput:
            return "M\(px(cx - s)) \(px(cy - s))H\(px(cx + s))V\(px(cy + s))H\(px(cx - s))Z"
        case .lateFiring:
            return "M\(px(cx)) \(px(cy - s * 1.25))L\(px(cx + s * 1.25)) \(px(cy))L\(px(cx)) \(px(cy + s * 1.25))L\(px(cx - s * 1.25)) \(px(cy))Z"
        case .malformed:
            return "M\(px(cx)) \(px(cy - s * 1.15))L\(px(cx + s)) \(px(cy + s * 0.7))L\(px(cx - s)) \(px(cy + s * 0.7))Z"
        case .lostToRetention:
            // A circle with a slash through it.
            return "M\(px(cx - s)) \(px(cy))A\(px(s)) \(px(s)) 0 1 0 \(px(cx + s)) \(px(cy))A\(px(s)) \(px(s)) 0 1 0 \(px(cx - s)) \(px(cy))"
                + "M\(px(cx - s * 0.7)) \(px(cy + s * 0.7))L\(px(cx + s * 0.7)) \(px(cy - s * 0.7))"
        }
    }

    /// A five-pointed star.
    static func star(cx: Double, cy: Double, size s: Double) -> String {
        // Unit-circle points of a star, precomputed (cos/sin of 90° + k·36°), so no libm rounding is involved.
        let outer: [(Double, Double)] = [(0, -1), (0.951, -0.309), (0.588, 0.809), (-0.588, 0.809), (-0.951, -0.309)]
        let inner: [(Double, Double)] = [(0.225, -0.309), (0.363, 0.118), (0, 0.382), (-0.363, 0.118), (-0.225, -0.309)]
        var d = ""
        for k in 0..<5 {
            d += (k == 0 ? "M" : "L") + "\(px(cx + outer[k].0 * s)) \(px(cy + outer[k].1 * s))"
            d += "L\(px(cx + inner[k].0 * s)) \(px(cy + inner[k].1 * s))"
        }
        return d + "Z"
    }
}
