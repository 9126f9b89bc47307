public import SimCore

/// `restart-strategy.type` and its options (`flink-core/.../configuration/RestartStrategyOptions.java`, 1.20).
///
/// Which default the model uses: with checkpointing enabled Flink ≥ 1.19 defaults to `exponential-delay`
/// (FLINK-33738 / FLIP-364) with initial backoff 1 s, max 1 min, multiplier 1.5, reset threshold 1 h, jitter 0.1;
/// without checkpointing the default is `none`. `FlinkJobConfig.restartStrategy` is nil by default and resolves to
/// exactly that.
public enum RestartStrategyConfig: Sendable, Equatable, Codable {
    case none
    /// `fixed-delay`: `attempts` (explicit default 1; `Integer.MAX_VALUE` when implied by checkpointing ≤ 1.18), `delay` (1 s).
    case fixedDelay(attempts: Int, delay: SimDuration)
    /// `failure-rate`: at most `maxFailuresPerInterval` (1) failures within `interval` (1 min), `delay` (1 s).
    case failureRate(maxFailuresPerInterval: Int, interval: SimDuration, delay: SimDuration)
    /// `exponential-delay`.
    case exponentialDelay(initialBackoff: SimDuration, maxBackoff: SimDuration, multiplier: Double, resetBackoffThreshold: SimDuration, jitterFactor: Double)

    /// 1.20's `exponential-delay` defaults.
    public static let exponentialDelayDefaults = RestartStrategyConfig.exponentialDelay(initialBackoff: .seconds(1), maxBackoff: .minutes(1), multiplier: 1.5, resetBackoffThreshold: .hours(1), jitterFactor: 0.1)

    /// The default for a job: exponential-delay with checkpointing, none without (1.20).
    public static func defaultFor(checkpointingEnabled: Bool) -> RestartStrategyConfig { checkpointingEnabled ? exponentialDelayDefaults : .none }
}

/// A `RestartBackoffTimeStrategy` (`flink-runtime/.../executiongraph/failover/`, 1.20): told of each failure, says
/// whether to restart and after how long. Jitter comes from a seeded stream.
public struct RestartBackoff: Sendable {
    public let config: RestartStrategyConfig
    private var random: SimRandom
    private var failures: [Int64] = []
    private var currentBackoffMs: Int64 = 0
    private var lastFailureMs: Int64 = 0

    public init(_ config: RestartStrategyConfig, random: SimRandom) {
        self.config = config
        self.random = random
        if case .exponentialDelay(let initial, _, _, _, _) = config { currentBackoffMs = initial.milliseconds }
    }

    /// `notifyFailure` then `canRestart` / `getBackoffTime`: nil = do not restart (the job fails).
    public mutating func onFailure(at now: ProcessingTime) -> SimDuration? {
        let t = now.millisecondsSinceEpoch
        switch config {
        case .none:
            return nil
        case .fixedDelay(let attempts, let delay):
            // FixedDelayRestartBackoffTimeStrategy: canRestart = currentRestartAttempt <= maxNumberRestartAttempts.
            failures.append(t)
            return failures.count <= attempts ? delay : nil
        case .failureRate(let maxFailures, let interval, let delay):
            // FailureRateRestartBackoffTimeStrategy: a queue of the last maxFailures timestamps; restart unless the
            // queue is full and its oldest entry lies within the interval.
            failures.append(t)
            if failures.count > maxFailures + 1 { failures.removeFirst(failures.count - maxFailures - 1) }
            if failures.count > maxFailures, let oldest = failures.first, t - oldest <= interval.milliseconds { return nil }
            return delay
        case .exponentialDelay(let initial, let maxBackoff, let multiplier, let reset, let jitter):
            // ExponentialDelayRestartBackoffTimeStrategy.notifyFailure / getBackoffTime.
            if t &- lastFailureMs >= reset.milliseconds &+ currentBackoffMs {
                currentBackoffMs = initial.milliseconds
            } else {
                if currentBackoffMs < maxBackoff.milliseconds { currentBackoffMs = Int64(Double(currentBackoffMs) * multiplier) }
                currentBackoffMs = max(initial.milliseconds, min(currentBackoffMs, maxBackoff.milliseconds))
            }
            lastFailureMs = t
            var jitterMs: Int64 = 0
            if jitter != 0 {
                let offset = Int64(Double(currentBackoffMs) * jitter)
                jitterMs = random.nextInt(in: -offset...offset)
            }
            return .milliseconds(min(currentBackoffMs + jitterMs, maxBackoff.milliseconds))
        }
    }
}
