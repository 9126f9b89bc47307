import HeapModule

/// The order in which events due at the same virtual instant run, before insertion order decides.
///
/// Real systems have a natural order at one instant that a plain FIFO would not reproduce: a record that reaches
/// the broker at 10:00:00.000 is visible to a Spark trigger that fires at 10:00:00.000 (the real-engine harness
/// maps a record with arrival `a` to the micro-batch of tick `⌈a / interval⌉`, so an arrival exactly on a tick
/// belongs to that tick). Inputs therefore run before the engines' timers at the same instant, and faults run
/// first of all so that "crash at t" happens before anything else at t.
public enum EventPhase: Int, Comparable, Sendable, CaseIterable, CustomStringConvertible {
    /// Fault injection: crashes, outages beginning or ending.
    case fault = 0
    /// Data arriving: producer sends, broker appends, capture replay.
    case input = 1
    /// Engine work: triggers, periodic watermark timers, channel deliveries, checkpoints.
    case engine = 2
    /// Background maintenance: retention checks, sink flush timers.
    case maintenance = 3
    /// Observers that must see everything else at this instant first (progress, reports).
    case observe = 4

    public static func < (a: EventPhase, b: EventPhase) -> Bool { a.rawValue < b.rawValue }
    public var description: String {
        switch self {
        case .fault: return "fault"
        case .input: return "input"
        case .engine: return "engine"
        case .maintenance: return "maintenance"
        case .observe: return "observe"
        }
    }
}

/// A handle to a scheduled event, used to cancel it.
public struct ScheduledEventID: Hashable, Comparable, Sendable, CustomStringConvertible {
    public let sequence: UInt64
    public static func < (a: Self, b: Self) -> Bool { a.sequence < b.sequence }
    public var description: String { "#\(sequence)" }
}

/// What `Scheduler.step()` ran: enough for `sim step` to say what happened.
public struct ExecutedEvent: Sendable, CustomStringConvertible {
    public var id: ScheduledEventID
    public var time: ProcessingTime
    public var phase: EventPhase
    public var label: String
    /// 1-based count of events executed so far, including this one: the "step number".
    public var stepNumber: UInt64
    public var description: String { "step \(stepNumber) @\(time) [\(phase)] \(label)" }
}

/// A single-threaded discrete-event loop on virtual processing time.
///
/// Shaped like swift-nio's `EmbeddedEventLoop` (`Sources/NIOEmbedded/Embedded.swift`): tasks ordered in a priority
/// queue, `now` set *before* user code runs, and a monotonic insertion counter to break ties, because
/// swift-collections' `Heap` promises nothing about the order of equal elements. The key here is
/// `(time, phase, insertion sequence)` — see `EventPhase` for why a phase sits between the two.
///
/// Nothing here reads a wall clock, spawns a thread or touches Swift concurrency: the same schedule of calls gives
/// the same execution order in every process, which is what makes the trace digest reproducible. It is not
/// thread-safe, by design (each simulation owns one scheduler; `sim explore` runs seeds on separate schedulers).
public final class Scheduler {
    public typealias Action = () -> Void

    struct Key: Comparable {
        var time: Int64
        var phase: Int
        var sequence: UInt64
        static func < (a: Key, b: Key) -> Bool {
            if a.time != b.time { return a.time < b.time }
            if a.phase != b.phase { return a.phase < b.phase }
            return a.sequence < b.sequence
        }
    }

    struct Entry {
        var label: String
        var phase: EventPhase
        var action: Action
    }

    /// The current virtual time. It never goes backwards.
    public private(set) var now: ProcessingTime
    /// How many events have run.
    public private(set) var executedCount: UInt64 = 0

    private var queue = Heap<Key>()
    // Looked up by key only — never iterated — so Dictionary's per-process ordering cannot leak.
    private var entries: [UInt64: Entry] = [:]
    private var nextSequence: UInt64 = 0

    public init(start: ProcessingTime = .epoch) {
        self.now = start
    }

    /// Schedules `action` to run at `time` (or now, if `time` is in the past).
    @discardableResult
    public func schedule(at time: ProcessingTime, phase: EventPhase = .engine, _ label: @autoclosure () -> String, _ action: @escaping Action) -> ScheduledEventID {
        let at = max(time, now)
        let seq = nextSequence
        nextSequence += 1
        queue.insert(Key(time: at.millisecondsSinceEpoch, phase: phase.rawValue, sequence: seq))
        entries[seq] = Entry(label: label(), phase: phase, action: action)
        return ScheduledEventID(sequence: seq)
    }

    /// Schedules `action` to run `delay` after now.
    @discardableResult
    public func schedule(after delay: SimDuration, phase: EventPhase = .engine, _ label: @autoclosure () -> String, _ action: @escaping Action) -> ScheduledEventID {
        schedule(at: now + max(delay, .zero), phase: phase, label(), action)
    }

    /// Cancels a scheduled event. Returns false if it already ran or was cancelled.
    @discardableResult
    public func cancel(_ id: ScheduledEventID) -> Bool {
        entries.removeValue(forKey: id.sequence) != nil
    }

    /// Whether an event is still waiting to run.
    public func isPending(_ id: ScheduledEventID) -> Bool { entries[id.sequence] != nil }

    /// The number of events waiting to run.
    public var pendingCount: Int { entries.count }

    /// When the next live event is due, without running it.
    public var nextEventTime: ProcessingTime? {
        discardCancelledHead()
        return queue.min.map { ProcessingTime($0.time) }
    }

    /// The next live event's time, phase and label, without running it.
    public func peek() -> (time: ProcessingTime, phase: EventPhase, label: String)? {
        discardCancelledHead()
        guard let key = queue.min, let entry = entries[key.sequence] else { return nil }
        return (ProcessingTime(key.time), entry.phase, entry.label)
    }

    /// Runs exactly one event — the earliest by (time, phase, sequence) — and returns what ran, or nil if
    /// nothing is scheduled.
    @discardableResult
    public func step() -> ExecutedEvent? {
        while let key = queue.popMin() {
            guard let entry = entries.removeValue(forKey: key.sequence) else { continue }  // cancelled
            now = max(now, ProcessingTime(key.time))
            executedCount += 1
            entry.action()
            return ExecutedEvent(id: ScheduledEventID(sequence: key.sequence), time: ProcessingTime(key.time), phase: entry.phase, label: entry.label, stepNumber: executedCount)
        }
        return nil
    }

    /// Runs every event due at or before `deadline`, then sets `now = deadline` (as `EmbeddedEventLoop.advanceTime(to:)`).
    /// Events scheduled while running are included if they are due by the deadline.
    /// - Returns: the number of events run.
    @discardableResult
    public func run(until deadline: ProcessingTime) -> Int {
        var n = 0
        while let t = nextEventTime, t <= deadline {
            step()
            n += 1
        }
        now = max(now, deadline)
        return n
    }

    /// Advances the clock by `amount`, running everything due on the way.
    @discardableResult
    public func advance(by amount: SimDuration) -> Int { run(until: now + amount) }

    /// Runs until nothing is scheduled or `limit` events have run. Returns the number run.
    @discardableResult
    public func runUntilIdle(limit: Int = .max) -> Int {
        var n = 0
        while n < limit, step() != nil { n += 1 }
        return n
    }

    private func discardCancelledHead() {
        while let key = queue.min, entries[key.sequence] == nil { _ = queue.popMin() }
    }
}
