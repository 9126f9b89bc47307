import SimCore
public import Scenario

/// Shrinks a failing scenario to a smaller one that still fails — fewer faults, fewer records (delta debugging),
/// one partition, fewer symbols, shorter durations, rounder timestamps, fewer optional engine settings — by editing
/// its YAML tree and keeping each edit that still fails. None of the big deterministic-simulation frameworks shrink
/// (sim-anchors.md §0.5); property-test libraries do, and a five-record repro is worth more than a seed.
public struct Shrinker {
    /// Whether a candidate still fails (the same invariant, the same seed): the failure message, or nil.
    public let stillFails: (PropertyScenario) -> String?
    /// At most this many candidate runs.
    public var budget: Int

    public init(budget: Int = 400, stillFails: @escaping (PropertyScenario) -> String?) {
        self.stillFails = stillFails
        self.budget = budget
    }

    /// The result: the smallest failing scenario found, its failure message, and how many candidates were run.
    public struct Result {
        public var scenario: PropertyScenario
        public var message: String
        public var attempts: Int
        public var accepted: Int
    }

    public func shrink(_ scenario: PropertyScenario, message: String) -> Result {
        var best = scenario, bestMessage = message
        var attempts = 0, accepted = 0
        func attempt(_ edit: (inout YAMLTree) -> Void) -> Bool {
            guard attempts < budget, let candidate = best.with(edit) else { return false }
            attempts += 1
            guard let m = stillFails(candidate) else { return false }
            best = candidate
            bestMessage = m
            accepted += 1
            return true
        }
        var progress = true
        while progress && attempts < budget {
            progress = false
            // Faults, one at a time.
            func dropFaults() {
                var i = 0
                while i < (best.tree["faults"]?.items?.count ?? 0) {
                    let index = i
                    if attempt({ t in
                        var f = t["faults"]!.items!
                        f.remove(at: index)
                        t["faults"] = f.isEmpty ? nil : .list(f)
                    }) { progress = true } else { i += 1 }
                }
            }
            dropFaults()
            // Records: delta debugging over the flat list (chunks of n/2, n/4, … 1).
            var chunk = max(1, recordCount(best.tree) / 2)
            while chunk >= 1 && attempts < budget {
                var start = 0
                while start < recordCount(best.tree) && attempts < budget {
                    let s = start, c = chunk
                    if recordCount(best.tree) > 1, attempt({ t in removeRecords(&t, from: s, count: c) }) { progress = true } else { start += chunk }
                }
                if chunk == 1 { break }
                chunk /= 2
            }
            // With fewer records, a fault may have become unnecessary.
            if (best.tree["faults"]?.items?.count ?? 0) > 1 { dropFaults() }
            if let last = lastArrival(best.tree) {
                let d = (last / 1000 + 1) * 1000
                if attempt({ t in t["duration"] = .plain("\(d / 1000) seconds") }) { progress = true }
            }
            // One partition, no explicit partitions.
            if attempt({ t in
                guard var topics = t["topics"]?.items else { return }
                for k in topics.indices where topics[k]["partitions"] != nil { topics[k]["partitions"] = .plain("1") }
                t["topics"] = .list(topics)
                t.editRecords { r in r["partition"] = nil }
            }) { progress = true }
            // Fewer symbols: drop every record of one key.
            for key in recordKeys(best.tree) where recordKeys(best.tree).count > 1 {
                if attempt({ t in
                    guard var feeds = t["feeds"]?.items else { return }
                    for f in feeds.indices {
                        guard let rs = feeds[f]["records"]?.items else { continue }
                        feeds[f]["records"] = .list(rs.filter { $0["key"]?.scalarText != key })
                    }
                    t["feeds"] = .list(feeds)
                }) { progress = true }
            }
            // Optional engine settings.
            for (engine, key) in [("flink", "parallelism"), ("flink", "allowedLateness"), ("flink", "sideOutputLateData"), ("flink", "json.ignore-parse-errors")] {
                if attempt({ t in t.editJobs { j in
                    guard var e = j[engine], e[key] != nil else { return }
                    e[key] = nil
                    j[engine] = e
                } }) { progress = true }
            }
            // Shorter: the duration to just after the last record, then a shorter drain.
            if let last = lastArrival(best.tree) {
                let d = (last / 1000 + 1) * 1000
                if attempt({ t in t["duration"] = .plain("\(d / 1000) seconds") }) { progress = true }
            }
            for drain in ["5 seconds", "10 seconds", "20 seconds", "1 minute"] {
                if attempt({ t in t["drain"] = .plain(drain) }) { progress = true; break }
            }
            // Rounder timestamps: arrivals and event times to whole seconds, then tenths.
            for unit: Int64 in [1000, 100] {
                var k = 0
                while k < recordCount(best.tree) && attempts < budget {
                    let index = k
                    if attempt({ t in roundRecord(&t, index: index, unit: unit) }) { progress = true }
                    k += 1
                }
            }
        }
        return Result(scenario: best, message: bestMessage, attempts: attempts, accepted: accepted)
    }
}

// MARK: - tree edits

func recordCount(_ t: YAMLTree) -> Int {
    (t["feeds"]?.items ?? []).reduce(0) { $0 + ($1["records"]?.items?.count ?? 0) }
}

func recordKeys(_ t: YAMLTree) -> [String] {
    var keys: [String] = []
    for f in t["feeds"]?.items ?? [] {
        for r in f["records"]?.items ?? [] { if let k = r["key"]?.scalarText, !keys.contains(k) { keys.append(k) } }
    }
    return keys
}

func lastArrival(_ t: YAMLTree) -> Int64? {
    var last: Int64?
    for f in t["feeds"]?.items ?? [] {
        if f["records"] == nil { return nil }  // a generator or capture feed: leave the duration alone
        for r in f["records"]?.items ?? [] { if let ms = r["at"]?.scalarText.flatMap(offsetMilliseconds) { last = max(last ?? 0, ms) } }
    }
    return last
}

/// Removes `count` records starting at flat index `from` (across feeds, in order).
func removeRecords(_ t: inout YAMLTree, from: Int, count: Int) {
    guard var feeds = t["feeds"]?.items else { return }
    var index = 0
    for f in feeds.indices {
        guard let rs = feeds[f]["records"]?.items else { continue }
        var kept: [YAMLTree] = []
        for r in rs {
            if index < from || index >= from + count { kept.append(r) }
            index += 1
        }
        feeds[f]["records"] = .list(kept)
    }
    t["feeds"] = .list(feeds)
}

/// Rounds one record's `at` and every `+<n>ms` value field to a multiple of `unit` ms.
func roundRecord(_ t: inout YAMLTree, index: Int, unit: Int64) {
    guard var feeds = t["feeds"]?.items else { return }
    var flat = 0
    func round(_ s: String) -> String? {
        guard let ms = offsetMilliseconds(s) else { return nil }
        let r = (ms + unit / 2) / unit * unit
        return r == ms ? nil : (r % 1000 == 0 ? "+\(r / 1000)s" : "+\(r)ms")
    }
    for f in feeds.indices {
        guard var rs = feeds[f]["records"]?.items else { continue }
        for k in rs.indices {
            defer { flat += 1 }
            guard flat == index else { continue }
            if let at = rs[k]["at"]?.scalarText, let r = round(at) { rs[k]["at"] = .plain(r) }
            if var v = rs[k]["value"], let entries = v.entries {
                for e in entries { if let s = e.value.scalarText, let r = round(s) { v[e.key] = .plain(r) } }
                rs[k]["value"] = v
            }
        }
        feeds[f]["records"] = .list(rs)
    }
    t["feeds"] = .list(feeds)
}
