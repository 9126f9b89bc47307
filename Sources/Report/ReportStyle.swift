// Colours, marker shapes and the "what happened" paragraph, shared by the HTML report and the terminal timeline so
// that both tell the same story in the same words.
import OrderedCollections
import SimCore

/// Colours that stay the same from report to report: an engine is always drawn in its colour, and keys take
/// palette colours in sorted order, so `BTC` is the same blue in every report of a scenario.
enum ReportStyle {
    static let sparkColour = "#e25a1c"  // Spark's orange
    static let flinkColour = "#7b3fb8"  // a Flink purple
    static let otherEngineColours = ["#0f766e", "#b45309", "#be123c", "#334155"]
    static let keyColours = ["#2563eb", "#16a34a", "#0891b2", "#ca8a04", "#db2777", "#64748b", "#65a30d", "#1e3a8a"]

    static func colour(of engine: EngineID, among engines: [EngineID]) -> String {
        if engine == .spark { return sparkColour }
        if engine == .flink { return flinkColour }
        let others = engines.filter { $0 != .spark && $0 != .flink }
        let index = others.firstIndex(of: engine) ?? 0
        return otherEngineColours[index % otherEngineColours.count]
    }

    /// Keys in sorted order (deterministic, independent of arrival order).
    static func keys(of observations: RunObservations) -> [String] {
        var keys = OrderedSet<String>()
        for r in observations.records { keys.append(r.key) }
        for e in observations.engines { for f in e.firings { keys.append(f.key) } }
        return keys.elements.sorted()
    }

    static func keyColours(_ keys: [String]) -> OrderedDictionary<String, String> {
        var out = OrderedDictionary<String, String>()
        for (i, k) in keys.enumerated() { out[k] = keyColours[i % keyColours.count] }
        return out
    }

    /// What a late record's fate is called in legends and tables.
    static func name(of fate: LateRecord.Fate) -> String {
        switch fate {
        case .dropped: "dropped"
        case .sideOutput: "side output"
        case .lateFiring: "late firing"
        case .malformed: "malformed"
        case .lostToRetention: "lost to retention"
        }
    }

    /// The one-character marks of the terminal timeline.
    static func terminalMark(of fate: LateRecord.Fate) -> Character {
        switch fate {
        case .dropped: "x"
        case .sideOutput: "s"
        case .lateFiring: "L"
        case .malformed: "m"
        case .lostToRetention: "r"
        }
    }
}

/// The header paragraph: what happened in the run, in numbers a learner can check against the charts.
enum RunSummary {
    static func paragraph(_ o: RunObservations) -> String {
        var sentences: [String] = []
        let malformed = o.records.filter(\.malformed).count
        let keys = ReportStyle.keys(of: o)
        var input = "\(count(o.records.count, "input record")) "
        if !keys.isEmpty { input += "for \(count(keys.count, "key")) (\(keys.joined(separator: ", "))) " }
        input += "entered the log between \(NumberText.processingTime(o.start)) and \(NumberText.processingTime(o.end)) UTC"
        if malformed > 0 { input += "; \(malformed) of them malformed" }
        sentences.append(input + ".")

        for e in o.engines {
            var parts: [String] = []
            if !e.batches.isEmpty {
                let noData = e.batches.filter { $0.kind == .noData }.count
                parts.append("ran \(count(e.batches.count, "micro-batch", plural: "micro-batches"))"
                    + (noData > 0 ? " (\(noData) without data)" : ""))
            }
            if !e.checkpoints.isEmpty {
                let completed = e.checkpoints.filter { $0.status == .completed }.count
                parts.append("completed \(completed) of \(count(e.checkpoints.count, "checkpoint"))")
            }
            let lateFirings = e.firings.filter { $0.pane > 0 }.count
            parts.append("emitted \(count(e.firings.count, "window result"))"
                + (lateFirings > 0 ? " (\(lateFirings) late firings)" : ""))
            for fate in LateRecord.Fate.allCases where fate != .malformed {
                let n = e.lateRecords.filter { $0.fate == fate }.count
                guard n > 0 else { continue }
                switch fate {
                case .dropped: parts.append("dropped \(count(n, "late record"))")
                case .sideOutput: parts.append("sent \(count(n, "late record")) to the side output")
                case .lateFiring: parts.append("re-fired windows for \(count(n, "late record"))")
                case .lostToRetention: parts.append("lost \(count(n, "record")) to retention")
                case .malformed: break
                }
            }
            let crashes = e.incidents.filter { $0.kind == .crash }.count
            if crashes > 0 { parts.append("crashed \(count(crashes, "time"))") }
            sentences.append("\(e.displayName) " + list(parts) + ".")
        }
        if !o.faults.isEmpty {
            let injected = o.faults.filter { $0.kind == .fault }.count
            if injected > 0 { sentences.append("\(count(injected, "fault was", plural: "faults were")) injected.") }
        }
        let differing = o.differences.filter { $0.label != .same }
        if o.engines.count >= 2 {
            if differing.isEmpty {
                sentences.append("The final results agree in every (window, key) cell compared.")
            } else {
                let unexplained = differing.filter { $0.label == .unexplained }.count
                var text = "The final results differ in \(count(differing.count, "(window, key) cell"))"
                text += unexplained == 0
                    ? ", each explained by the engines' rules."
                    : ": \(differing.count - unexplained) expected, \(unexplained) unexplained — worth investigating."
                sentences.append(text)
            }
        }
        return sentences.joined(separator: " ")
    }

    static func count(_ n: Int, _ singular: String, plural: String? = nil) -> String {
        "\(n) " + (n == 1 ? singular : (plural ?? singular + "s"))
    }

    static func list(_ parts: [String]) -> String {
        switch parts.count {
        case 0: return "did nothing visible"
        case 1: return parts[0]
        default: return parts.dropLast().joined(separator: ", ") + " and " + parts[parts.count - 1]
        }
    }
}
