// The terminal timeline: the run as a few rows of ASCII, processing time running left to right, in the manner of
// the classic watermark diagrams. One block per engine shows what happened when (batches, firings, late records,
// crashes) and how its watermark advanced, with the watermark's value written where it changed. Below the chart,
// the late records and the differing results are listed with their rules, so the text stands on its own in a log.
import OrderedCollections
import SimCore

/// Renders `RunObservations` as plain text for a terminal 80–120 columns wide.
public enum TerminalTimeline {
    /// The chart and its lists. `width` is the full line width in characters (clamped to 60...400).
    public static func render(_ observations: RunObservations, width: Int = 100) -> String {
        let layout = TerminalLayout(observations: observations, width: width)
        var lines: [String] = []
        let o = observations
        lines.append(fit("StreamSim · \(o.scenarioName) · seed \(o.seed) · digest \(abbreviated(o.traceDigest))", layout.width))
        lines.append(fit("processing time \(NumberText.compactTime(layout.lower)) → \(NumberText.compactTime(layout.upper)) UTC · one column ≈ \(NumberText.duration(layout.millisecondsPerColumn))", layout.width))
        lines.append("")
        lines += layout.axisRows()
        lines.append(layout.row("input", layout.inputMarks()))
        for e in o.engines {
            lines.append(layout.row(e.engine.rawValue, layout.eventMarks(e)))
            let (steps, labels) = layout.watermarkRows(e)
            lines.append(layout.row("  watermark", steps))
            lines.append(layout.row("", labels))
        }
        if !o.faults.isEmpty { lines.append(layout.row("faults", layout.faultMarks())) }
        lines.append("")
        lines += legend(width: layout.width)
        lines += lateList(o, width: layout.width)
        lines += differenceList(o, width: layout.width)
        return lines.map { trimTrailing($0) }.joined(separator: "\n") + "\n"
    }

    static func legend(width: Int) -> [String] {
        let items = [
            "input: . one record, : two, * more, m malformed",
            "| batch starts", "F window result", "L late firing", "x late record dropped", "s sent to side output",
            "r lost to retention", "c checkpoint", "? checkpoint failed", "! crash", "R restart",
            "watermark: _ holds, / rises, \\ falls (restart), ^ end of input (MAX)",
            "the new value is written under the step",
        ]
        return wrap("legend: ", items, width: width)
    }

    static func lateList(_ o: RunObservations, width: Int) -> [String] {
        var lines: [String] = []
        for e in o.engines {
            for l in e.lateRecords {
                let key = o.record(l.recordID)?.key ?? ""
                let head = "  \(ReportStyle.terminalMark(of: l.fate)) \(e.engine.rawValue) \(NumberText.compactTime(l.at.millisecondsSinceEpoch)) \(l.recordID) \(key) \(ReportStyle.name(of: l.fate)): "
                lines += wrapWords(head + l.rule, width: width, indent: 6)
            }
        }
        guard !lines.isEmpty else { return [] }
        return ["", "late and unusable records:"] + lines
    }

    static func differenceList(_ o: RunObservations, width: Int) -> [String] {
        let rows = o.differences.filter { $0.label != .same }
        guard !rows.isEmpty else { return [] }
        var lines = ["", "spark vs flink, differing results:"]
        for d in rows {
            func text(_ v: [NamedText]?) -> String { v.map { $0.map { "\($0.name)=\($0.text)" }.joined(separator: " ") } ?? "none" }
            lines += wrapWords("  \(NumberText.window(d.window)) \(d.key): spark \(text(d.spark)) | flink \(text(d.flink)) — \(d.label)", width: width, indent: 6)
        }
        return lines
    }

    // MARK: text helpers

    /// Cuts a line to `width` characters, ending it with `…` when something was cut.
    static func fit(_ s: String, _ width: Int) -> String {
        guard s.count > width else { return s }
        return String(s.prefix(max(width - 1, 0))) + "…"
    }

    /// Breaks text at spaces so that no line is longer than `width`; continuation lines are indented. A word longer
    /// than a line is cut with `fit`.
    static func wrapWords(_ text: String, width: Int, indent: Int) -> [String] {
        let pad = String(repeating: " ", count: indent)
        var lines: [String] = []
        let lead = String(text.prefix { $0 == " " })
        var current = lead
        for word in text.split(separator: " ") {
            let candidate = current.allSatisfy({ $0 == " " }) ? current + word : current + " " + word
            if candidate.count <= width || current.allSatisfy({ $0 == " " }) {
                current = candidate
            } else {
                lines.append(current)
                current = pad + word
            }
        }
        lines.append(current)
        return lines.map { fit($0, width) }
    }

    static func wrap(_ prefix: String, _ items: [String], width: Int) -> [String] {
        var lines: [String] = []
        var current = prefix
        let indent = String(repeating: " ", count: prefix.count)
        for item in items {
            let piece = current == prefix || current == indent ? item : "  " + item
            if current.count + piece.count > width, current != prefix, current != indent {
                lines.append(current)
                current = indent + item
            } else {
                current += piece
            }
        }
        lines.append(current)
        return lines.map { fit($0, width) }
    }

    static func abbreviated(_ digest: String) -> String {
        digest.count > 16 ? String(digest.prefix(12)) + "…" : digest
    }

    static func trimTrailing(_ s: String) -> String {
        var t = Substring(s)
        while t.last == " " { t = t.dropLast() }
        return String(t)
    }
}

/// Maps processing time onto character columns and builds the rows.
struct TerminalLayout {
    let observations: RunObservations
    let width: Int
    let gutter = 14
    let lower: Int64
    let upper: Int64
    var columns: Int { width - gutter }

    init(observations: RunObservations, width: Int) {
        self.observations = observations
        self.width = min(max(width, 60), 400)
        // The same extent as the HTML chart, without its padding: the run's own start and end.
        let o = observations
        var xs = [o.start.millisecondsSinceEpoch, o.end.millisecondsSinceEpoch]
        xs += o.records.map(\.appendTime.millisecondsSinceEpoch)
        for e in o.engines {
            xs += e.firings.map(\.firedAt.millisecondsSinceEpoch) + e.lateRecords.map(\.at.millisecondsSinceEpoch)
            xs += e.batches.map(\.start.millisecondsSinceEpoch) + e.incidents.map(\.at.millisecondsSinceEpoch)
        }
        let extent = TimeExtent(covering: xs, fallback: o.start.millisecondsSinceEpoch...o.start.millisecondsSinceEpoch, minimumSpan: 1000)
        lower = extent.lower
        upper = extent.upper
    }

    var millisecondsPerColumn: Int64 { max((upper - lower) / Int64(max(columns - 1, 1)), 1) }

    /// The column of an instant: its share of the extent, rounded to the nearest column.
    func column(_ ms: Int64) -> Int {
        let span = max(upper - lower, 1)
        let offset = min(max(ms - lower, 0), span)
        let c = (Double(offset) * Double(columns - 1) / Double(span)).rounded()
        return min(max(Int(c), 0), columns - 1)
    }

    /// The instant at the right edge of a column (what the watermark row shows for that column).
    func columnEnd(_ c: Int) -> Int64 {
        let span = Double(max(upper - lower, 1))
        return lower + Int64((Double(c) + 0.5) * span / Double(max(columns - 1, 1)))
    }

    func row(_ label: String, _ cells: [Character]) -> String {
        var head = label.count > gutter - 1 ? String(label.prefix(gutter - 1)) : label
        head += String(repeating: " ", count: gutter - head.count)
        return head + String(cells)
    }

    func blank() -> [Character] { [Character](repeating: " ", count: columns) }

    func axisRows() -> [String] {
        let ticks = Ticks.timeTicks(TimeExtent(lower: lower, upper: upper), maxTicks: max(columns / 12, 2))
        var labels = blank(), rule = [Character](repeating: "-", count: columns)
        var nextFree = 0
        for t in ticks.values {
            let c = column(t)
            rule[c] = "+"
            let text = Array(Ticks.timeLabel(t, step: ticks.step))
            guard c >= nextFree, c + text.count <= columns else { continue }
            for (i, ch) in text.enumerated() { labels[c + i] = ch }
            nextFree = c + text.count + 1
        }
        return [row("", labels), row("", rule)]
    }

    func inputMarks() -> [Character] {
        var counts = [Int](repeating: 0, count: columns)
        var malformed = [Bool](repeating: false, count: columns)
        for r in observations.records {
            let c = column(r.appendTime.millisecondsSinceEpoch)
            counts[c] += 1
            if r.malformed { malformed[c] = true }
        }
        return (0..<columns).map { c in
            if malformed[c] { return "m" }
            switch counts[c] {
            case 0: return " "
            case 1: return "."
            case 2: return ":"
            default: return "*"
            }
        }
    }

    /// Higher-priority marks win a shared column: a crash matters more than a batch boundary.
    static let priority: [Character] = ["!", "R", "x", "s", "L", "r", "m", "?", "F", "|", "c"]

    func eventMarks(_ e: EngineObservations) -> [Character] {
        var cells = blank()
        func put(_ mark: Character, _ ms: Int64) {
            let c = column(ms)
            let rank = { (ch: Character) in Self.priority.firstIndex(of: ch) ?? Self.priority.count }
            if cells[c] == " " || rank(mark) < rank(cells[c]) { cells[c] = mark }
        }
        for b in e.batches { put("|", b.start.millisecondsSinceEpoch) }
        for cp in e.checkpoints {
            guard let finished = cp.finished else { continue }
            put(cp.status == .completed ? "c" : "?", finished.millisecondsSinceEpoch)
        }
        for f in e.firings { put(f.pane > 0 ? "L" : "F", f.firedAt.millisecondsSinceEpoch) }
        for l in e.lateRecords where l.fate != .lateFiring { put(ReportStyle.terminalMark(of: l.fate), l.at.millisecondsSinceEpoch) }
        for i in e.incidents {
            switch i.kind {
            case .crash: put("!", i.at.millisecondsSinceEpoch)
            case .restart: put("R", i.at.millisecondsSinceEpoch)
            case .fault, .recovery, .note: break
            }
        }
        return cells
    }

    func faultMarks() -> [Character] {
        var cells = blank()
        for f in observations.faults {
            let c = column(f.at.millisecondsSinceEpoch)
            let mark: Character = switch f.kind {
            case .crash: "!"
            case .restart: "R"
            case .fault: "F"
            case .recovery: "+"
            case .note: "i"
            }
            if cells[c] == " " || mark == "!" { cells[c] = mark }
        }
        return cells
    }

    /// The effective watermark as steps, and its new values written at the columns where it changed.
    func watermarkRows(_ e: EngineObservations) -> (steps: [Character], labels: [Character]) {
        let points = e.watermarks.enumerated().filter { $0.element.role == .effective }
            .sorted { ($0.element.at, $0.offset) < ($1.element.at, $1.offset) }.map(\.element)
        var steps = blank(), labels = blank()
        var index = 0
        var current: EventTime? = nil
        var nextFreeLabel = 0
        for c in 0..<columns {
            let previous = current
            var changes: [WatermarkPoint] = []
            while index < points.count, column(points[index].at.millisecondsSinceEpoch) <= c {
                changes.append(points[index])
                current = points[index].watermark
                index += 1
            }
            guard let now = current else { continue }
            if now == .max {
                steps[c] = previous == .max ? " " : "^"
            } else if let before = previous, now < before {
                steps[c] = "\\"
            } else if previous == nil || now > previous! {
                steps[c] = "/"
            } else {
                steps[c] = now == .min ? " " : "_"
            }
            if let last = changes.last, last.watermark != previous {
                let text = Array(Self.watermarkLabel(last.watermark))
                if c >= nextFreeLabel, c + text.count <= columns {
                    for (i, ch) in text.enumerated() { labels[c + i] = ch }
                    nextFreeLabel = c + text.count + 1
                }
            }
        }
        return (steps, labels)
    }

    static func watermarkLabel(_ t: EventTime) -> String {
        if t == .min { return "MIN" }
        if t == .max { return "MAX" }
        if t == .epoch { return "epoch" }
        return NumberText.compactTime(t.millisecondsSinceEpoch)
    }
}
