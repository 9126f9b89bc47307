public import SimCore
public import SimLog

/// What a feed did, for summaries and statistical tests.
public struct FeedStatistics: Sendable, Hashable, CustomStringConvertible {
    public var name: String
    /// Messages the source produced (before outages, duplicates).
    public var generated = 0
    /// Calls to `RecordProducing.send` (including duplicates and malformed ones).
    public var sent = 0
    public var malformed = 0
    public var duplicates = 0
    public var reordered = 0
    public var lostInOutage = 0

    public init(name: String) { self.name = name }
    public var description: String {
        "\(name): generated \(generated), sent \(sent) (malformed \(malformed), duplicates \(duplicates), held back \(reordered)), lost in outages \(lostInOutage)"
    }
}

/// The last stretch from a feed's source to the producer client: outages, malformation, reordering and duplicates,
/// each drawn from its own random stream (`feed.<name>.malformed`, `.reorder`, `.duplicate`) so that turning one
/// knob never changes another's numbers. Sends happen in scheduler phase `.input` at the arrival instant.
final class FeedDelivery {
    let env: SimEnvironment
    let producer: any RecordProducing
    let impairments: DeliveryImpairments
    let component: String
    let start: ProcessingTime
    private var malformedRandom: SimRandom
    private var reorderRandom: SimRandom
    private var duplicateRandom: SimRandom
    var statistics: FeedStatistics

    init(env: SimEnvironment, producer: any RecordProducing, impairments: DeliveryImpairments, name: String, start: ProcessingTime) {
        self.env = env
        self.producer = producer
        self.impairments = impairments
        self.component = "feed." + name
        self.start = start
        malformedRandom = env.random.stream("feed.\(name).malformed")
        reorderRandom = env.random.stream("feed.\(name).reorder")
        duplicateRandom = env.random.stream("feed.\(name).duplicate")
        statistics = FeedStatistics(name: name)
    }

    /// The producer host's clock reading at true time `t`.
    func producerClock(_ t: ProcessingTime) -> Int64 { t.millisecondsSinceEpoch + impairments.producerClockSkew.milliseconds }

    func offset(_ t: ProcessingTime) -> Int64 { t.millisecondsSinceEpoch - start.millisecondsSinceEpoch }

    /// Hands `payload` to the producer at `arrival` (subject to the impairments).
    func deliver(topic: String, key: String?, payload: PayloadObject, style: PayloadStyle, eventTime: EventTime?, at arrival: ProcessingTime) {
        statistics.generated += 1
        if impairments.inOutage(atOffset: offset(arrival)) {
            statistics.lostInOutage += 1
            return
        }
        var value: [UInt8]
        var malformedKind: MalformedKind? = nil
        if impairments.malformedRate > 0, !impairments.malformedKinds.isEmpty, malformedRandom.nextBool(probability: impairments.malformedRate) {
            let kind = impairments.malformedKinds[malformedRandom.nextIndex(impairments.malformedKinds.count)]
            value = PayloadCorruption.apply(kind, to: payload, style: style, random: &malformedRandom)
            malformedKind = kind
        } else {
            value = payload.bytes(style)
        }
        var at = arrival
        if impairments.reorderProbability > 0, reorderRandom.nextBool(probability: impairments.reorderProbability) {
            at = at + .milliseconds(reorderRandom.nextInt(in: 1...max(1, impairments.reorderMaxDelay.milliseconds)))
            statistics.reordered += 1
        }
        let keyBytes = key.map { Array($0.utf8) }
        schedule(topic: topic, key: keyBytes, value: value, eventTime: eventTime, malformed: malformedKind, at: at, duplicate: false)
        if impairments.duplicateProbability > 0, duplicateRandom.nextBool(probability: impairments.duplicateProbability) {
            statistics.duplicates += 1
            schedule(topic: topic, key: keyBytes, value: value, eventTime: eventTime, malformed: malformedKind, at: at + impairments.duplicateDelay, duplicate: true)
        }
    }

    private func schedule(topic: String, key: [UInt8]?, value: [UInt8], eventTime: EventTime?, malformed: MalformedKind?, at: ProcessingTime, duplicate: Bool) {
        env.scheduler.schedule(at: at, phase: .input, "\(component) send \(topic)") { [self] in
            let now = env.scheduler.now
            let skew = impairments.producerClockSkew
            let ts: EventTime? = skew == .zero ? nil : EventTime(stampedAt: now + skew)
            statistics.sent += 1
            if let kind = malformed {
                statistics.malformed += 1
                env.record(.malformed, component, [("topic", .string(topic)), ("kind", .string(kind.rawValue)), ("bytes", .int(value.count))])
            }
            if env.trace.wants(.feed) {
                var fields: [(key: String, value: TraceValue)] = [("topic", .string(topic)), ("key", .optional(key.map { String(decoding: $0, as: UTF8.self) }))]
                fields.append(("event", eventTime.map { TraceValue.time($0) } ?? .null))
                fields.append(("bytes", .int(value.count)))
                fields.append(("fnv", .string(String(RandomStreams.fnv1a64(String(decoding: value, as: UTF8.self)), radix: 16))))
                if duplicate { fields.append(("dup", .bool(true))) }
                env.record(.feed, component, fields)
            }
            producer.send(ProducerRecord(topic: topic, key: key, value: value, timestamp: ts))
        }
    }
}
