public import SimCore
public import SimLog

/// What stands between a feed and its producer during faults: a producer outage (sends in the window are lost, as
/// when the producer process is down) and a network delay spike (sends in the window reach the producer `extra`
/// later). Outside the windows a send goes straight through.
public final class FeedGate: RecordProducing {
    public let name: String
    let env: SimEnvironment
    let next: any RecordProducing
    var outages: [Range<ProcessingTime>] = []
    var delays: [(window: Range<ProcessingTime>, extra: SimDuration)] = []
    /// Sends lost to outages.
    public private(set) var lost = 0
    /// Sends delayed by a spike.
    public private(set) var delayed = 0
    public private(set) var passed = 0

    public init(name: String, env: SimEnvironment, next: any RecordProducing) {
        self.name = name
        self.env = env
        self.next = next
    }

    public func addOutage(_ window: Range<ProcessingTime>) { outages.append(window) }
    public func addDelay(_ window: Range<ProcessingTime>, extra: SimDuration) { delays.append((window, extra)) }

    public func send(_ record: ProducerRecord) {
        let now = env.now
        if outages.contains(where: { $0.contains(now) }) {
            lost += 1
            if env.trace.wants(.fault) {
                env.record(.fault, "feed.\(name)", [("event", "lost-in-outage"), ("topic", .string(record.topic))])
            }
            return
        }
        var extra = SimDuration.zero
        for d in delays where d.window.contains(now) { extra = extra + d.extra }
        passed += 1
        if extra > .zero {
            delayed += 1
            env.scheduler.schedule(after: extra, phase: .input, "feed.\(name).delayed-send") { [next] in next.send(record) }
        } else {
            next.send(record)
        }
    }
}
