public import SimCore
public import SimLog

/// A gap in a replayed feed, as offsets from the replay's start: records due inside it are lost (a websocket that
/// dropped and reconnected) or held and delivered together when it ends (a producer that buffered).
public struct ReplayDisconnect: Codable, Sendable, Hashable {
    public enum Mode: String, Codable, Sendable { case drop, deliverOnReconnect }
    public var window: FeedWindow
    public var mode: Mode
    public init(window: FeedWindow, mode: Mode = .drop) {
        self.window = window
        self.mode = mode
    }
}

/// A fixed receive-time offset for one topic (a second recorder whose clock is off).
public struct TopicSkew: Codable, Sendable, Hashable {
    public var topic: String
    public var skew: SimDuration
    public init(topic: String, skew: SimDuration) {
        self.topic = topic
        self.skew = skew
    }
}

/// How a capture is replayed. The defaults replay time-faithfully at the recorded instants.
public struct ReplayOptions: Codable, Sendable, Hashable {
    /// 2 = twice as fast (gaps halved).
    public var speed: Double
    /// Rebase the first record to this instant; nil keeps the recorded times.
    public var rebaseTo: ProcessingTime?
    /// How many times to play the file (loops follow each other with a 1 s pause).
    public var loops: Int
    /// Only records with these keys (symbols); nil = all.
    public var keys: [String]?
    /// Only these topics; nil = all.
    public var topics: [String]?
    /// Each gap between consecutive records is multiplied by a uniform factor in [1 − j, 1 + j].
    public var gapJitter: Double
    /// With this probability a record is held back by a uniform 1…`reorderMaxDelay` ms (bounded reordering).
    public var reorderProbability: Double
    public var reorderMaxDelay: SimDuration
    public var disconnect: ReplayDisconnect?
    public var topicSkews: [TopicSkew]

    public init(speed: Double = 1, rebaseTo: ProcessingTime? = nil, loops: Int = 1, keys: [String]? = nil, topics: [String]? = nil, gapJitter: Double = 0,
                reorderProbability: Double = 0, reorderMaxDelay: SimDuration = .milliseconds(50), disconnect: ReplayDisconnect? = nil, topicSkews: [TopicSkew] = []) {
        self.speed = speed
        self.rebaseTo = rebaseTo
        self.loops = loops
        self.keys = keys
        self.topics = topics
        self.gapJitter = gapJitter
        self.reorderProbability = reorderProbability
        self.reorderMaxDelay = reorderMaxDelay
        self.disconnect = disconnect
        self.topicSkews = topicSkews
    }

    enum CodingKeys: String, CodingKey { case speed, rebaseTo, loops, keys, topics, gapJitter, reorderProbability, reorderMaxDelay, disconnect, topicSkews }
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = ReplayOptions()
        self.init(speed: try c.value(.speed, or: d.speed), rebaseTo: try c.decodeIfPresent(ProcessingTime.self, forKey: .rebaseTo), loops: try c.value(.loops, or: d.loops),
                  keys: try c.decodeIfPresent([String].self, forKey: .keys), topics: try c.decodeIfPresent([String].self, forKey: .topics),
                  gapJitter: try c.value(.gapJitter, or: d.gapJitter), reorderProbability: try c.value(.reorderProbability, or: d.reorderProbability),
                  reorderMaxDelay: try c.value(.reorderMaxDelay, or: d.reorderMaxDelay), disconnect: try c.decodeIfPresent(ReplayDisconnect.self, forKey: .disconnect),
                  topicSkews: try c.value(.topicSkews, or: d.topicSkews))
    }
}

/// Plays a capture into a producer at its recorded receive times on the virtual clock.
///
/// It streams: one "pump" event per record reads the next line and schedules both that record's send and the next
/// pump, so memory stays constant however long the file. The whole file is validated once before anything is
/// scheduled, so a damaged capture fails up front and never half-replays. Random transforms draw from
/// `feed.<name>.jitter` and `feed.<name>.reorder`.
public final class CaptureReplayer {
    public let path: String
    public let options: ReplayOptions
    public let header: CaptureHeader
    /// Records in the file (one loop, before filters).
    public let fileRecordCount: Int
    public private(set) var sent = 0
    public private(set) var dropped = 0
    /// True once the last record has been scheduled.
    public private(set) var isFinished = false
    /// The first error met while streaming (only possible if the file changed after validation).
    public private(set) var error: CaptureError?

    private let env: SimEnvironment
    private let producer: any RecordProducing
    private let component: String
    private var jitterRandom: SimRandom
    private var reorderRandom: SimRandom
    private var reader: CaptureReader
    private var loop = 0
    private var originFirst: Int64?
    private var originLast: Int64 = 0
    private var replayStart: Int64 = 0
    private var loopBase: Int64 = 0
    private var previousOriginal: Int64 = 0
    private var previousMapped: Double = 0
    private let lead: Int64

    public init(path: String, env: SimEnvironment, producer: any RecordProducing, options: ReplayOptions = .init(), name: String = "replay") throws(CaptureError) {
        self.path = path
        self.options = options
        self.env = env
        self.producer = producer
        component = "feed." + name
        (header, fileRecordCount) = try CaptureFile.validate(path: path)
        reader = try CaptureReader(path: path)
        jitterRandom = env.random.stream("feed.\(name).jitter")
        reorderRandom = env.random.stream("feed.\(name).reorder")
        lead = max(0, -(options.topicSkews.map(\.skew.milliseconds).min() ?? 0))
    }

    /// Schedules the first record.
    public func start() {
        pump(next())
    }

    private func next() -> CaptureRecord? {
        do {
            while true {
                if let r = try reader.next() { return r }
                loop += 1
                guard loop < max(1, options.loops), originFirst != nil else { return nil }
                reader = try CaptureReader(path: path)
                loopBase += Int64((Double(originLast - originFirst!) / options.speed).rounded()) + 1000
                previousOriginal = originFirst!
                previousMapped = 0
            }
        } catch {
            self.error = error
            return nil
        }
    }

    /// The replay instant of a record before per-topic skew and reordering.
    private func mappedTime(_ recv: Int64) -> Int64 {
        if originFirst == nil {
            originFirst = recv
            previousOriginal = recv
            replayStart = options.rebaseTo?.millisecondsSinceEpoch ?? recv
        }
        originLast = max(originLast, recv)
        var gap = Double(recv - previousOriginal) / options.speed
        if options.gapJitter > 0 { gap *= 1 + options.gapJitter * jitterRandom.nextUniform(-1, 1) }
        previousOriginal = recv
        previousMapped = max(0, previousMapped + gap)
        return replayStart + loopBase + Int64(previousMapped.rounded())
    }

    private func pump(_ record: CaptureRecord?) {
        guard let r = record else { isFinished = true; return }
        let base = mappedTime(r.receiveTime.millisecondsSinceEpoch)
        env.scheduler.schedule(at: ProcessingTime(base - lead), phase: .input, "\(component) read") { [self] in
            emit(r, base: base)
            pump(next())
        }
    }

    private func emit(_ r: CaptureRecord, base: Int64) {
        if let k = options.keys, !k.contains(r.keyText ?? "") { return }
        if let t = options.topics, !t.contains(r.topic) { return }
        var at = base + (options.topicSkews.first { $0.topic == r.topic }?.skew.milliseconds ?? 0)
        if let d = options.disconnect {
            let off = at - replayStart
            if d.window.contains(off) {
                if d.mode == .drop { dropped += 1; return }
                at = replayStart + d.window.start.milliseconds + d.window.duration.milliseconds
            }
        }
        if options.reorderProbability > 0, reorderRandom.nextBool(probability: options.reorderProbability) {
            at += reorderRandom.nextInt(in: 1...max(1, options.reorderMaxDelay.milliseconds))
        }
        let shift = replayStart + loopBase - (originFirst ?? 0)
        let record = ProducerRecord(topic: r.topic, partition: r.partition, key: r.key, value: r.value, timestamp: r.timestamp.map { $0 + .milliseconds(shift) }, headers: r.headers)
        env.scheduler.schedule(at: ProcessingTime(at), phase: .input, "\(component) send \(r.topic)") { [self] in
            sent += 1
            if env.trace.wants(.feed) {
                env.record(.feed, component, [("topic", .string(r.topic)), ("key", .optional(r.keyText)), ("event", r.eventTime.map { .time($0) } ?? .null)])
            }
            producer.send(record)
        }
    }
}
