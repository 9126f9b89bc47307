import ArgumentParser
import SimCore
import SimLog

/// Where the log the command looks at comes from. Until scenarios can be named here, the one source is the
/// seeded demo (`LogDemo`): a producer writing ticks into `crypto_prices` while retention runs.
struct LogSourceOptions: ParsableArguments {
    @Flag(help: "Build the log by running the seeded demo: 3 partitions, 4 KiB segments, retention.ms=60000, five virtual minutes of keyed ticks with a broker outage at +120 s.")
    var demo = false

    @Option(help: "The seed of the demo run. The same seed gives the same log and the same trace digest.")
    var seed: UInt64 = 1

    func validate() throws {
        guard demo else {
            throw ValidationError("name the log to read: --demo (scenario logs come with `sim run`)")
        }
    }

    /// Runs the demo with a trace that keeps its lines, so retention events can be shown.
    func build() -> (Broker, SimEnvironment) {
        let env = SimEnvironment(seed: seed, start: LogDemo.start, retention: .all)
        return (LogDemo.run(environment: env), env)
    }
}

struct TopicsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "topics",
        abstract: "Describe the topics of a simulated log, as kafka-topics does.",
        subcommands: [Describe.self]
    )

    struct Describe: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print topics and partitions as `kafka-topics --describe`, then the log state Kafka keeps internally.",
            discussion: """
                The first lines mirror `kafka-topics --describe` (tab-separated; `Configs:` lists non-default topic \
                settings only). Below them, a section Kafka's tool does not print: each partition's log start offset, \
                high watermark, segment count and size — and, with --history, every retention run that deleted \
                segments, showing the log start offset advancing as `retention.ms` expires old segments.

                Example:
                  sim topics describe --demo --history
                  sim topics describe --demo --seed 7 --topic crypto_prices
                """
        )

        @OptionGroup var source: LogSourceOptions

        @Option(help: "Describe only this topic.")
        var topic: String?

        @Flag(help: "Also list each retention run that deleted segments (virtual time, partition, log start offset after).")
        var history = false

        func run() throws {
            let (broker, env) = source.build()
            let names = topic.map { [$0] } ?? broker.topicNames
            for name in names {
                do {
                    print(try LogText.describeTopic(broker, name), terminator: "")
                } catch {
                    throw ValidationError("\(error)")
                }
            }
            if history {
                print("\n# Retention runs that deleted segments (virtual time, partition, what went, log start after)")
                for line in env.trace.lines {
                    let parts = line.split(separator: " ", maxSplits: 3)
                    guard parts.count == 4, parts[1] == "retention", let ms = Int64(parts[0]) else { continue }
                    print("\t\(UTCTimestamp.iso8601(ms))\t\(parts[3])")
                }
            }
            print("\n# trace digest (seed \(source.seed)): \(env.trace.digest)")
        }
    }
}

struct LogCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "log",
        abstract: "Read records from a simulated log, as kafka-console-consumer and kafka-get-offsets do.",
        subcommands: [Consume.self, GetOffsets.self]
    )

    struct Consume: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print records as `kafka-console-consumer` prints them.",
            discussion: """
                Output fields, in Kafka's order, each enabled by --property: timestamp (`CreateTime:<ms>`), \
                `Partition:<n>`, `Offset:<n>`, headers, key, then the value (on by default). As with the real tool, \
                a consumer starts at the latest offset unless --from-beginning or --offset says otherwise — so without \
                either, a finished log prints nothing. An offset below the log start offset (deleted by retention) \
                is out of range, and `auto.offset.reset` decides what happens: earliest (the default here), latest, \
                or none (an error).

                Examples:
                  sim log consume --demo --topic crypto_prices --from-beginning --max-messages 5
                  sim log consume --demo --topic crypto_prices --partition 0 --offset 0 --property print.offset=true
                """
        )

        @OptionGroup var source: LogSourceOptions

        @Option(help: "The topic to read.")
        var topic: String

        @Option(help: "Read only this partition (otherwise every partition, in partition order).")
        var partition: Int32?

        @Option(help: "Where to start: an offset number, earliest or latest (needs --partition, as in Kafka).")
        var offset: String?

        @Flag(help: "Start at the earliest offset still in the log.")
        var fromBeginning = false

        @Option(help: "Stop after this many records.")
        var maxMessages: Int?

        @Option(name: .customLong("property"), help: "Formatter properties: print.timestamp, print.partition, print.offset, print.headers, print.key, print.value (=true|false), key.separator, null.literal.")
        var properties: [String] = []

        @Option(help: "auto.offset.reset when an offset is out of range: earliest, latest or none.")
        var autoOffsetReset: String = "earliest"

        func validate() throws {
            if offset != nil && partition == nil { throw ValidationError("--offset needs --partition (as kafka-console-consumer)") }
            guard AutoOffsetReset(rawValue: autoOffsetReset) != nil else {
                throw ValidationError("--auto-offset-reset must be earliest, latest or none")
            }
        }

        func run() throws {
            var format = ConsoleFormat()
            for p in properties {
                let kv = p.split(separator: "=", maxSplits: 1).map(String.init)
                guard kv.count == 2 else { throw ValidationError("--property expects key=value, got \(p)") }
                let on = kv[1].lowercased() == "true"
                switch kv[0] {
                case "print.timestamp": format.printTimestamp = on
                case "print.partition": format.printPartition = on
                case "print.offset": format.printOffset = on
                case "print.headers": format.printHeaders = on
                case "print.key": format.printKey = on
                case "print.value": format.printValue = on
                case "key.separator": format.keySeparator = kv[1]
                case "null.literal": format.nullLiteral = kv[1]
                default: throw ValidationError("unknown formatter property \(kv[0])")
                }
            }
            let (broker, _) = source.build()
            guard broker.topicNames.contains(topic) else {
                throw ValidationError("topic \(topic) does not exist; topics: \(broker.topicNames.joined(separator: ", "))")
            }
            let partitions = partition.map { [TopicPartition(topic, $0)] } ?? broker.topicPartitions(topic)
            let consumer = LogConsumer(broker: broker, config: ConsumerConfig(autoOffsetReset: AutoOffsetReset(rawValue: autoOffsetReset)!))
            var printed = 0
            for tp in partitions {
                consumer.assign([tp])
                do {
                    switch offset {
                    case "earliest"?: try consumer.seekToBeginning(tp)
                    case "latest"?: try consumer.seekToEnd(tp)
                    case let o?:
                        guard let n = Int64(o) else { throw ValidationError("--offset must be a number, earliest or latest") }
                        try consumer.seek(tp, to: n)
                    case nil:
                        if fromBeginning { try consumer.seekToBeginning(tp) } else { try consumer.seekToEnd(tp) }
                    }
                    while maxMessages.map({ printed < $0 }) ?? true {
                        let batch = try consumer.poll(maxRecords: maxMessages.map { $0 - printed })
                        if batch.isEmpty { break }
                        print(LogText.consoleOutput(batch, format: format), terminator: "")
                        printed += batch.count
                    }
                } catch let e as ValidationError {
                    throw e
                } catch {
                    printError("\(error)")
                    throw ExitCode(1)
                }
            }
            printError("Processed a total of \(printed) messages")
        }
    }

    struct GetOffsets: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "get-offsets",
            abstract: "Print `topic:partition:offset` lines, as `kafka-get-offsets --time …` does.",
            discussion: """
                --time earliest gives each partition's log start offset (it moves as retention deletes segments), \
                latest its high watermark, and a number of milliseconds the first offset whose timestamp is at or \
                after it (ListOffsets by timestamp).

                Example:
                  sim log get-offsets --demo --topic crypto_prices --time earliest
                """
        )

        @OptionGroup var source: LogSourceOptions

        @Option(help: "The topic.")
        var topic: String

        @Option(help: "earliest, latest, or a timestamp in milliseconds since the epoch.")
        var time: String = "latest"

        func run() throws {
            let spec: OffsetSpec
            switch time {
            case "earliest", "-2": spec = .earliest
            case "latest", "-1": spec = .latest
            default:
                guard let ms = Int64(time) else { throw ValidationError("--time must be earliest, latest or milliseconds") }
                spec = .timestamp(ms)
            }
            let (broker, _) = source.build()
            do {
                print(try LogText.getOffsets(broker, topic, spec), terminator: "")
            } catch {
                throw ValidationError("\(error)")
            }
        }
    }
}

/// Writes a line to standard error.
func printError(_ text: String) {
    var stderr = StandardErrorStream()
    print(text, to: &stderr)
}

struct StandardErrorStream: TextOutputStream {
    mutating func write(_ string: String) {
        fputsStderr(string)
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

func fputsStderr(_ s: String) {
    var text = s
    text.withUTF8 { p in _ = write(2, p.baseAddress, p.count) }
}
