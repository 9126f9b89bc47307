/// What every simulated component is given: the one virtual clock, the seeded random streams and the trace.
///
/// Passed explicitly through initialisers (the idea of swift-dependencies' `DependencyValues`, without its macros
/// or task-locals), so nothing in the simulation can reach a wall clock or an unseeded generator by accident.
public struct SimEnvironment {
    public let scheduler: Scheduler
    public let random: RandomStreams
    public let trace: Trace

    public init(scheduler: Scheduler, random: RandomStreams, trace: Trace) {
        self.scheduler = scheduler
        self.random = random
        self.trace = trace
    }

    /// A fresh environment: a scheduler starting at `start`, streams from `seed`, and a trace.
    public init(seed: UInt64, start: ProcessingTime = .epoch, detail: Trace.Detail = .full, retention: Trace.Retention = .none) {
        self.init(scheduler: Scheduler(start: start), random: RandomStreams(seed: seed), trace: Trace(detail: detail, retention: retention))
    }

    /// The current virtual time.
    public var now: ProcessingTime { scheduler.now }

    /// Records a trace event stamped with the current virtual time.
    public func record(_ kind: TraceKind, _ component: String, _ fields: [(key: String, value: TraceValue)] = []) {
        trace.record(at: scheduler.now, kind, component, fields)
    }
}
