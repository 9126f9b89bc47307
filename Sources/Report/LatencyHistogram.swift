// Latency histograms, one per engine, on a shared scale so that bars can be compared across engines at a glance:
// how long after a record happened did its contribution become visible in the sink? Spark's latency is bounded
// below by the trigger interval plus "one batch late"; Flink's by the watermark delay.
import SimCore


/// Bins and percentiles of latency samples (milliseconds).
struct LatencyStatistics: Equatable {
    var samples: [Int64]

    init(_ samples: [Int64]) { self.samples = samples.sorted() }

    /// Nearest-rank percentile (p in 0...100); nil without samples.
    func percentile(_ p: Int) -> Int64? {
        guard !samples.isEmpty else { return nil }
        let rank = max(1, (p * samples.count + 99) / 100)
        return samples[min(rank, samples.count) - 1]
    }

    /// Counts per bin [lower + i·step, lower + (i+1)·step).
    func counts(lower: Int64, step: Int64, bins: Int) -> [Int] {
        var out = [Int](repeating: 0, count: max(bins, 0))
        guard bins > 0 else { return out }
        for s in samples {
            let i = Int(min(max((s - lower) / step, 0), Int64(bins - 1)))
            out[i] += 1
        }
        return out
    }
}

struct LatencyHistogram {
    let observations: RunObservations
    let chartWidth = 570.0
    let chartHeight = 210.0
    let left = 52.0, right = 16.0, top = 12.0, bottom = 42.0

    /// The shared bin layout: (first bin's lower edge, bin width, number of bins).
    var binning: (lower: Int64, step: Int64, bins: Int) {
        let all = observations.engines.flatMap { $0.latencies.map(\.milliseconds) }
        let lo = min(all.min() ?? 0, 0), hi = max(all.max() ?? 1000, lo + 1)
        let step = Ticks.durationStep(span: hi - lo, maxBins: 16)
        let lower = floorDiv(lo, step) * step
        let bins = Int((hi - lower) / step) + 1
        return (lower, step, max(bins, 1))
    }

    func render() -> String {
        var w = MarkupWriter()
        let (lower, step, bins) = binning
        let stats = observations.engines.map { LatencyStatistics($0.latencies.map(\.milliseconds)) }
        let maxCount = stats.map { $0.counts(lower: lower, step: step, bins: bins).max() ?? 0 }.max() ?? 0
        let yTickStep = Ticks.countStep(span: Int64(max(maxCount, 1)), maxTicks: 5)
        let yMax = Int64(max(maxCount, 1) + Int(yTickStep) - 1) / yTickStep * yTickStep
        let ids = observations.engines.map(\.engine)
        w.line(#"<div class="histograms">"#)
        for (e, stat) in zip(observations.engines, stats) {
            let colour = ReportStyle.colour(of: e.engine, among: ids)
            let x = LinearScale(lower: Double(lower), upper: Double(lower + Int64(bins) * step), range: left...(chartWidth - right))
            let y = LinearScale(lower: 0, upper: Double(yMax), range: top...(chartHeight - bottom), reversed: true)
            var heading = "\(e.displayName): \(RunSummary.count(stat.samples.count, "sample"))"
            if let p50 = stat.percentile(50), let p90 = stat.percentile(90), let p100 = stat.percentile(100) {
                heading += " · median \(NumberText.duration(p50)) · p90 \(NumberText.duration(p90)) · max \(NumberText.duration(p100))"
            }
            w.raw(#"<figure class="histogram">"#)
            w.element("figcaption", [("style", "color:\(colour)")], text: heading)
            w.line(#"<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 \#(px(chartWidth)) \#(px(chartHeight))" width="\#(px(chartWidth))" height="\#(px(chartHeight))" role="img" aria-label="latency histogram">"#)
            w.line(#"<g class="grid">"#)
            var t: Int64 = 0
            while t <= yMax {
                w.empty("line", [("x1", px(left)), ("y1", px(y(t))), ("x2", px(chartWidth - right)), ("y2", px(y(t)))])
                w.element("text", [("x", px(left - 6)), ("y", px(y(t) + 4)), ("text-anchor", "end"), ("class", "tick")], text: "\(t)")
                w.raw("\n")
                t += yTickStep
            }
            w.line("</g>")
            if stat.samples.isEmpty {
                w.element("text", [("x", px(chartWidth / 2)), ("y", px(chartHeight / 2)), ("text-anchor", "middle"), ("class", "empty-note")],
                          text: "no result became visible in the sink")
                w.raw("\n")
            }
            for (i, n) in stat.counts(lower: lower, step: step, bins: bins).enumerated() where n > 0 {
                let lo = lower + Int64(i) * step
                let x0 = x(lo) + 1, x1 = x(lo + step) - 1
                w.empty("rect", [("x", px(x0)), ("y", px(y(Int64(n)))), ("width", px(max(x1 - x0, 1))), ("height", px(y(Int64(0)) - y(Int64(n)))), ("fill", colour), ("class", "bar")],
                        title: "\(n) with latency in [\(NumberText.duration(lo)), \(NumberText.duration(lo + step)))")
            }
            let labelEvery = max(1, bins / 8)
            for i in stride(from: 0, through: bins, by: labelEvery) {
                let v = lower + Int64(i) * step
                w.element("text", [("x", px(x(v))), ("y", px(chartHeight - bottom + 15)), ("text-anchor", "middle"), ("class", "tick")], text: NumberText.duration(v))
                w.raw("\n")
            }
            w.element("text", [("x", px((left + chartWidth - right) / 2)), ("y", px(chartHeight - 6)), ("text-anchor", "middle"), ("class", "axis-title")],
                      text: "latency: event time → visible in the sink")
            w.line("\n</svg></figure>")
        }
        w.line("</div>")
        return w.output
    }
}
